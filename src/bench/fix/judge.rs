//! Bandit and Semgrep as independent judges of repairs: each re-scans the original and the
//! repaired files (written to temporary directories under their dataset names), and its
//! verdict is compared with pyward's.
//!
//! Bandit's issues count when their severity is medium or high (its low-severity tests flag
//! any `subprocess` import or `assert`, fixed or not); Semgrep's when they are errors or
//! warnings. A judge that is not on `PATH` is reported missing; one that fails (Semgrep
//! without network for a registry ruleset, say) is reported failed, with its message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// An independent static analyzer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JudgeKind {
    Bandit,
    Semgrep,
}

impl JudgeKind {
    /// The program looked up on `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            JudgeKind::Bandit => "bandit",
            JudgeKind::Semgrep => "semgrep",
        }
    }

    /// Which of its issues count.
    pub fn counts(self) -> &'static str {
        match self {
            JudgeKind::Bandit => "medium and high severity",
            JudgeKind::Semgrep => "errors and warnings",
        }
    }
}

/// Whether a judge ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum JudgeStatus {
    Ran,
    /// Not found on `PATH`.
    Missing,
    Failed {
        message: String,
    },
}

/// One judge's verdict on one backend's repairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeReport {
    pub judge: JudgeKind,
    #[serde(flatten)]
    pub status: JudgeStatus,
    /// Flagged files it reports at least one issue on before the repair.
    pub flagged_before: usize,
    /// Of those, the files it reports no issue on after the repair.
    pub clean_after: usize,
    /// Its issues on all the files, before and after the repair.
    pub issues_before: usize,
    pub issues_after: usize,
    /// Files pyward calls fully repaired that it flagged before the repair.
    pub repaired_flagged: usize,
    /// Of those, the files it reports clean after the repair: where it agrees.
    pub repaired_agreed: usize,
    /// Files pyward calls fully repaired that it still flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<String>,
}

impl JudgeReport {
    fn empty(judge: JudgeKind, status: JudgeStatus) -> JudgeReport {
        JudgeReport {
            judge,
            status,
            flagged_before: 0,
            clean_after: 0,
            issues_before: 0,
            issues_after: 0,
            repaired_flagged: 0,
            repaired_agreed: 0,
            disagreements: Vec::new(),
        }
    }
}

/// Runs judge `kind` on `originals` and `repaired` (file name, text) and compares with
/// pyward's `verdicts` (file name, fully repaired).
pub fn compare(
    kind: JudgeKind,
    originals: &[(String, &str)],
    repaired: &[(String, &str)],
    verdicts: &[(String, bool)],
    semgrep_config: &str,
) -> JudgeReport {
    let run =
        |files: &[(String, &str)], tag: &str| -> Result<BTreeMap<String, usize>, JudgeStatus> {
            let dir = TempDir::new(tag).map_err(|e| JudgeStatus::Failed {
                message: format!("cannot create a temporary directory: {e}"),
            })?;
            for (name, text) in files {
                let path = dir.0.join(name);
                if let Some(parent) = path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                std::fs::write(&path, text).map_err(|e| JudgeStatus::Failed {
                    message: format!("cannot write {}: {e}", path.display()),
                })?;
            }
            issues(kind, &dir.0, semgrep_config)
        };
    let before = match run(originals, "judge-original") {
        Ok(b) => b,
        Err(status) => return JudgeReport::empty(kind, status),
    };
    let after = match run(repaired, "judge-repaired") {
        Ok(a) => a,
        Err(status) => return JudgeReport::empty(kind, status),
    };
    let n = |m: &BTreeMap<String, usize>, f: &str| m.get(f).copied().unwrap_or(0);
    let mut r = JudgeReport::empty(kind, JudgeStatus::Ran);
    r.issues_before = before.values().sum();
    r.issues_after = after.values().sum();
    for (file, fully) in verdicts {
        if n(&before, file) == 0 {
            continue;
        }
        r.flagged_before += 1;
        let clean = n(&after, file) == 0;
        r.clean_after += usize::from(clean);
        if *fully {
            r.repaired_flagged += 1;
            if clean {
                r.repaired_agreed += 1;
            } else {
                r.disagreements.push(file.clone());
            }
        }
    }
    r
}

/// The judge's counted issues per file (relative to `dir`).
fn issues(
    kind: JudgeKind,
    dir: &Path,
    semgrep_config: &str,
) -> Result<BTreeMap<String, usize>, JudgeStatus> {
    let mut cmd = Command::new(kind.program());
    match kind {
        JudgeKind::Bandit => cmd.args(["-q", "-r", "-f", "json"]).arg(dir),
        JudgeKind::Semgrep => cmd
            .args([
                "--config",
                semgrep_config,
                "--metrics=off",
                "--disable-version-check",
                "--json",
                "--quiet",
            ])
            .arg(dir),
    };
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => JudgeStatus::Missing,
        _ => JudgeStatus::Failed {
            message: e.to_string(),
        },
    })?;
    let failed = || {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .trim();
        let mut message = format!(
            "exit status {}: {}",
            out.status.code().unwrap_or(-1),
            line.chars().take(200).collect::<String>()
        );
        if kind == JudgeKind::Semgrep && !Path::new(semgrep_config).exists() {
            message.push_str(&format!(
                "; the registry ruleset `{semgrep_config}` needs the network: pass --semgrep-config with local rules"
            ));
        }
        JudgeStatus::Failed { message }
    };
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|_| failed())?;
    let results = json
        .get("results")
        .and_then(|r| r.as_array())
        .ok_or_else(failed)?;
    let mut per_file = BTreeMap::new();
    for r in results {
        let (path, severity) = match kind {
            JudgeKind::Bandit => (r.get("filename"), r.get("issue_severity")),
            JudgeKind::Semgrep => (
                r.get("path"),
                r.get("extra").and_then(|e| e.get("severity")),
            ),
        };
        let severity = severity.and_then(|s| s.as_str()).unwrap_or("");
        let counted = match kind {
            JudgeKind::Bandit => matches!(severity, "MEDIUM" | "HIGH"),
            JudgeKind::Semgrep => matches!(severity, "ERROR" | "WARNING"),
        };
        let Some(path) = path.and_then(|p| p.as_str()) else {
            continue;
        };
        if !counted {
            continue;
        }
        let rel = Path::new(path)
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.to_string());
        *per_file.entry(rel).or_insert(0) += 1;
    }
    Ok(per_file)
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(pub PathBuf);

impl TempDir {
    fn new(tag: &str) -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pyward-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
