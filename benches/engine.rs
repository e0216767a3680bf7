//! Static-engine costs, with divan:
//!
//!   cargo bench --bench engine
//!
//! * `catalogue_load_and_compile`: load the embedded rules and build an [`Engine`] with every
//!   query compiled ([`Engine::new_checked`]): the start-up cost of a full scan.
//! * `catalogue_load_lazy`: the same with queries left to compile on demand ([`Engine::new`]).
//! * `one_file_scan`: a fresh lazy engine scanning one small file, what `pyward scan x.py`
//!   pays (start-up plus the queries that file needs).
//! * `many_file_scan`: a warm engine over 200 generated files on one thread.
//! * `single_file_scan`: a warm engine on one generated file of 100, 1 000, 10 000 and 50 000
//!   lines (functions with calls, imports, assignments, strings, a few findings): parse, walk,
//!   native query matching, taint, findings; the per-file cost should grow linearly.
//! * `many_module_assignments`: one file of N top-level assignments, the shape that made
//!   tree-sitter's query engine cubic (a module-rooted rule pattern with two sibling steps).

use std::sync::OnceLock;

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use pyward::rules::{Catalog, Engine};

fn main() {
    divan::main();
}

const ONE_FILE: &str = "import os\nimport subprocess\n\n\ndef run(request):\n    host = request.args.get('h')\n    subprocess.run(f'ping {host}', shell=True)\n    os.system('ls')\n    return eval(request.form['x'])\n";

fn corpus() -> &'static [(String, String)] {
    static C: OnceLock<Vec<(String, String)>> = OnceLock::new();
    C.get_or_init(|| {
        (0..200)
            .map(|i| {
                let mut s = String::from("import json\nimport os\nimport hashlib\n\n");
                for f in 0..12 {
                    s.push_str(&format!(
                        "def f{f}_{i}(rows, name, cur):\n    total = sum(r.x for r in rows if r.ok)\n    path = os.path.join('/srv', name)\n    data = json.loads(open(path).read())\n    h = hashlib.sha256(name.encode()).hexdigest()\n    if {i} % 7 == {f}:\n        cur.execute('SELECT * FROM t WHERE n = ' + name)\n    return total, data, h\n\n"
                    ));
                }
                (format!("gen/m{i:03}.py"), s)
            })
            .collect()
    })
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn catalogue_load_and_compile() -> Engine {
    Engine::new_checked(Catalog::embedded().expect("rules")).expect("engine")
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn catalogue_load_lazy() -> Engine {
    Engine::new(Catalog::embedded().expect("rules")).expect("engine")
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn one_file_scan() -> usize {
    let e = Engine::new(Catalog::embedded().expect("rules")).expect("engine");
    e.scan_source("one.py", black_box(ONE_FILE)).findings.len()
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn many_file_scan(bencher: Bencher) {
    let e = Engine::new_checked(Catalog::embedded().expect("rules")).expect("engine");
    let c = corpus();
    bencher.counter(ItemsCount::new(c.len())).bench(|| {
        c.iter()
            .map(|(l, t)| e.scan_source(l, t).findings.len())
            .sum::<usize>()
    });
}

/// A file of about `lines` lines: functions mixing ordinary code and a few vulnerable calls.
fn sized_file(lines: usize) -> String {
    let mut s =
        String::from("import os\nimport subprocess\nimport hashlib\nfrom flask import request\n\n");
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "def handler_{i}(name, rows, cur):\n    \"\"\"Handle request {i}.\"\"\"\n    total = sum(r.x for r in rows if r.ok)\n    path = os.path.join('/srv', name)\n    token = hashlib.sha256(name.encode()).hexdigest()\n    if {i} % 13 == 0:\n        subprocess.run('ls ' + name, shell=True)\n    if {i} % 17 == 0:\n        cur.execute('SELECT * FROM t WHERE n = ' + request.args['n'])\n    return {{'total': total, 'path': path, 'token': token}}\n\n"
        ));
        i += 1;
    }
    s
}

#[divan::bench(args = [100, 1_000, 10_000, 50_000], sample_count = 10)]
fn single_file_scan(bencher: Bencher, lines: usize) {
    let e = Engine::new(Catalog::embedded().expect("rules")).expect("engine");
    let src = sized_file(lines);
    bencher
        .counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| e.scan_source("sized.py", black_box(&src)).findings.len());
}

#[divan::bench(args = [100, 1_000, 5_000], sample_count = 10)]
fn many_module_assignments(bencher: Bencher, n: usize) {
    let e = Engine::new(Catalog::embedded().expect("rules")).expect("engine");
    let mut src = String::from("DEBUG = False\n");
    for i in 0..n {
        src.push_str(&format!("ERROR_CODE_{i}: int = {i}\n"));
    }
    src.push_str("INSTALLED_APPS = ['debug_toolbar']\n");
    bencher.bench(|| e.scan_source("settings.py", black_box(&src)).findings.len());
}
