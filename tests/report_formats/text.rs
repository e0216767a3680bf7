//! Report formats: text.

use super::*;

#[test]
fn text_lists_findings_with_carets_and_summary() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    assert!(!out.contains('\x1b'), "no colour codes when colour is off");
    assert!(out.contains("app/tasks.py:4:5: PW101 [high] `subprocess.run` runs its command"));
    // Suppressed findings are hidden by default but counted.
    assert!(!out.contains("app/config.py:20:12"));
    let last = out.lines().last().unwrap();
    assert_eq!(
        last,
        "6 findings (3 high, 2 medium, 1 low) in 9 files; 1 suppressed; 1 error, 1 warning"
    );
    // Diagnostics come after the findings and before the summary, clearly marked.
    let diag = out
        .find("diagnostics (files skipped")
        .expect("diagnostics heading");
    assert!(out.rfind(": PW").unwrap() < diag);
    assert!(out.contains("  vendor/blob.py: error: binary file (NUL byte at offset 17)\n"));
    assert!(out.contains("  app/broken.py:3: warning: syntax error;"));
    // Taint path steps are listed in order.
    let src = out.find("1. source").expect("source step");
    let prop = out.find("2. propagation").expect("propagation step");
    let sink = out.find("3. sink").expect("sink step");
    assert!(src < prop && prop < sink);
    assert!(out.contains("fix available: Use `yaml.safe_load`"));
}

#[test]
fn text_caret_sits_under_the_flagged_characters() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    let lines: Vec<&str> = out.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("名前 = eval(入力)"))
        .expect("unicode source line");
    let code_start = lines[i].find("名前").unwrap();
    let carets = lines[i + 1];
    let caret_start = carets.find('^').unwrap();
    // `名前 = ` is 2 wide characters + 3 narrow: 7 terminal cells; eval(入力) is 10 cells.
    let prefix_cells = caret_start - code_start;
    assert_eq!(prefix_cells, 7, "{carets:?}");
    assert_eq!(carets.matches('^').count(), 10, "{carets:?}");
}

#[test]
fn text_multi_line_spans_underline_each_line() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(false, false));
    let start = out.find("app/tasks.py:9:5:").expect("multi-line finding");
    let block: Vec<&str> = out[start..].lines().take(10).collect();
    let numbered: Vec<&&str> = block
        .iter()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbered.len(), 4, "{block:#?}");
    assert_eq!(
        block.iter().filter(|l| l.contains('^')).count(),
        4,
        "{block:#?}"
    );
}

#[test]
fn text_shows_suppressed_on_request() {
    let out = render(Format::Text, &outcome(), &catalog(), &opts(true, false));
    assert!(out.contains("app/config.py:20:12: PW201 [medium] (suppressed)"));
    assert!(out.contains("suppressed (nosec): # nosec B506"));
    // Still not counted as a finding.
    assert!(out.contains("6 findings (3 high, 2 medium, 1 low) in 9 files; 1 suppressed"));
}

#[test]
fn text_colour_only_adds_escape_codes() {
    let plain = render(Format::Text, &outcome(), &catalog(), &opts(true, false));
    let coloured = render(Format::Text, &outcome(), &catalog(), &opts(true, true));
    assert!(coloured.contains("\x1b["));
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn text_empty_scan() {
    let empty = ScanOutcome {
        files_scanned: 1,
        ..ScanOutcome::default()
    };
    let out = render(Format::Text, &empty, &catalog(), &opts(false, false));
    assert_eq!(
        out,
        "0 findings (0 high, 0 medium, 0 low) in 1 file; 0 suppressed\n"
    );
}
