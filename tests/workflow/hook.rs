//! `.pre-commit-hooks.yaml`: the hook's entry, run as pre-commit runs it (the entry, then the
//! staged Python files as arguments) in a temporary git repository.

use super::*;

/// The `entry:` of every hook in the repository's `.pre-commit-hooks.yaml`.
fn hook_entries() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    assert!(text.contains("- id: pyward\n"), "{text}");
    assert!(text.contains("types_or: [python, pyi]"), "{text}");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .map(str::to_string)
        .collect()
}

/// Runs `entry` with the staged Python files, as pre-commit would.
fn run_hook(entry: &str, repo: &Path) -> Output {
    let staged = git(
        repo,
        &["diff", "--cached", "--name-only", "--diff-filter=d"],
    );
    let files: Vec<&str> = staged.lines().filter(|f| f.ends_with(".py")).collect();
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("pyward"), "{entry}");
    pyward()
        .args(words)
        .args(&files)
        .current_dir(repo)
        .output()
        .unwrap()
}

#[test]
fn the_hook_fails_on_a_staged_vulnerability_only() {
    let entries = hook_entries();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let d = tempfile::tempdir().unwrap();
    git_repo(d.path());
    write(d.path(), "old.py", SHELL_CALL);
    commit_all(d.path(), "legacy code");
    // A clean staged change passes, although an old file has a finding.
    write(d.path(), "clean.py", "def add(a, b):\n    return a + b\n");
    git(d.path(), &["add", "clean.py"]);
    for entry in &entries {
        let o = run_hook(entry, d.path());
        assert_eq!(code(&o), 0, "{entry}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(stderr(&o), "", "--quiet: no notes");
    }
    // A staged vulnerability fails the commit and names the file.
    write(d.path(), "bad.py", SHELL_CALL);
    git(d.path(), &["add", "bad.py"]);
    for entry in &entries {
        let o = run_hook(entry, d.path());
        assert_eq!(code(&o), 1, "{entry}");
        assert!(stdout(&o).contains("bad.py:4:5: PW101"), "{}", stdout(&o));
        assert!(!stdout(&o).contains("old.py"), "{}", stdout(&o));
    }
    // The project's exclude applies to the files pre-commit names.
    write(
        d.path(),
        "pyproject.toml",
        "[tool.pyward]\nexclude = [\"bad.py\"]\n",
    );
    let o = run_hook(&entries[0], d.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
