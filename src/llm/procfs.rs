//! Values Linux reports in kB under `/proc` (`None` elsewhere or when the key is missing).

/// The value of `key` (e.g. `MemAvailable`) in a `/proc` file of `key:  N kB` lines, in bytes.
pub fn kb_field(path: &str, key: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.split(':').next() == Some(key))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_linux_memory_fields() {
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(super::kb_field("/proc/meminfo", "MemAvailable").unwrap() > 0);
            assert!(super::kb_field("/proc/self/status", "VmHWM").unwrap() > 0);
        }
        assert_eq!(super::kb_field("/proc/meminfo", "NoSuchKey"), None);
    }
}
