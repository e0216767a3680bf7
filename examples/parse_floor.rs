//! The floor under any tree-sitter engine: read and parse every `.py` file under a folder with
//! tree-sitter-python, one parser per thread, and drop each tree, doing nothing else.
//!
//!   cargo run --release --example parse_floor -- DIR
//!
//! `scripts/bench-static.sh` times it next to pyward and ruff: pyward cannot take less time
//! than this while it parses with tree-sitter. It uses pyward's allocators (mimalloc for both
//! Rust's heap and tree-sitter's), so the floor is pyward's own. Prints the file count and the
//! bytes parsed.

use std::cell::RefCell;
use std::path::PathBuf;

use rayon::prelude::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // SAFETY: first thing in `main`, before any tree-sitter object exists and before any other
    // thread runs.
    unsafe { pyward::heap::use_mimalloc_for_tree_sitter() };
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: parse_floor DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(&dir)
        .standard_filters(false)
        .build()
    {
        match entry {
            Ok(e) if e.path().extension().is_some_and(|x| x == "py") && e.path().is_file() => {
                files.push(e.into_path())
            }
            Ok(_) => {}
            Err(e) => eprintln!("parse_floor: {e}"),
        }
    }
    thread_local! {
        static PARSER: RefCell<tree_sitter::Parser> = RefCell::new({
            let mut p = tree_sitter::Parser::new();
            p.set_language(&tree_sitter_python::LANGUAGE.into())
                .expect("tree-sitter-python loads");
            p
        });
    }
    let bytes: usize = files
        .par_iter()
        .map(|f| {
            let Ok(src) = std::fs::read(f) else {
                eprintln!("parse_floor: cannot read {}", f.display());
                return 0;
            };
            PARSER.with(|p| {
                let tree = p.borrow_mut().parse(&src, None);
                tree.map_or(0, |t| t.root_node().end_byte())
            })
        })
        .sum();
    println!("{} files, {bytes} bytes parsed", files.len());
}
