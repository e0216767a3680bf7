//! Checking a hosted model's answer against the stage schema.
//!
//! The local runtime cannot produce an answer outside the schema (decoding is constrained token
//! by token). A server may honour `response_format` only loosely, or not at all, so every
//! remote answer is validated here before the pipeline sees it.

use serde_json::Value;

/// Why `value` does not match `schema`: up to three errors, each with its JSON pointer.
/// `Ok(())` when it matches.
pub fn check(schema: &Value, value: &Value) -> Result<(), String> {
    let validator = jsonschema::options()
        .build(schema)
        .map_err(|e| format!("the stage schema itself is invalid: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::calibration::schema_for;
    use crate::pipeline::StagePlan;
    use serde_json::json;

    #[test]
    fn stage_answers_are_checked_with_pointers() {
        let s = schema_for(1, &StagePlan::for_tier(1).calibration);
        assert_eq!(
            check(
                &s,
                &json!({"verdicts": [{"id": 1, "verdict": "confirmed"}]})
            ),
            Ok(())
        );
        let e = check(&s, &json!({"verdicts": [{"id": 1, "verdict": "maybe"}]})).unwrap_err();
        assert!(e.contains("/verdicts/0"), "{e}");
        let e = check(&s, &json!({"verdicts": []})).unwrap_err();
        assert!(e.contains("/verdicts"), "{e}");
        let e = check(
            &s,
            &json!({"verdicts": [{"id": 1, "verdict": "confirmed"}], "x": 1}),
        )
        .unwrap_err();
        assert!(e.contains('x'), "{e}");
        let long = "s".repeat(41);
        let e = check(
            &s,
            &json!({"verdicts": [{"id": 1, "verdict": "rejected", "sanitizer": long}]}),
        )
        .unwrap_err();
        assert!(e.contains("/verdicts/0"), "{e}");
    }
}
