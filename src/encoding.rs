//! Source encodings: a UTF-8 byte-order mark and PEP 263 coding declarations.
//!
//! Python reads a file as UTF-8 unless its first or second line declares another encoding
//! (`# -*- coding: latin-1 -*-`, matching `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`; the second
//! line counts only when the first is blank or a comment). A UTF-8 byte-order mark forces
//! UTF-8, and a declaration that contradicts it is an error, as in CPython.
//!
//! Declared encodings are decoded with `encoding_rs` (the WHATWG set: windows-125x, the
//! ISO-8859 family, KOI8, Shift_JIS, EUC-JP, EUC-KR, Big5, GBK, GB18030, …), except ISO-8859-1
//! (`latin-1`), which is decoded byte for byte as Python does (WHATWG would read it as
//! windows-1252). Encodings that are not ASCII-compatible (UTF-16, UTF-32, ISO-2022-JP) cannot
//! be declared in Python source and are refused.
//!
//! The scan works on the decoded text. Report columns count characters (Unicode code points)
//! of a line, so in a single-byte encoding (latin-1, cp1252, …) a column is also the byte
//! column of the original file; in a multi-byte one (Shift_JIS, GBK, …) it is the character
//! column. [`encode`] turns patched text back into the file's own encoding for `pyward fix`.

use std::sync::OnceLock;

use encoding_rs::{DecoderResult, Encoding};

/// How a file's bytes became text, so that text can be written back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    /// UTF-8, with or without a byte-order mark (which the decoded text does not contain).
    Utf8 { bom: bool },
    /// ISO-8859-1: every byte is the code point of the same value.
    Latin1,
    /// A declared encoding other than UTF-8 and latin-1.
    Declared(&'static Encoding),
}

impl SourceEncoding {
    /// The encoding's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 { bom: false } => "utf-8",
            SourceEncoding::Utf8 { bom: true } => "utf-8 (with BOM)",
            SourceEncoding::Latin1 => "latin-1",
            SourceEncoding::Declared(e) => e.name(),
        }
    }
}

/// Why bytes could not be decoded, or text could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// Undeclared, and not UTF-8.
    #[error(
        "not UTF-8 text (invalid byte at offset {offset}); declare the file's encoding on its \
         first or second line, e.g. `# -*- coding: latin-1 -*-`"
    )]
    NotUtf8 { offset: usize },
    #[error("unknown encoding `{name}` declared on line {line}")]
    Unknown { name: String, line: usize },
    #[error("encoding `{name}` (line {line}) is not ASCII-compatible; Python cannot read it")]
    NotAsciiCompatible { name: String, line: usize },
    #[error("the file starts with a UTF-8 byte-order mark but declares `{name}` on line {line}")]
    BomConflict { name: String, line: usize },
    #[error("invalid {encoding} text (invalid byte at offset {offset})")]
    Invalid {
        encoding: &'static str,
        offset: usize,
    },
    #[error("the new text has a character ({ch:?}) that {encoding} cannot represent")]
    Unmappable { encoding: &'static str, ch: char },
}

/// Decoded source text and how it was encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: SourceEncoding,
}

/// The encoding name declared on line 1 or 2 (PEP 263), with its 1-based line.
pub fn declaration(bytes: &[u8]) -> Option<(String, usize)> {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r"^[ \t\x0c]*#.*?coding[:=][ \t]*([-\w.]+)").expect("valid regex")
    });
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    for n in 1..=2 {
        let line = lines.next()?;
        if let Some(c) = re.captures(line) {
            return Some((String::from_utf8_lossy(&c[1]).into_owned(), n));
        }
        // The second line is only looked at when the first is blank or a comment.
        let t = line.trim_ascii_start();
        if !(t.is_empty() || t.starts_with(b"#")) {
            return None;
        }
    }
    None
}

/// Decodes a Python source file: BOM, then declaration, then UTF-8.
pub fn decode(bytes: &[u8]) -> Result<Decoded, EncodingError> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body = if bom { &bytes[3..] } else { bytes };
    let declared = declaration(body);
    let encoding = match &declared {
        None => SourceEncoding::Utf8 { bom },
        Some((name, line)) => match lookup(name, *line)? {
            SourceEncoding::Utf8 { .. } => SourceEncoding::Utf8 { bom },
            _ if bom => {
                return Err(EncodingError::BomConflict {
                    name: name.clone(),
                    line: *line,
                })
            }
            other => other,
        },
    };
    let text = match encoding {
        SourceEncoding::Utf8 { .. } => {
            std::str::from_utf8(body)
                .map(str::to_owned)
                .map_err(|e| match declared {
                    Some(_) => EncodingError::Invalid {
                        encoding: "utf-8",
                        offset: e.valid_up_to() + if bom { 3 } else { 0 },
                    },
                    None => EncodingError::NotUtf8 {
                        offset: e.valid_up_to() + if bom { 3 } else { 0 },
                    },
                })?
        }
        SourceEncoding::Latin1 => encoding_rs::mem::decode_latin1(body).into_owned(),
        SourceEncoding::Declared(enc) => decode_with(enc, body)?,
    };
    Ok(Decoded { text, encoding })
}

/// Encodes `text` back into `encoding` (with the BOM it had), refusing characters the
/// encoding cannot represent rather than replacing them.
pub fn encode(text: &str, encoding: SourceEncoding) -> Result<Vec<u8>, EncodingError> {
    match encoding {
        SourceEncoding::Utf8 { bom } => {
            let mut out = Vec::with_capacity(text.len() + 3);
            if bom {
                out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            out.extend_from_slice(text.as_bytes());
            Ok(out)
        }
        SourceEncoding::Latin1 => match text.chars().find(|&c| u32::from(c) > 0xFF) {
            Some(ch) => Err(EncodingError::Unmappable {
                encoding: "latin-1",
                ch,
            }),
            None => Ok(encoding_rs::mem::encode_latin1_lossy(text).into_owned()),
        },
        SourceEncoding::Declared(enc) => {
            let (bytes, used, had_errors) = enc.encode(text);
            if had_errors || used != enc {
                let ch = text
                    .chars()
                    .find(|c| {
                        let mut b = [0; 4];
                        enc.encode(c.encode_utf8(&mut b)).2
                    })
                    .unwrap_or('\u{FFFD}');
                return Err(EncodingError::Unmappable {
                    encoding: enc.name(),
                    ch,
                });
            }
            Ok(bytes.into_owned())
        }
    }
}

fn decode_with(enc: &'static Encoding, body: &[u8]) -> Result<String, EncodingError> {
    let invalid = |offset| EncodingError::Invalid {
        encoding: enc.name(),
        offset,
    };
    let mut decoder = enc.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .ok_or_else(|| invalid(0))?;
    let mut text = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut text, true);
    match result {
        DecoderResult::InputEmpty => Ok(text),
        DecoderResult::Malformed(bad, extra) => Err(invalid(
            read.saturating_sub(usize::from(bad) + usize::from(extra)),
        )),
        DecoderResult::OutputFull => Err(invalid(read)),
    }
}

/// Python's codec name → an encoding, as Python normalises names (case, `_` and `-`).
fn lookup(name: &str, line: usize) -> Result<SourceEncoding, EncodingError> {
    let lower = name.to_ascii_lowercase();
    let dashed = lower.replace('_', "-");
    // Python's own names first: WHATWG reads these differently or does not know them.
    let alias = match dashed.as_str() {
        "utf-8" | "utf8" | "u8" | "utf" | "cp65001" | "utf-8-sig" | "ascii" | "us-ascii"
        | "646" => return Ok(SourceEncoding::Utf8 { bom: false }),
        "latin-1" | "latin1" | "latin" | "l1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819"
        | "iso-ir-100" => return Ok(SourceEncoding::Latin1),
        "cp932" | "ms932" | "mskanji" | "ms-kanji" => "shift_jis",
        "cp936" => "gbk",
        "cp949" | "uhc" => "euc-kr",
        "cp950" => "big5",
        "mac-roman" | "macroman" => "macintosh",
        "mac-cyrillic" | "maccyrillic" => "x-mac-cyrillic",
        other => other,
    };
    let found = [alias, lower.as_str(), &lower.replace('-', "_")]
        .into_iter()
        .find_map(|l| Encoding::for_label_no_replacement(l.as_bytes()));
    match found {
        None => Err(EncodingError::Unknown {
            name: name.to_string(),
            line,
        }),
        Some(e) if e == encoding_rs::UTF_8 => Ok(SourceEncoding::Utf8 { bom: false }),
        Some(e) if !e.is_ascii_compatible() || e.output_encoding() != e => {
            Err(EncodingError::NotAsciiCompatible {
                name: name.to_string(),
                line,
            })
        }
        Some(e) => Ok(SourceEncoding::Declared(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_on_line_one_or_two() {
        assert_eq!(
            declaration(b"# -*- coding: latin-1 -*-\nx = 1\n"),
            Some(("latin-1".into(), 1))
        );
        assert_eq!(
            declaration(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"),
            Some(("cp1252".into(), 2))
        );
        // Line 2 only counts after a blank or comment line 1.
        assert_eq!(declaration(b"x = 1\n# coding: latin-1\n"), None);
        assert_eq!(declaration(b"\n\n# coding: latin-1\n"), None);
        assert_eq!(declaration(b"x = '# coding: latin-1'\n"), None);
    }

    #[test]
    fn latin1_and_cp1252_decode_and_round_trip() {
        let src = b"# coding: latin-1\ns = '\xe9\x80'\n";
        let d = decode(src).unwrap();
        assert_eq!(d.encoding, SourceEncoding::Latin1);
        assert_eq!(d.text, "# coding: latin-1\ns = '\u{e9}\u{80}'\n");
        assert_eq!(encode(&d.text, d.encoding).unwrap(), src);
        let src = b"# -*- coding: cp1252 -*-\ns = '\x80'\n";
        let d = decode(src).unwrap();
        assert_eq!(d.text, "# -*- coding: cp1252 -*-\ns = '\u{20ac}'\n");
        assert_eq!(encode(&d.text, d.encoding).unwrap(), src);
        assert!(matches!(
            encode("s = '\u{20ac}'", SourceEncoding::Latin1),
            Err(EncodingError::Unmappable { ch: '\u{20ac}', .. })
        ));
    }

    #[test]
    fn python_spellings_of_names_are_found() {
        for (name, want) in [
            ("iso_8859_15", "ISO-8859-15"),
            ("Shift_JIS", "Shift_JIS"),
            ("euc_jp", "EUC-JP"),
            ("koi8_r", "KOI8-R"),
            ("cp932", "Shift_JIS"),
            ("windows-1251", "windows-1251"),
        ] {
            match lookup(name, 1) {
                Ok(SourceEncoding::Declared(e)) => assert_eq!(e.name(), want, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(matches!(
            lookup("utf-16", 1),
            Err(EncodingError::NotAsciiCompatible { .. })
        ));
        assert!(matches!(
            lookup("klingon", 2),
            Err(EncodingError::Unknown { line: 2, .. })
        ));
    }

    #[test]
    fn bom_and_undecodable_input() {
        let d = decode(b"\xEF\xBB\xBFx = 1\n").unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding),
            ("x = 1\n", SourceEncoding::Utf8 { bom: true })
        );
        assert_eq!(encode(&d.text, d.encoding).unwrap(), b"\xEF\xBB\xBFx = 1\n");
        assert!(matches!(
            decode(b"\xEF\xBB\xBF# coding: latin-1\n"),
            Err(EncodingError::BomConflict { .. })
        ));
        assert_eq!(
            decode(b"x = '\xe9'\n").unwrap_err(),
            EncodingError::NotUtf8 { offset: 5 }
        );
        // Shift_JIS lead byte followed by an invalid trail byte.
        assert!(matches!(
            decode(b"# coding: shift_jis\nx = '\x81\x20'\n"),
            Err(EncodingError::Invalid {
                encoding: "Shift_JIS",
                ..
            })
        ));
    }
}
