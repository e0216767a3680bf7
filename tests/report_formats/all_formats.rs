//! Report formats: all formats.

use super::*;

#[test]
fn output_does_not_depend_on_input_order() {
    let a = outcome();
    let mut b = outcome();
    b.findings.reverse();
    b.diagnostics.reverse();
    for format in Format::ALL {
        for show in [false, true] {
            let o = opts(show, false);
            assert_eq!(
                render(format, &a, &catalog(), &o),
                render(format, &b, &catalog(), &o),
                "{format} (show_suppressed={show})"
            );
        }
    }
}

#[test]
fn every_format_ends_with_one_newline() {
    for format in Format::ALL {
        let out = render(format, &outcome(), &catalog(), &opts(false, false));
        assert!(out.ends_with('\n') && !out.ends_with("\n\n"), "{format}");
    }
}
