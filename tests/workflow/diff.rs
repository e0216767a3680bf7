//! `--diff REF` and `--diff-lines` in a temporary git repository.

use super::*;

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git_repo(d.path());
    write(d.path(), "old.py", SHELL_CALL);
    write(d.path(), "touched.py", SHELL_CALL);
    write(d.path(), ".gitignore", "ignored.py\n");
    commit_all(d.path(), "base");
    d
}

#[test]
fn only_changed_and_untracked_files_are_scanned() {
    let d = repo();
    // An unrelated edit below the finding, a new untracked file, an ignored one.
    write(d.path(), "touched.py", format!("{SHELL_CALL}\nX = 1\n"));
    write(d.path(), "new.py", SHELL_CALL);
    write(d.path(), "ignored.py", SHELL_CALL);
    let (status, report) = scan_json(&["--diff", "HEAD", "."], d.path());
    assert_eq!(status, 1);
    let files: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(files, ["./new.py", "./touched.py"]);
    assert_eq!(report["summary"]["files_scanned"], 2);
    // --diff-lines: touched.py's finding is on an unchanged line; new.py is all new.
    let (_, report) = scan_json(&["--diff", "HEAD", "--diff-lines", "."], d.path());
    let files: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(files, ["./new.py"]);
    // Committed changes count too: diff against the first commit after committing.
    commit_all(d.path(), "more");
    let (_, report) = scan_json(&["--diff", "HEAD~1", "--diff-lines", "."], d.path());
    assert_eq!(findings(&report).len(), 1, "{report}");
    // Nothing changed since HEAD: a clean run.
    let (status, report) = scan_json(&["--diff", "HEAD", "."], d.path());
    assert_eq!((status, findings(&report).len()), (0, 0));
}

#[test]
fn a_changed_line_with_a_finding_is_reported() {
    let d = repo();
    write(
        d.path(),
        "touched.py",
        SHELL_CALL.replace(
            "subprocess.run(cmd, shell=True)",
            "subprocess.call(cmd, shell=True)",
        ),
    );
    let (_, report) = scan_json(&["--diff", "HEAD", "--diff-lines", "touched.py"], d.path());
    assert_eq!(
        findings(&report),
        [("touched.py".into(), "PW101".into(), 4, 5)]
    );
}

#[test]
fn outside_a_repository_or_with_a_bad_revision_it_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.py", SHELL_CALL);
    let o = run(
        &["scan", "--static-only", "--diff", "HEAD", "a.py"],
        d.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not inside a git repository"),
        "{}",
        stderr(&o)
    );
    let d = repo();
    let o = run(
        &["scan", "--static-only", "--diff", "no-such-ref", "."],
        d.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--diff no-such-ref"), "{}", stderr(&o));
    let o = run(&["scan", "--static-only", "--diff-lines", "."], d.path());
    assert_eq!(code(&o), 2, "--diff-lines needs --diff");
}
