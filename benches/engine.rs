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
