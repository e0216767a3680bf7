//! Static-engine throughput (files/s), with divan:
//!
//!   cargo bench --bench scan
//!
//! * `engine_generated`: `Engine::scan_source` over a generated corpus (deterministic, 300 files
//!   of realistic-looking Python with a sprinkling of vulnerable calls), one thread.
//! * `engine_real`: the same over a real corpus, one thread: the first `PYWARD_BENCH_FILES`
//!   (default 400) `.py` files, in path order, of `PYWARD_BENCH_CORPUS` or else the standard
//!   library of `python3`. Skipped (with a note) when neither is available.
//! * `scan_paths_real`: `pipeline::scan_paths` over the same directory tree (discovery, reading and
//!   scanning, every core): what `pyward scan` does minus rendering.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use pyward::pipeline::run::scan_paths;
use pyward::pipeline::Scanner;
use pyward::rules::{Catalog, Engine};
use pyward::scan::ScanOptions;

fn main() {
    divan::main();
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(Catalog::embedded().expect("rules")).expect("engine"))
}

/// A deterministic pseudo-random generator (xorshift), so the corpus is the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const STATEMENTS: &[&str] = &[
    "    total = sum(item.price * item.quantity for item in items if item.active)",
    "    logger.info(\"processing %s records from %s\", len(rows), source)",
    "    result = {key: value for key, value in mapping.items() if value is not None}",
    "    path = os.path.join(base_dir, name)",
    "    data = json.loads(payload)",
    "    subprocess.run([\"git\", \"status\"], check=True)",
    "    subprocess.run(command, shell=True)",
    "    os.system(\"rm -rf \" + target)",
    "    cursor.execute(f\"SELECT * FROM t WHERE id = {ident}\")",
    "    cursor.execute(\"SELECT * FROM t WHERE id = ?\", (ident,))",
    "    digest = hashlib.sha256(blob).hexdigest()",
    "    digest = hashlib.md5(blob).hexdigest()",
    "    config = yaml.safe_load(stream)",
    "    if not isinstance(value, (int, float)):\n        raise TypeError(f\"expected a number, got {type(value).__name__}\")",
    "    for index, row in enumerate(rows):\n        if row.get(\"id\") == ident:\n            return index",
    "    with open(filename, encoding=\"utf-8\") as handle:\n        text = handle.read()",
    "    response = requests.get(url, timeout=10)",
    "    token = secrets.token_hex(16)",
];

fn generated_corpus() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        (0..300)
            .map(|i| {
                let mut src = String::from(
                    "\"\"\"Generated module.\"\"\"\nimport hashlib\nimport json\nimport logging\n\
                     import os\nimport secrets\nimport subprocess\n\nimport requests\nimport yaml\n\n\
                     logger = logging.getLogger(__name__)\n\n",
                );
                for f in 0..(8 + rng.next() % 8) {
                    src.push_str(&format!(
                        "\ndef handler_{f}(items, rows, mapping, payload, cursor, ident, url, name):\n"
                    ));
                    src.push_str("    \"\"\"Does one step of the pipeline.\"\"\"\n");
                    for _ in 0..(4 + rng.next() % 8) {
                        src.push_str(rng.pick(STATEMENTS));
                        src.push('\n');
                    }
                    src.push_str("    return None\n");
                }
                src.push_str("\n\nclass Service:\n    def __init__(self, client):\n        self.client = client\n\n    def fetch(self, key):\n        return self.client.get(key)\n");
                (format!("gen/mod_{i:03}.py"), src)
            })
            .collect()
    })
}

/// The real corpus directory: `PYWARD_BENCH_CORPUS`, else python3's standard library.
fn real_root() -> Option<&'static Path> {
    static R: OnceLock<Option<PathBuf>> = OnceLock::new();
    R.get_or_init(|| {
        if let Some(p) = std::env::var_os("PYWARD_BENCH_CORPUS") {
            return Some(PathBuf::from(p));
        }
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
            ])
            .output()
            .ok()?;
        let p = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        p.is_dir().then_some(p)
    })
    .as_deref()
}

fn collect_py(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && e.file_name() != "site-packages" {
            collect_py(&p, out);
        } else if ft.is_file() && p.extension().is_some_and(|x| x == "py") {
            out.push(p);
        }
    }
}

fn real_corpus() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| {
        let Some(root) = real_root() else {
            eprintln!("no real corpus: set PYWARD_BENCH_CORPUS or install python3");
            return Vec::new();
        };
        let limit = std::env::var("PYWARD_BENCH_FILES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(400usize);
        let mut paths = Vec::new();
        collect_py(root, &mut paths);
        paths
            .into_iter()
            .filter_map(|p| {
                let text = String::from_utf8(std::fs::read(&p).ok()?).ok()?;
                Some((p.to_string_lossy().into_owned(), text))
            })
            .take(limit)
            .collect()
    })
}

fn bench_corpus(bencher: Bencher, corpus: &'static [(String, String)]) {
    let bytes: usize = corpus.iter().map(|(_, t)| t.len()).sum();
    let engine = engine();
    bencher
        .counter(ItemsCount::new(corpus.len()))
        .counter(BytesCount::new(bytes))
        .bench(|| {
            for (label, text) in corpus {
                black_box(engine.scan_source(label, text));
            }
        });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn engine_generated(bencher: Bencher) {
    bench_corpus(bencher, generated_corpus());
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn engine_real(bencher: Bencher) {
    bench_corpus(bencher, real_corpus());
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn scan_paths_real(bencher: Bencher) {
    let Some(root) = real_root() else { return };
    let mut files = Vec::new();
    collect_py(root, &mut files);
    let paths = vec![root.to_path_buf()];
    let opts = ScanOptions {
        exclude: vec!["site-packages/".to_string()],
        ..ScanOptions::default()
    };
    let scanner = Scanner::new(engine(), Default::default());
    bencher
        .counter(ItemsCount::new(files.len()))
        .bench(|| black_box(scan_paths(&scanner, &paths, &opts)));
}
