use super::*;

#[test]
fn replacements_are_cleaned_and_reindented() {
    let orig = "    os.system(cmd)";
    assert_eq!(
        clean_replacement("```python\nsubprocess.run(args)\n```", orig),
        "    subprocess.run(args)"
    );
    assert_eq!(
        clean_replacement("12 | subprocess.run(args)", orig),
        "    subprocess.run(args)"
    );
    assert_eq!(
        clean_replacement("12 subprocess.run(args)\n13 x = 1", orig),
        "    subprocess.run(args)\n    x = 1"
    );
    // Not consecutive numbers: code, kept as written.
    assert_eq!(clean_replacement("1 + 2\n5 + 6", "1 + 2"), "1 + 2\n5 + 6");
    assert_eq!(
        clean_replacement("    if x:\n        y()", orig),
        "    if x:\n        y()"
    );
}

#[test]
fn diff_has_headers() {
    let d = unified_diff("a.py", "x = 1\n", "x = 2\n");
    assert!(d.starts_with("--- a/a.py\n+++ b/a.py\n"), "{d}");
    assert!(d.contains("-x = 1\n+x = 2\n"));
}
