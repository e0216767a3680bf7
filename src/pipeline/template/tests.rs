//! Template edits with declared imports: where they go, when they are not added, when the
//! template does not apply.

use super::*;
use crate::finding::Span;

/// An edit replacing the first occurrence of `needle` in `text`.
fn edit(text: &str, needle: &str, replacement: &str, imports: &[&str]) -> Edit {
    let start = text.find(needle).expect("needle in text");
    let end = start + needle.len();
    let line = |b: usize| text[..b].matches('\n').count() + 1;
    Edit {
        span: Span {
            start_line: line(start),
            start_column: 1,
            end_line: line(end),
            end_column: 1,
        },
        start_byte: start,
        end_byte: end,
        replacement: replacement.to_string(),
        description: String::new(),
        imports: imports.iter().map(|s| s.to_string()).collect(),
    }
}

/// Applies one edit of `needle` → `replacement` needing `imports`; the finding is on the
/// edit's line.
fn apply(
    text: &str,
    needle: &str,
    replacement: &str,
    imports: &[&str],
) -> Result<TemplatePatch, TemplateError> {
    let e = edit(text, needle, replacement, imports);
    let line = e.span.start_line;
    apply_template(text, &[e], line, line)
}

fn fixed(text: &str, needle: &str, replacement: &str, imports: &[&str]) -> String {
    apply(text, needle, replacement, imports)
        .unwrap_or_else(|e| panic!("{e}"))
        .text
}

#[test]
fn the_import_joins_the_existing_imports_once() {
    let src =
        "import os\nimport random\n\n\ndef token(abc):\n    return random.choice(abc) + os.sep\n";
    let p = apply(src, "random.choice", "secrets.choice", &["import secrets"]).unwrap();
    // `random` is no longer used: its import goes.
    assert_eq!(
        p.text,
        "import os\nimport secrets\n\n\ndef token(abc):\n    return secrets.choice(abc) + os.sep\n"
    );
    assert_eq!(p.added_imports, ["import secrets"]);
    assert_eq!(p.removed_imports, ["import random"]);
    assert_eq!(
        p.line_changes,
        [
            LineChange {
                line: 3,
                deleted: 0,
                text: "import secrets\n".into(),
            },
            LineChange {
                line: 2,
                deleted: 1,
                text: String::new(),
            }
        ]
    );
    assert_eq!(p.region, (6, 6));
    // Still used elsewhere: kept, and the finding's line moved down with the new import.
    let src =
        "import random\n\n\ndef token(abc):\n    return random.choice(abc), random.random()\n";
    let p = apply(src, "random.choice", "secrets.choice", &["import secrets"]).unwrap();
    assert_eq!(
        p.text,
        "import random\nimport secrets\n\n\ndef token(abc):\n    return secrets.choice(abc), random.random()\n"
    );
    assert_eq!(p.region, (6, 6));
    // Already imported: nothing added.
    let src = "import secrets\nimport random\nx = random.choice(a) + random.random()\n";
    let p = apply(src, "random.choice", "secrets.choice", &["import secrets"]).unwrap();
    assert_eq!(
        p.text,
        "import secrets\nimport random\nx = secrets.choice(a) + random.random()\n"
    );
    assert!(p.added_imports.is_empty() && p.line_changes.is_empty());
    assert_eq!(p.region, (3, 3));
    // `import hashlib.x` binds `hashlib` too.
    let src = "import hashlib.sub\nh = md5(b'')\n";
    assert_eq!(
        fixed(src, "md5", "hashlib.sha256", &["import hashlib"]),
        "import hashlib.sub\nh = hashlib.sha256(b'')\n"
    );
}

#[test]
fn a_from_import_of_another_name_does_not_count() {
    // The case: only `md5` is imported; it is unused after the fix.
    let src = "from hashlib import md5\n\nh = md5(data).hexdigest()\n";
    assert_eq!(
        fixed(src, "md5(", "hashlib.sha256(", &["import hashlib"]),
        "import hashlib\n\nh = hashlib.sha256(data).hexdigest()\n"
    );
    let src = "from OpenSSL import SSL as S\nc = S.Context(S.TLSv1_METHOD)\n";
    // `SSL` is not bound: added, even though `S` is the same module (and still used).
    assert_eq!(
        fixed(
            src,
            "S.TLSv1_METHOD",
            "SSL.TLS_METHOD",
            &["from OpenSSL import SSL"]
        ),
        "from OpenSSL import SSL as S\nfrom OpenSSL import SSL\nc = S.Context(SSL.TLS_METHOD)\n"
    );
}

#[test]
fn with_no_imports_the_new_one_goes_after_docstring_and_future_imports() {
    let src =
        "\"\"\"Tokens.\"\"\"\nfrom __future__ import annotations\n\nTOKEN = random.choice(ABC)\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "\"\"\"Tokens.\"\"\"\nfrom __future__ import annotations\n\nimport secrets\n\nTOKEN = secrets.choice(ABC)\n"
    );
    let src = "\"\"\"Tokens.\"\"\"\nfrom __future__ import annotations\nimport os\nTOKEN = random.choice(ABC)\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "\"\"\"Tokens.\"\"\"\nfrom __future__ import annotations\nimport os\nimport secrets\nTOKEN = secrets.choice(ABC)\n"
    );
    let src = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nx = random.choice(a)\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nimport secrets\n\nx = secrets.choice(a)\n"
    );
    assert_eq!(
        fixed(
            "x = random.choice(a)",
            "random.choice",
            "secrets.choice",
            &["import secrets"]
        ),
        "import secrets\n\nx = secrets.choice(a)"
    );
}

#[test]
fn a_plain_import_joins_the_standard_library_group_in_order() {
    let src = "import os\nimport subprocess\n\nfrom flask import request\n\nx = random.choice(a)\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "import os\nimport secrets\nimport subprocess\n\nfrom flask import request\n\nx = secrets.choice(a)\n"
    );
    let src = "import os\n\nfrom flask import request\n\nx = random.choice(a)\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "import os\nimport secrets\n\nfrom flask import request\n\nx = secrets.choice(a)\n"
    );
}

#[test]
fn the_import_never_goes_below_a_module_level_use() {
    let src = "x = random.choice(a)\nimport random\n";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "import secrets\n\nx = secrets.choice(a)\nimport random\n"
    );
}

#[test]
fn a_file_without_a_final_newline_keeps_its_last_line() {
    let src = "import random\nx = random.choice(a)";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "import secrets\nx = secrets.choice(a)"
    );
    let src = "import random\nx = random.choice(a) + random.random()";
    assert_eq!(
        fixed(src, "random.choice", "secrets.choice", &["import secrets"]),
        "import random\nimport secrets\nx = secrets.choice(a) + random.random()"
    );
}

#[test]
fn a_local_name_or_another_import_is_a_conflict() {
    let src = "import random\n\n\ndef pick(secrets):\n    return random.choice(secrets)\n";
    assert_eq!(
        apply(src, "random.choice", "secrets.choice", &["import secrets"]),
        Err(TemplateError::Conflict {
            name: "secrets".into(),
            statement: "import secrets".into()
        })
    );
    let src = "import my_secrets as secrets\nx = random.choice(a)\n";
    assert!(matches!(
        apply(src, "random.choice", "secrets.choice", &["import secrets"]),
        Err(TemplateError::Conflict { .. })
    ));
    // An import of the same module inside the function is enough.
    let src = "def pick(a):\n    import secrets\n    return random.choice(a)\n";
    let p = apply(src, "random.choice", "secrets.choice", &["import secrets"]).unwrap();
    assert!(p.added_imports.is_empty());
}

#[test]
fn several_edits_and_imports_are_each_added_once_in_order() {
    let src = "import ssl\nfrom x import y\nA = f(ssl.PROTOCOL_TLSv1)\nB = g(SSL.TLSv1_METHOD)\n";
    let a = edit(
        src,
        "ssl.PROTOCOL_TLSv1",
        "ssl.PROTOCOL_TLS_CLIENT",
        &["import ssl"],
    );
    let b = edit(
        src,
        "SSL.TLSv1_METHOD",
        "SSL.TLS_METHOD",
        &["from OpenSSL import SSL", "import hmac"],
    );
    let c = edit(src, "f(", "hmac.f(", &["import hmac"]);
    let p = apply_template(src, &[a, b, c], 3, 4).unwrap();
    assert_eq!(
        p.text,
        // `import hmac` joins the plain imports in alphabetical order; a `from` import goes
        // after the block.
        "import hmac\nimport ssl\nfrom x import y\nfrom OpenSSL import SSL\nA = hmac.f(ssl.PROTOCOL_TLS_CLIENT)\nB = g(SSL.TLS_METHOD)\n"
    );
    assert_eq!(p.added_imports, ["from OpenSSL import SSL", "import hmac"]);
    assert_eq!(p.region, (5, 6));
}

#[test]
fn bad_edits_bad_imports_and_broken_files_do_not_apply() {
    let src = "import random\nx = random.choice(a)\n";
    let a = edit(src, "random.choice", "secrets.choice", &[]);
    let b = edit(src, "choice(a)", "x", &[]);
    assert_eq!(
        apply_template(src, &[a, b], 2, 2),
        Err(TemplateError::BadEdits)
    );
    assert!(matches!(
        apply(
            src,
            "random.choice",
            "secrets.choice",
            &["from secrets import *"]
        ),
        Err(TemplateError::BadImport(_))
    ));
    let broken = "import random\nx = random.choice(a\n";
    assert!(matches!(
        apply(
            broken,
            "random.choice",
            "secrets.choice",
            &["import secrets"]
        ),
        Err(TemplateError::Unparsable(_))
    ));
    // Without imports, a template still applies to a file that does not parse.
    assert_eq!(
        fixed(broken, "random.choice", "secrets.choice", &[]),
        "import random\nx = secrets.choice(a\n"
    );
}

#[test]
fn an_import_is_removed_only_when_certainly_unused() {
    let fix = |src: &str| fixed(src, "md5(", "hashlib.sha256(", &["import hashlib"]);
    // One name of several goes.
    assert_eq!(
        fix("from hashlib import md5, sha1\nh = md5(d), sha1(d)\n"),
        "from hashlib import sha1\nimport hashlib\nh = hashlib.sha256(d), sha1(d)\n"
    );
    assert_eq!(
        fix("from hashlib import sha1, md5  # legacy\nh = md5(d), sha1(d)\n"),
        "from hashlib import sha1  # legacy\nimport hashlib\nh = hashlib.sha256(d), sha1(d)\n"
    );
    assert_eq!(
        fixed(
            "from hashlib import md5 as weak\nh = weak(d)\n",
            "weak(",
            "hashlib.sha256(",
            &["import hashlib"]
        ),
        "import hashlib\nh = hashlib.sha256(d)\n"
    );
    // Mentioned elsewhere (a re-export, a comment), read again, bound twice, not a plain
    // one-line top-level import: kept.
    for src in [
        "from hashlib import md5\n__all__ = ['md5']\nh = md5(d)\n",
        "from hashlib import md5\nh = md5(d)  # was md5\n",
        "from hashlib import md5\nh = md5(d)\ng = md5\n",
        "from hashlib import md5\nh = md5(d)\nmd5 = None\n",
        "try:\n    from hashlib import md5\nexcept ImportError:\n    pass\nh = md5(d)\n",
        "from hashlib import (md5,\n    sha1)\nh = md5(d), sha1(d)\n",
        "from hashlib import md5; import os\nh = md5(d), os\n",
        // `md5 as md5` names it twice: not certain enough.
        "from hashlib import md5 as md5\nh = md5(d)\n",
    ] {
        let out = fix(src);
        assert!(out.contains("md5"), "{src}\n->\n{out}");
        assert_eq!(
            out.matches("md5").count(),
            src.matches("md5").count() - 1,
            "{src}\n->\n{out}"
        );
    }
    // A function's own import is not touched.
    let src = "def f(d):\n    from hashlib import md5\n    return md5(d)\n";
    assert!(fix(src).contains("from hashlib import md5"));
}

#[test]
fn an_import_read_inside_the_replaced_code_goes_when_nothing_else_reads_it() {
    let src = "import logging\nimport traceback\n\n\ndef view():\n    return {\"trace\": traceback.format_exc()}\n";
    let p = apply(src, "traceback.format_exc()", "\"internal error\"", &[]).unwrap();
    assert_eq!(
        p.text,
        "import logging\n\n\ndef view():\n    return {\"trace\": \"internal error\"}\n"
    );
    assert_eq!(p.removed_imports, ["import traceback"]);
    // Still read elsewhere: kept.
    let src = "import traceback\n\nx = {\"t\": traceback.format_exc()}\ntraceback.print_exc()\n";
    let p = apply(src, "traceback.format_exc()", "\"internal error\"", &[]).unwrap();
    assert!(p.removed_imports.is_empty());
}

#[test]
fn an_import_the_edit_does_not_name_is_not_added() {
    // The part declares `import html`; its filter used the file's own `escape` instead, in a
    // function where a local `html` would even conflict with the module.
    let text = "from markupsafe import escape\n\n\ndef page(q):\n    html = \"<p>\" + q\n    return html\n";
    let out = fixed(text, "q\n", "escape(q)\n", &["import html"]);
    assert_eq!(
        out,
        "from markupsafe import escape\n\n\ndef page(q):\n    html = \"<p>\" + escape(q)\n    return html\n"
    );
}
