//! `pyward bench --fix` with the real binary on a small temporary labelled set, static-only:
//! which files are flagged and fully repaired, the verified fixes and their source, and the
//! judges' verdicts (a stand-in `bandit` on a private PATH; no `semgrep` there, so it is
//! reported missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A labelled set: `load.py` (yaml.load, which a template repairs), `run.py` (exec of a
/// parameter, which no template repairs), `quiet.py` (labelled vulnerable, but nothing is
/// flagged) and `safe.py` (secure, so never repaired).
fn dataset(dir: &Path) {
    write(
        dir,
        "load.py",
        "import yaml\n\n\ndef read(path):\n    with open(path) as fh:\n        return yaml.load(fh)\n",
    );
    write(dir, "run.py", "def run(code):\n    exec(code)\n");
    write(dir, "quiet.py", "def add(a, b):\n    return a + b\n");
    write(
        dir,
        "safe.py",
        "import yaml\n\n\ndef read(path):\n    with open(path) as fh:\n        return yaml.safe_load(fh)\n",
    );
    write(
        dir,
        "labels.csv",
        "file,vulnerable,cwe\nload.py,true,502\nrun.py,true,95\nquiet.py,true,79\nsafe.py,false,\n",
    );
}

/// A directory holding only a stand-in `bandit`: a medium-severity issue for each file under
/// the scanned directory that calls `yaml.load(` or `exec(`, in Bandit's JSON shape.
fn fake_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let grep = ["/usr/bin/grep", "/bin/grep"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("grep");
    let script = format!(
        r#"#!/bin/sh
for last; do :; done
printf '{{"results": ['
sep=''
for f in $({grep} -rlE 'yaml\.load\(|exec\(' "$last"); do
  printf '%s{{"filename": "%s", "issue_severity": "MEDIUM", "test_id": "B506"}}' "$sep" "$f"
  sep=','
done
printf ']}}'
exit 1
"#
    );
    let path = write(&bin, "bandit", &script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn bench(dir: &Path, bin: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args(["bench", "--fix", "--static-only", "-q", "--dataset"])
        .arg(dir.join("data"))
        .args(extra)
        .env("PATH", bin)
        .env("PYWARD_HOME", dir.join("home"))
        .output()
        .expect("pyward runs")
}

#[cfg(unix)]
#[test]
fn bench_fix_reports_repairs_sources_rounds_and_judges() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    dataset(&data);
    let bin = fake_bin(tmp.path());

    let out = bench(tmp.path(), &bin, &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["vulnerable"], 3);
    let row = &report["rows"][0];
    assert_eq!(row["spec"], "static");
    let files = row["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(names, ["load.py", "run.py"], "quiet.py is not flagged");
    let load = &files[0];
    assert_eq!(load["findings"], 1);
    assert_eq!(load["verified"], 1);
    assert_eq!(load["by_source"]["template"], 1);
    assert_eq!(load["rounds"], serde_json::json!([1]));
    assert_eq!(load["remaining"], 0);
    assert_eq!(load["repaired"], true);
    let run = &files[1];
    assert_eq!(
        (run["verified"].as_u64(), run["repaired"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(run["remaining"], 1);

    let judges = row["judges"].as_array().unwrap();
    let bandit = judges.iter().find(|j| j["judge"] == "bandit").unwrap();
    assert_eq!(bandit["status"], "ran");
    assert_eq!(bandit["flagged_before"], 2);
    assert_eq!(bandit["clean_after"], 1);
    assert_eq!(bandit["issues_before"], 2);
    assert_eq!(bandit["issues_after"], 1);
    assert_eq!(
        (
            bandit["repaired_flagged"].as_u64(),
            bandit["repaired_agreed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let semgrep = judges.iter().find(|j| j["judge"] == "semgrep").unwrap();
    assert_eq!(semgrep["status"], "missing");

    // The dataset itself is never rewritten.
    assert!(std::fs::read_to_string(data.join("load.py"))
        .unwrap()
        .contains("yaml.load(fh)"));

    let out = bench(tmp.path(), &bin, &[]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| static | 2 | 1 (50%) | 2 | 1 (50%) | 1 | 0 | 1×1 |"),
        "{md}"
    );
    assert!(md.contains("not run: `semgrep` is not on PATH"), "{md}");
    assert!(md.contains("| run.py | 1 | 0 | 1 | yes | - |"), "{md}");
}

#[test]
fn bench_fix_needs_a_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    dataset(&data);
    let out = Command::new(env!("CARGO_BIN_EXE_pyward"))
        .args(["bench", "--fix", "--dataset"])
        .arg(&data)
        .env("PYWARD_HOME", tmp.path().join("home"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--static-only"));
}
