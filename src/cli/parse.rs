//! Value parsers of the command line that need more than clap's own.

/// Parses a size such as `1048576`, `512K`, `10M`, `1G` (binary multiples; `B`/`iB` accepted).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let stripped = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, mult) = match stripped.chars().last() {
        Some('k') => (&stripped[..stripped.len() - 1], 1u64 << 10),
        Some('m') => (&stripped[..stripped.len() - 1], 1u64 << 20),
        Some('g') => (&stripped[..stripped.len() - 1], 1u64 << 30),
        _ => (stripped, 1),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{t}` is not a size (examples: 1048576, 512K, 10M, 1G)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{t}` is too large"))
}

/// `--shard` values.
pub fn parse_shard(text: &str) -> Result<crate::shard::Shard, String> {
    text.parse()
        .map_err(|e: crate::shard::ShardError| e.to_string())
}

/// `--device` values.
pub fn parse_device(text: &str) -> Result<crate::device::DeviceSpec, String> {
    text.parse()
        .map_err(|e: crate::device::DeviceError| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2kb"), Ok(2048));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
