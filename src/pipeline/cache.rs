//! The result cache: a directory of JSON files, portable between machines.
//!
//! Two kinds of entries, each a file `<dir>/<kind>/<key[0..2]>/<key>.json`:
//!
//! * `file`: a whole [`super::FileResult`], keyed by the file's label and content hash plus the
//!   options that change results. A re-scan of an unchanged tree reads these and does no work.
//! * `llm`: one model completion, keyed by the full request (stage, messages, schema, decoding
//!   parameters). Requests are per chunk (function or class), so after an edit to one function
//!   only that function's questions miss.
//!
//! Every key also hashes pyward's version, the model file's SHA-256, the prompt hash and the
//! rule-set hash, so a new model, prompt or rule never reads stale results. Entries are
//! written atomically (temporary file + rename); unreadable or corrupt entries are misses.

use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// What every key of one run shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheIdentity {
    pub tool_version: String,
    pub model_sha256: String,
    pub prompt_hash: String,
    pub ruleset_hash: String,
}

/// A result cache; `Cache::disabled()` stores nothing.
#[derive(Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
    identity: CacheIdentity,
    /// Reads that found an entry.
    pub hits: usize,
    /// Reads that found none.
    pub misses: usize,
    /// Writes that failed (the run goes on).
    pub write_errors: usize,
}

impl Cache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>, identity: CacheIdentity) -> Cache {
        Cache {
            dir: Some(dir.into()),
            identity,
            hits: 0,
            misses: 0,
            write_errors: 0,
        }
    }

    /// A cache that never stores anything (`--no-cache`).
    pub fn disabled() -> Cache {
        Cache {
            dir: None,
            identity: CacheIdentity {
                tool_version: String::new(),
                model_sha256: String::new(),
                prompt_hash: String::new(),
                ruleset_hash: String::new(),
            },
            hits: 0,
            misses: 0,
            write_errors: 0,
        }
    }

    /// Another handle on the same directory and identity, with its own counters: one per
    /// worker thread of a parallel run (entries are written atomically under unique temporary
    /// names, so handles never see each other's half-written files).
    pub fn handle(&self) -> Cache {
        Cache {
            dir: self.dir.clone(),
            identity: self.identity.clone(),
            hits: 0,
            misses: 0,
            write_errors: 0,
        }
    }

    /// Adds a handle's counters to this cache's.
    pub fn absorb(&mut self, other: &Cache) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.write_errors += other.write_errors;
    }

    /// Sets the identity (model, prompts, rules) keys are made with.
    pub fn set_identity(&mut self, identity: CacheIdentity) {
        self.identity = identity;
    }

    pub fn identity(&self) -> &CacheIdentity {
        &self.identity
    }

    pub fn is_enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// The directory, when enabled.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The key of `parts` under this cache's identity.
    pub fn key(&self, kind: &str, parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        let id = &self.identity;
        for p in [
            kind.as_bytes(),
            id.tool_version.as_bytes(),
            id.model_sha256.as_bytes(),
            id.prompt_hash.as_bytes(),
            id.ruleset_hash.as_bytes(),
        ]
        .into_iter()
        .chain(parts.iter().copied())
        {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        hex::encode(h.finalize())
    }

    fn path(&self, kind: &str, key: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(kind).join(&key[..2]).join(format!("{key}.json")))
    }

    /// Reads an entry.
    pub fn get<T: DeserializeOwned>(&mut self, kind: &str, key: &str) -> Option<T> {
        let path = self.path(kind, key)?;
        let value = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if value.is_some() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        value
    }

    /// Writes an entry atomically; failures are counted, not fatal.
    pub fn put<T: Serialize>(&mut self, kind: &str, key: &str, value: &T) {
        let Some(path) = self.path(kind, key) else {
            return;
        };
        if write_atomic(&path, value).is_err() {
            self.write_errors += 1;
        }
    }
}

/// Writes `value` as JSON with [`crate::atomic::write_atomically`]: readers see the old entry
/// or the new one, even when two threads or processes write the same key at once (both wrote
/// the same content for the same key).
fn write_atomic<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    crate::atomic::write_atomically(path, &bytes, None)
}

/// SHA-256 of a file's content, lower-case hex.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(model: &str) -> CacheIdentity {
        CacheIdentity {
            tool_version: "0.1.0".into(),
            model_sha256: model.into(),
            prompt_hash: "p".into(),
            ruleset_hash: "r".into(),
        }
    }

    #[test]
    fn round_trip_and_identity_changes_keys() {
        let d = tempfile::tempdir().unwrap();
        let mut c = Cache::new(d.path(), id("m1"));
        let k = c.key("llm", &[b"hello"]);
        assert_eq!(c.get::<Vec<u32>>("llm", &k), None);
        c.put("llm", &k, &vec![1u32, 2]);
        assert_eq!(c.get::<Vec<u32>>("llm", &k), Some(vec![1, 2]));
        assert_eq!((c.hits, c.misses), (1, 1));
        let c2 = Cache::new(d.path(), id("m2"));
        assert_ne!(c2.key("llm", &[b"hello"]), k);
        assert_ne!(c.key("llm", &[b"hello!"]), k);
        // Part boundaries matter.
        assert_ne!(c.key("llm", &[b"ab", b"c"]), c.key("llm", &[b"a", b"bc"]));
    }

    #[test]
    fn concurrent_writers_of_one_key_leave_a_whole_entry_and_no_temp_files() {
        let d = tempfile::tempdir().unwrap();
        let c = Cache::new(d.path(), id("m"));
        let k = c.key("llm", &[b"same"]);
        let value: Vec<u32> = (0..20_000).collect();
        std::thread::scope(|s| {
            for _ in 0..4 {
                let mut h = c.handle();
                let (k, value) = (&k, &value);
                s.spawn(move || {
                    for _ in 0..10 {
                        h.put("llm", k, value);
                        assert_eq!(h.get::<Vec<u32>>("llm", k).as_ref(), Some(value));
                    }
                    assert_eq!(h.write_errors, 0);
                });
            }
        });
        let dir = d.path().join("llm").join(&k[..2]);
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let mut main = c.handle();
        let mut h = c.handle();
        assert!(h.get::<Vec<u32>>("llm", &k).is_some());
        main.absorb(&h);
        assert_eq!(main.hits, 1);
    }

    #[test]
    fn corrupt_entries_are_misses_and_disabled_stores_nothing() {
        let d = tempfile::tempdir().unwrap();
        let mut c = Cache::new(d.path(), id("m"));
        let k = c.key("file", &[b"x"]);
        c.put("file", &k, &1u8);
        let p = d
            .path()
            .join("file")
            .join(&k[..2])
            .join(format!("{k}.json"));
        std::fs::write(&p, b"{not json").unwrap();
        assert_eq!(c.get::<u8>("file", &k), None);
        let mut off = Cache::disabled();
        off.put("file", &k, &1u8);
        assert_eq!(off.get::<u8>("file", &k), None);
    }
}
