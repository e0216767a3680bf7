//! Report formats: markdown.

use super::*;

#[test]
fn markdown_has_summary_sections_and_links() {
    let out = render(
        Format::Markdown,
        &outcome(),
        &catalog(),
        &opts(false, false),
    );
    assert!(out.starts_with("# pyward security report\n"));
    assert!(out.contains("| High | 3 |\n| Medium | 2 |\n| Low | 1 |\n| **Total** | **6** |"));
    // One section per file, files in order.
    let files: Vec<&str> = out.lines().filter(|l| l.starts_with("## `")).collect();
    assert_eq!(
        files,
        [
            "## `app/config.py`",
            "## `app/files.py`",
            "## `app/tasks.py`",
            "## `app/views.py`",
            "## `app/計算.py`"
        ]
    );
    assert!(out.contains("[CWE-78](https://cwe.mitre.org/data/definitions/78.html)"));
    assert!(out.contains("[CWE-95](https://cwe.mitre.org/data/definitions/95.html), [CWE-94]"));
    // Code with line numbers, rule docs, safer pattern, the fix as a diff, the taint path.
    assert!(out.contains("```python\n14 |     subprocess.run(cmd, shell=True)\n```"));
    assert!(out.contains("The shell interprets `;`, `|` and `$(...)`"));
    assert!(
        out.contains("A safer pattern:\n\n```python\nsubprocess.run([\"ls\", d], check=True)\n```")
    );
    assert!(out.contains("-    data = yaml.load(stream)\n  +    data = yaml.safe_load(stream)"));
    assert!(out.contains(
        "1. **Source** at line 12, column 12: `request.args[\"host\"]` — HTTP request parameter"
    ));
    // A finding whose rule is unknown still renders, without a rule doc.
    assert!(out.contains("### 2. User-controlled `name` is joined to a path"));
    assert!(out.contains("Reported by the model"));
    // Suppressed findings are hidden by default.
    assert!(!out.contains("fixture"));
    assert!(out.contains("\n1 finding suppressed by in-source comments is not shown.\n"));
    // Diagnostics at the end.
    assert!(out.contains("## Diagnostics"));
    assert!(out.contains("- **error** `vendor/blob.py`: binary file (NUL byte at offset 17)"));
}

#[test]
fn markdown_links_every_finding_from_the_summary_table() {
    let out = render(Format::Markdown, &outcome(), &catalog(), &opts(true, false));
    for n in 1..=7 {
        assert!(out.contains(&format!("| [{n}](#finding-{n}) |")), "row {n}");
        assert!(
            out.contains(&format!("<a id=\"finding-{n}\"></a>")),
            "anchor {n}"
        );
    }
    assert!(out.contains("> **Suppressed** (nosec) by `# nosec B506`"));
}
