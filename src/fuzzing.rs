//! The fuzzing harnesses: one function per untrusted input, shared by the `cargo fuzz` targets
//! (`fuzz/fuzz_targets/`) and by `tests/fuzz_corpus.rs`, which replays every committed corpus
//! file through the same function as a regression test. A harness returns normally for any
//! input; a panic, a hang or runaway memory is the bug the fuzzer looks for. Where the output
//! has a contract (a JSON or SARIF report parses as JSON), the harness asserts it.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::encoding::SourceEncoding;
use crate::pipeline::{Cache, Scanner};
use crate::report::{render, Format, RenderOptions, RunMeta};
use crate::rules::{parse_rule, Catalog, Engine};
use crate::scan::ScanOutcome;
use crate::suppress::{comment_suppresses, CommentIndex};

/// The embedded catalogue's engine, built once per process.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let catalog = Catalog::embedded().expect("the embedded rules load");
        Engine::new(catalog).expect("the embedded rules compile")
    })
}

/// Python source (any bytes) → decoding (BOM, PEP 263) → static scan with every rule → all
/// four report formats. UTF-8 and latin-1 text must encode back to the same bytes.
pub fn scan_and_render(data: &[u8]) {
    let Ok(decoded) = crate::encoding::decode(data) else {
        return;
    };
    if matches!(
        decoded.encoding,
        SourceEncoding::Utf8 { .. } | SourceEncoding::Latin1
    ) {
        let back = crate::encoding::encode(&decoded.text, decoded.encoding);
        assert_eq!(
            back.as_deref(),
            Ok(data),
            "{:?} does not round-trip",
            decoded.encoding
        );
    }
    let text = decoded.text.as_str();
    let engine = engine();
    let scanner = Scanner::new(engine, Default::default());
    let result = scanner.scan_file(None, &mut Cache::disabled(), "fuzz.py", text, &mut |_| {});
    let outcome = ScanOutcome {
        findings: result.findings,
        diagnostics: result.diagnostics,
        files_scanned: 1,
    };
    let opts = RenderOptions {
        meta: RunMeta::new(engine.catalog(), vec!["pyward".into()]),
        ..RenderOptions::default()
    };
    for format in [Format::Text, Format::Markdown, Format::Json, Format::Sarif] {
        let out = render(format, &outcome, engine.catalog(), &opts);
        if matches!(format, Format::Json | Format::Sarif) {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&out) {
                panic!("{format:?} report is not JSON: {e}\n{out}");
            }
        }
    }
}

/// A GGUF file (any bytes) → header, metadata and tensor table → model and tokenizer, on the
/// CPU. The bytes go through a file of this process's own, as the loader reads from a path.
pub fn load_gguf(data: &[u8]) {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("pyward-fuzz-{}.gguf", std::process::id()))
    });
    if std::fs::write(path, data).is_err() {
        return;
    }
    let opts = crate::llm::load::LoadOptions::default();
    if let Ok(model) = crate::llm::load::load_gguf(path, &candle_core::Device::Cpu, &opts) {
        let _ = crate::llm::tokenizer::TextTokenizer::from_gguf(&model.content, path);
    }
}

/// A rule file (any bytes) → parsed, checked and compiled alone → run on a small program that
/// exercises calls, imports, strings and taint.
pub fn load_rule(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = parse_rule("python/fuzz/PW999.toml", text) else {
        return;
    };
    let Ok(catalog) = Catalog::from_specs(vec![spec]) else {
        return;
    };
    let Ok(engine) = Engine::new(catalog) else {
        return;
    };
    let program = "import os, subprocess\nfrom flask import request\n\n\
                   def f(x):\n    cmd = request.args['c'] + x\n    \
                   subprocess.run(cmd, shell=True)  # nosec B602\n    \
                   return os.system(f\"ls {cmd}\")\n";
    let _ = engine.scan_source("fuzz.py", program);
}

/// A comment (any bytes) → the suppression parser, against every rule of the catalogue,
/// alone and through the per-line index.
pub fn suppression(data: &[u8]) {
    let Ok(comment) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = engine().catalog();
    let mut index = CommentIndex::default();
    index.add(1, comment);
    for rule in catalog.rules() {
        let direct = comment_suppresses(comment, rule);
        let indexed = index.suppression_for(rule, &[1]);
        // The index keeps only comments that can suppress something: never one that the
        // parser would honour.
        if direct.is_some() {
            assert!(
                indexed.is_some(),
                "{comment:?} suppresses {} directly only",
                rule.id
            );
        }
    }
}
