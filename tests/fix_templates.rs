//! Fix templates rewrite as documented: each case scans a snippet, applies the edits of one
//! rule with the imports they declare (as `pyward fix` does), and compares the result with the
//! expected text. Beside these cases, every rule with a template has a fixed file
//! (`rules/python/<category>/PWnnn.fixed.py`, checked by `tests/rules_fixed.rs`).

use pyward::pipeline::template::apply_template;
use pyward::rules::{Catalog, Engine};

fn engine() -> Engine {
    Engine::new(Catalog::embedded().expect("catalogue loads")).expect("engine compiles")
}

/// Applies every edit of rule `id` found in `src` (edits never overlap within one rule), and
/// the imports they need.
fn apply(engine: &Engine, id: &str, src: &str) -> String {
    let scan = engine.scan_source("fix.py", src);
    let mut edits: Vec<_> = scan
        .findings
        .iter()
        .filter(|f| f.rule_id == id)
        .flat_map(|f| f.fixes.iter().cloned())
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.start_byte));
    edits.dedup_by(|a, b| a.start_byte == b.start_byte && a.end_byte == b.end_byte);
    let Some(line) = edits.iter().map(|e| e.span.start_line).min() else {
        return src.to_string();
    };
    match apply_template(src, &edits, line, line) {
        Ok(p) => p.text,
        Err(e) => format!("{id}: template does not apply: {e}\n"),
    }
}

#[test]
fn fix_templates_rewrite_as_documented() {
    let e = engine();
    let cases: &[(&str, &str, &str)] = &[
        ("PW320", "import hashlib\nh = hashlib.md5(data)\n", "import hashlib\nh = hashlib.sha256(data)\n"),
        // A file that imports only `md5` gets `import hashlib` for the rewritten call, and
        // loses the import of `md5`, now unused.
        (
            "PW320",
            "from hashlib import md5\n\nh = md5(data)\n",
            "import hashlib\n\nh = hashlib.sha256(data)\n",
        ),
        // `secrets` is imported once, with the other imports; `random` goes when unused.
        (
            "PW340",
            "import random\ntoken = ''.join(random.choice(abc) for _ in range(8))\n",
            "import secrets\ntoken = ''.join(secrets.choice(abc) for _ in range(8))\n",
        ),
        (
            "PW340",
            "import random\nimport secrets\napi_key = random.choice(abc)\nreset_token = random.choice(abc)\nseed = random.random()\n",
            "import random\nimport secrets\napi_key = secrets.choice(abc)\nreset_token = secrets.choice(abc)\nseed = random.random()\n",
        ),
        // Only `random.choice` has a mechanical `secrets` equivalent; other calls get no edit.
        ("PW340", "import random\ntoken = random.getrandbits(64)\n", "import random\ntoken = random.getrandbits(64)\n"),
        ("PW344", "import secrets\nt = secrets.token_hex(nbytes=4)\n", "import secrets\nt = secrets.token_hex(nbytes=32)\n"),
        (
            "PW350",
            "import requests\nrequests.get(u, verify=False, timeout=5)\n",
            "import requests\nrequests.get(u, timeout=5)\n",
        ),
        ("PW351", "import ssl\nc = ssl._create_unverified_context()\n", "import ssl\nc = ssl.create_default_context()\n"),
        (
            "PW360",
            "import ssl\nc = ssl.SSLContext(ssl.PROTOCOL_TLSv1)\nc.minimum_version = ssl.TLSVersion.TLSv1\n",
            "import ssl\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nc.minimum_version = ssl.TLSVersion.TLSv1_2\n",
        ),
        (
            "PW361",
            "from OpenSSL import SSL\nc = SSL.Context(SSL.TLSv1_METHOD)\n",
            "from OpenSSL import SSL\nc = SSL.Context(SSL.TLS_METHOD)\n",
        ),
        ("PW381", "import ftplib\nf = ftplib.FTP(host)\n", "import ftplib\nf = ftplib.FTP_TLS(host)\n"),
        (
            "PW381",
            "from ftplib import FTP\nf = FTP(host)\n",
            "import ftplib\nf = ftplib.FTP_TLS(host)\n",
        ),
        ("PW401", "import os\nos.umask(mask=0)\n", "import os\nos.umask(mask=0o002)\n"),
        ("PW401", "import os\nos.umask(0o770)\n", "import os\nos.umask(0o772)\n"),
        (
            "PW410",
            "app.run(port=5000, debug=True)\n",
            "import os\n\napp.run(port=5000, debug=os.environ.get(\"FLASK_DEBUG\") == \"1\")\n",
        ),
        (
            "PW411",
            "DEBUG = True\nINSTALLED_APPS = ['shop']\n",
            "import os\n\nDEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\"\nINSTALLED_APPS = ['shop']\n",
        ),
        (
            "PW420",
            "HOST = '0.0.0.0'\nBIND = \"::\"\n",
            "HOST = \"127.0.0.1\"\nBIND = \"::1\"\n",
        ),
        // The algorithm the file signs with is the one decoding accepts; with none named, no fix.
        (
            "PW451",
            "import jwt\ntok = jwt.encode(c, k, algorithm=\"HS256\")\njwt.decode(t, k, verify=False)\n",
            "import jwt\ntok = jwt.encode(c, k, algorithm=\"HS256\")\njwt.decode(t, k, algorithms=[\"HS256\"])\n",
        ),
        ("PW451", "import jwt\njwt.decode(t, k, verify=False)\n", "import jwt\njwt.decode(t, k, verify=False)\n"),
        (
            "PW470",
            "r.set_cookie('s', v, secure=False, httponly=True)\n",
            "r.set_cookie('s', v, secure=True, httponly=True, samesite=\"Lax\")\n",
        ),
        (
            "PW471",
            "r.set_cookie('s', v, secure=True, httponly=False)\n",
            "r.set_cookie('s', v, secure=True, httponly=True)\n",
        ),
        ("PW472", "SESSION_COOKIE_SECURE = False\n", "SESSION_COOKIE_SECURE = True\n"),
        (
            "PW510",
            "import requests\nrequests.get(u, timeout=None)\n",
            "import requests\nrequests.get(u, timeout=10)\n",
        ),
    ];
    let mut bad = Vec::new();
    for (id, src, want) in cases {
        let got = apply(&e, id, src);
        if got != *want {
            bad.push(format!("{id}: fixing\n{src}gave\n{got}expected\n{want}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n---\n"));
}

#[test]
fn fixed_code_no_longer_triggers_the_rule() {
    let e = engine();
    let cases: &[(&str, &str)] = &[
        ("PW320", "import hashlib\nh = hashlib.md5(data)\n"),
        (
            "PW350",
            "import requests\nrequests.get(u, verify=False, timeout=5)\n",
        ),
        (
            "PW360",
            "import ssl\nc = ssl.SSLContext(ssl.PROTOCOL_TLSv1)\n",
        ),
        ("PW410", "app.run(debug=True)\n"),
        ("PW420", "HOST = '0.0.0.0'\n"),
        ("PW472", "SESSION_COOKIE_HTTPONLY = False\n"),
        ("PW510", "import requests\nrequests.get(u, timeout=None)\n"),
    ];
    for (id, src) in cases {
        let before = e.scan_source("fix.py", src);
        assert!(
            before.findings.iter().any(|f| f.rule_id == *id),
            "{id} should fire on {src}"
        );
        let fixed = apply(&e, id, src);
        let after = e.scan_source("fix.py", &fixed);
        assert!(
            !after.findings.iter().any(|f| f.rule_id == *id),
            "{id} still fires after its fix:\n{fixed}"
        );
    }
}
