//! Paths as SARIF artifact locations (URIs against `%SRCROOT%` or `file://`), and back.

use super::model::{ArtifactLocation, Message};
use super::SRCROOT;

/// The artifact location of a path as the user gave it (`/` separators).
///
/// Relative paths become relative URIs against `%SRCROOT%` (a leading `./` dropped);
/// absolute paths (`/x`, `C:/x`) become `file://` URIs; `-` (standard input) stays `-`
/// with no base.
pub fn artifact_location(path: &str) -> ArtifactLocation {
    if path == "-" {
        return ArtifactLocation {
            uri: Some("-".to_string()),
            uri_base_id: None,
            description: Some(Message::text("standard input")),
        };
    }
    let is_drive = {
        let b = path.as_bytes();
        b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/'
    };
    if path.starts_with('/') || is_drive {
        let abs = if is_drive {
            format!("/{path}")
        } else {
            path.to_string()
        };
        return ArtifactLocation {
            uri: Some(format!("file://{}", encode_path(&abs, true))),
            uri_base_id: None,
            description: None,
        };
    }
    let mut rel = path;
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    ArtifactLocation {
        uri: Some(encode_path(rel, false)),
        uri_base_id: Some(SRCROOT.to_string()),
        description: None,
    }
}

/// Percent-encodes a path for a URI, keeping `/` and unreserved characters. A `:` is kept
/// only in absolute paths (in a relative reference it could read as a scheme).
fn encode_path(path: &str, absolute: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'&' | b'\''
            )
            || matches!(b, b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'@')
            || (absolute && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of an artifact location as [`artifact_location`] wrote it: relative URIs and
/// `file://` URIs percent-decoded.
pub fn location_path(loc: &ArtifactLocation) -> String {
    let uri = loc.uri.as_deref().unwrap_or("");
    match uri.strip_prefix("file://") {
        Some(abs) => {
            let decoded = percent_decode(abs);
            // `/C:/x` is how a drive path is written.
            let b = decoded.as_bytes();
            if b.len() >= 4
                && b[0] == b'/'
                && b[1].is_ascii_alphabetic()
                && b[2] == b':'
                && b[3] == b'/'
            {
                decoded[1..].to_string()
            } else {
                decoded
            }
        }
        None => percent_decode(uri),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_against_srcroot() {
        let a = artifact_location("./app/views.py");
        assert_eq!(a.uri.as_deref(), Some("app/views.py"));
        assert_eq!(a.uri_base_id, Some(SRCROOT.to_string()));
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            artifact_location("my app/ünï:1.py").uri.as_deref(),
            Some("my%20app/%C3%BCn%C3%AF%3A1.py")
        );
        assert_eq!(
            artifact_location("/srv/a b.py").uri.as_deref(),
            Some("file:///srv/a%20b.py")
        );
        assert_eq!(
            artifact_location("C:/src/x.py").uri.as_deref(),
            Some("file:///C:/src/x.py")
        );
        assert_eq!(artifact_location("/srv/x.py").uri_base_id, None);
    }

    #[test]
    fn stdin_has_no_base() {
        let a = artifact_location("-");
        assert_eq!(a.uri.as_deref(), Some("-"));
        assert_eq!(a.uri_base_id, None);
    }

    #[test]
    fn uris_decode_back_to_paths() {
        let loc = |uri: &str| ArtifactLocation {
            uri: Some(uri.to_string()),
            uri_base_id: None,
            description: None,
        };
        assert_eq!(location_path(&loc("c%20d.py")), "c d.py");
        assert_eq!(location_path(&loc("file:///tmp/a%25b.py")), "/tmp/a%b.py");
        assert_eq!(location_path(&loc("file:///C:/x.py")), "C:/x.py");
        for p in ["my app/ünï:1.py", "/srv/a b.py", "C:/src/x.py", "-"] {
            assert_eq!(location_path(&artifact_location(p)), p);
        }
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%é%41"), "%éA");
    }
}
