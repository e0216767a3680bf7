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
    use crate::pipeline::calibration::CalibrationAnswer;
    use crate::pipeline::schema_of;
    use serde_json::json;

    #[test]
    fn stage_answers_are_checked_with_pointers() {
        let s = schema_of::<CalibrationAnswer>();
        assert_eq!(
            check(
                &s,
                &json!({"verdict": "confirmed", "reason": "r", "sanitizer": ""})
            ),
            Ok(())
        );
        let e = check(
            &s,
            &json!({"verdict": "maybe", "reason": "r", "sanitizer": ""}),
        )
        .unwrap_err();
        assert!(e.contains("/verdict"), "{e}");
        let e = check(&s, &json!({"verdict": "confirmed", "reason": "r"})).unwrap_err();
        assert!(e.contains("sanitizer"), "{e}");
        let e = check(
            &s,
            &json!({"verdict": "confirmed", "reason": "r", "sanitizer": "", "x": 1}),
        )
        .unwrap_err();
        assert!(e.contains('x'), "{e}");
        let e = check(
            &s,
            &json!({"verdict": "confirmed", "reason": "r".repeat(241), "sanitizer": ""}),
        )
        .unwrap_err();
        assert!(e.contains("/reason"), "{e}");
    }
}
