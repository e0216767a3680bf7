//! `pyward completions`.

use super::*;

#[test]
fn completion_scripts_name_the_subcommands() {
    let d = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_pyward()"),
        ("zsh", "#compdef pyward"),
        ("fish", "complete -c pyward"),
    ] {
        let o = run(&["completions", shell], d.path());
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        let s = stdout(&o);
        assert!(s.contains(marker), "{shell}: {s}");
        for word in ["scan", "baseline", "diff-lines", "completions"] {
            assert!(s.contains(word), "{shell} lacks {word}");
        }
    }
    let o = run(&["completions", "tcsh"], d.path());
    assert_eq!(code(&o), 2);
}
