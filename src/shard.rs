//! Deterministic sharding of a scan: `pyward scan --shard K/N` scans the K-th of N parts.
//!
//! A file belongs to shard `1 + h mod N`, where `h` is the first eight bytes (big-endian) of
//! the SHA-256 of its report label (the path as findings print it). The decision depends on
//! the file's own label only, never on its position in the file list: adding or removing a
//! file moves no other file between shards, and every shard of the same command line agrees
//! on the partition. The N shards of one command together scan every file exactly once.
//!
//! Shards must be run with the same paths as written on the command line (and from the same
//! directory): labels are the paths as given, so `src/a.py` and `./src/a.py` hash apart.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// One shard of N: `index` is 1-based (`1 ..= count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard `{text}`: {reason} (expected K/N with 1 <= K <= N, e.g. 1/4)")]
pub struct ShardError {
    pub text: String,
    pub reason: &'static str,
}

impl Shard {
    /// Shard `index` of `count` (1-based).
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        let err = |reason| ShardError {
            text: format!("{index}/{count}"),
            reason,
        };
        if count == 0 {
            return Err(err("N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(err("K must be between 1 and N"));
        }
        Ok(Shard { index, count })
    }

    /// The 1-based index K.
    pub fn index(self) -> u32 {
        self.index
    }

    /// The number of shards N.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The shard (1-based) a label belongs to among `count` shards.
    pub fn of(label: &str, count: u32) -> u32 {
        let digest = Sha256::digest(label.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32 + 1
    }

    /// Whether the file with this report label is in this shard.
    pub fn contains(self, label: &str) -> bool {
        Shard::of(label, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let err = |reason| ShardError {
            text: s.to_string(),
            reason,
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(|| err("no `/`"))?;
        let k: u32 = k.trim().parse().map_err(|_| err("K is not a number"))?;
        let n: u32 = n.trim().parse().map_err(|_| err("N is not a number"))?;
        Shard::new(k, n).map_err(|e| ShardError {
            text: s.to_string(),
            reason: e.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let s: Shard = "2/3".parse().unwrap();
        assert_eq!((s.index(), s.count()), (2, 3));
        assert_eq!(s.to_string(), "2/3");
        assert_eq!(
            " 1 / 1 ".parse::<Shard>().unwrap(),
            Shard::new(1, 1).unwrap()
        );
        for bad in ["0/2", "3/2", "1/0", "a/2", "1/b", "12", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
        assert_eq!(
            "3/2".parse::<Shard>().unwrap_err().reason,
            "K must be between 1 and N"
        );
    }

    #[test]
    fn every_label_is_in_exactly_one_shard() {
        let labels: Vec<String> = (0..500)
            .map(|i| format!("src/pkg{}/mod_{i}.py", i % 7))
            .collect();
        for n in 1..=5u32 {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            let mut sizes = vec![0usize; n as usize];
            for l in &labels {
                let owners: Vec<&Shard> = shards.iter().filter(|s| s.contains(l)).collect();
                assert_eq!(owners.len(), 1, "{l} in {owners:?}");
                sizes[owners[0].index() as usize - 1] += 1;
            }
            // A hash partition is roughly even: no shard gets under half its share.
            for s in sizes {
                assert!(
                    s * n as usize * 2 >= labels.len(),
                    "uneven split for n={n}: {s}"
                );
            }
        }
    }

    #[test]
    fn assignment_depends_on_the_label_only() {
        // Fixed values: the partition is stable across versions and machines.
        assert_eq!(Shard::of("a.py", 1), 1);
        let before: Vec<u32> = ["a.py", "b.py", "c.py"]
            .iter()
            .map(|l| Shard::of(l, 4))
            .collect();
        let after: Vec<u32> = ["a.py", "b.py", "c.py", "aa.py"]
            .iter()
            .map(|l| Shard::of(l, 4))
            .collect();
        assert_eq!(&after[..3], &before[..]);
        let sha = Sha256::digest(b"a.py");
        let expected = (u64::from_be_bytes(sha[..8].try_into().unwrap()) % 4) as u32 + 1;
        assert_eq!(Shard::of("a.py", 4), expected);
    }
}
