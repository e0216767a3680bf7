//! The fusion policy, as a table: static confidence × model verdict × probability × tier ×
//! sanitizer × injection → status. See `src/pipeline/fusion.rs` for the policy text.

use pyward::finding::{Confidence, Finding, Origin, Severity, Span, VerdictStatus};
use pyward::pipeline::calibration::{ModelOpinion, ModelVerdict};
use pyward::pipeline::fusion::{fuse, is_reported, sanitizer_present, FusionContext};

fn finding(origin: Origin, confidence: Confidence) -> Finding {
    Finding {
        rule_id: "PW101".into(),
        cwe: vec![78],
        severity: Severity::High,
        confidence,
        path: "a.py".into(),
        span: Span {
            start_line: 5,
            start_column: 5,
            end_line: 5,
            end_column: 20,
        },
        snippet: "    os.system(cmd)".into(),
        message: "m".into(),
        remediation: "r".into(),
        taint_path: vec![],
        fingerprint: String::new(),
        origin,
        suppressed: None,
        fixes: vec![],
        verdict: None,
        explanation: None,
        fix: None,
    }
}

fn op(v: ModelVerdict, p: f64) -> ModelOpinion {
    ModelOpinion {
        verdict: v,
        reason: "because".into(),
        sanitizer: "shlex.quote".into(),
        probability: Some(p),
    }
}

use ModelVerdict::{Confirmed as C, Rejected as R, Speculative as S};
use VerdictStatus::{Confirmed, Rejected, Speculative};

/// (origin, static confidence, model verdict, p, tier, sanitizer verified, injection file) → status
type Row = (
    Origin,
    Confidence,
    Option<ModelVerdict>,
    f64,
    u8,
    bool,
    bool,
    VerdictStatus,
);

#[test]
fn policy_table() {
    use Confidence::*;
    use Origin::*;
    // (origin, static confidence, model verdict, p, tier, sanitizer verified, injection file) → status
    let table: &[Row] = &[
        // Static, no opinion: stays.
        (Static, High, None, 0.5, 1, false, false, Confirmed),
        (Static, Low, None, 0.5, 3, false, false, Confirmed),
        // Static, confirmed / speculative: stays confirmed at every tier.
        (Static, High, Some(C), 0.9, 1, false, false, Confirmed),
        (Static, Medium, Some(S), 0.9, 3, false, false, Confirmed),
        // Static high, rejected without a sanitizer: tiers 1 and 2 cannot reject.
        (Static, High, Some(R), 0.99, 1, false, false, Confirmed),
        (Static, High, Some(R), 0.99, 2, false, false, Confirmed),
        (Static, High, Some(R), 0.99, 3, false, false, Speculative),
        (Static, High, Some(R), 0.6, 3, false, false, Confirmed),
        // With a sanitizer that is really in the code.
        (Static, High, Some(R), 0.99, 1, true, false, Speculative),
        (Static, High, Some(R), 0.99, 2, true, false, Rejected),
        (Static, High, Some(R), 0.99, 3, true, false, Rejected),
        // Static medium/low, rejected without a sanitizer.
        (Static, Medium, Some(R), 0.99, 1, false, false, Confirmed),
        (Static, Medium, Some(R), 0.99, 2, false, false, Speculative),
        (Static, Medium, Some(R), 0.6, 2, false, false, Confirmed),
        (Static, Low, Some(R), 0.9, 3, false, false, Rejected),
        (Static, Low, Some(R), 0.6, 3, false, false, Speculative),
        (Static, Low, Some(R), 0.3, 3, false, false, Confirmed),
        // In a file with an injection attempt, rejections are ignored at every tier.
        (Static, Low, Some(R), 0.99, 3, false, true, Confirmed),
        (Static, High, Some(R), 0.99, 3, true, true, Confirmed),
        // Model-only findings.
        (Model, Low, None, 0.5, 1, false, false, Speculative),
        (Model, Low, Some(C), 0.99, 1, false, false, Speculative),
        (Model, Low, Some(C), 0.99, 2, false, false, Speculative),
        (Model, Low, Some(C), 0.99, 3, false, false, Confirmed),
        (Model, Low, Some(C), 0.5, 3, false, false, Speculative),
        (Model, Low, Some(R), 0.9, 1, false, false, Rejected),
        (Model, Low, Some(S), 0.9, 3, false, false, Speculative),
    ];
    for (i, &(origin, conf, verdict, p, tier, san, inj, want)) in table.iter().enumerate() {
        let f = finding(origin, conf);
        let o = verdict.map(|v| op(v, p));
        let v = fuse(
            &f,
            o.as_ref(),
            FusionContext {
                tier,
                injection_file: inj,
                sanitizer_verified: san,
            },
        );
        assert_eq!(v.status, want, "row {i}: {:?}", table[i]);
        assert!((0.0..=1.0).contains(&v.confidence));
        assert!(!v.reason.is_empty());
    }
}

#[test]
fn confidence_moves_with_the_model_more_at_higher_tiers() {
    let f = finding(Origin::Static, Confidence::Medium);
    let ctx = |tier| FusionContext {
        tier,
        injection_file: false,
        sanitizer_verified: false,
    };
    let c1 = fuse(&f, Some(&op(C, 0.99)), ctx(1)).confidence;
    let c3 = fuse(&f, Some(&op(C, 0.99)), ctx(3)).confidence;
    let base = fuse(&f, None, ctx(1)).confidence;
    assert!(base < c1 && c1 < c3, "{base} {c1} {c3}");
    let r3 = fuse(&f, Some(&op(C, 0.1)), ctx(3)).confidence;
    assert!(r3 < base);
}

#[test]
fn injection_findings_are_never_put_to_the_model() {
    let mut f = finding(Origin::Static, Confidence::High);
    f.rule_id = "PW900".into();
    let v = fuse(
        &f,
        Some(&op(R, 0.99)),
        FusionContext {
            tier: 3,
            injection_file: true,
            sanitizer_verified: true,
        },
    );
    assert_eq!(v.status, Confirmed);
}

#[test]
fn sanitizers_must_be_known_and_called_in_the_region() {
    let text = "import os, shlex\n\ndef f(cmd):\n    safe = shlex.quote(cmd)\n    os.system(cmd)\n";
    let f = finding(Origin::Static, Confidence::High);
    assert!(sanitizer_present(text, &f, None, "shlex.quote"));
    assert!(sanitizer_present(text, &f, None, "`quote()`"));
    assert!(
        !sanitizer_present(text, &f, None, "validate_cmd"),
        "not a known sanitizer"
    );
    assert!(
        !sanitizer_present(text, &f, None, "html.escape"),
        "known but not in the code"
    );
    let commented = "import os\n\ndef f(cmd):\n    # shlex.quote(cmd)\n    os.system(cmd)\n";
    assert!(
        !sanitizer_present(commented, &f, None, "shlex.quote"),
        "a comment is not a call"
    );
}

#[test]
fn reporting_follows_the_status() {
    let mut f = finding(Origin::Static, Confidence::High);
    assert!(is_reported(&f, false));
    f.verdict = Some(fuse(
        &f,
        Some(&op(R, 0.99)),
        FusionContext {
            tier: 3,
            injection_file: false,
            sanitizer_verified: false,
        },
    ));
    assert!(!is_reported(&f, false));
    assert!(is_reported(&f, true));
    f.verdict = Some(fuse(
        &f,
        Some(&op(R, 0.99)),
        FusionContext {
            tier: 3,
            injection_file: false,
            sanitizer_verified: true,
        },
    ));
    assert!(!is_reported(&f, true));
}
