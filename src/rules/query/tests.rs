use crate::rules::schema::Pattern;
use crate::rules::Catalog;

use super::*;

/// Every query of the embedded rules is matched natively: a rule query falling back to
/// tree-sitter's query engine would cost a full extra walk per file.
#[test]
fn every_embedded_query_is_native() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let catalog = Catalog::embedded().unwrap();
    let mut set = NativeSet::default();
    let mut fallback = Vec::new();
    for (ri, rule) in catalog.rules().iter().enumerate() {
        for p in &rule.patterns {
            if let Pattern::Query { query } = p {
                if set.try_add(&lang, query, ri as u32, 0, None).is_none() {
                    fallback.push(format!("{}: {}", rule.id, query.trim()));
                }
            }
        }
    }
    assert!(fallback.is_empty(), "{fallback:#?}");
}

/// Native matching agrees with tree-sitter's query engine, match for match and in the same
/// order, for every embedded rule query on the rule fixtures and the examples (text
/// predicates included; `#qualname?` is the engine's and checked by neither here).
#[test]
fn native_matches_equal_tree_sitter_matches() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let catalog = Catalog::embedded().unwrap();
    let mut set = NativeSet::default();
    let mut queries = Vec::new();
    for (ri, rule) in catalog.rules().iter().enumerate() {
        for p in &rule.patterns {
            if let Pattern::Query { query } = p {
                let entry = queries.len() as u32;
                set.try_add(&lang, query, ri as u32, entry, None).unwrap();
                queries.push(tree_sitter::Query::new(&lang, query).unwrap());
            }
        }
    }
    let files = fixture_files();
    let mut compared = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        compared += assert_same_matches(&set, &queries, &src, &|entry| {
            let rule = set
                .patterns
                .iter()
                .find(|p| p.group as usize == entry)
                .map_or(0, |p| p.rule as usize);
            format!(
                "{}: query {entry} of rule {}",
                path.display(),
                catalog.rules()[rule].id
            )
        });
    }
    assert!(compared > 100, "only {compared} matches compared");
}

/// The rule fixtures (one folder per category under rules/python/, `.fixed.py` files left
/// out) and the example apps.
fn fixture_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs: Vec<_> = ["examples/vulnerable_app", "examples/fixed_app"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    for e in std::fs::read_dir(root.join("rules/python")).unwrap() {
        dirs.push(e.unwrap().path());
    }
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let fixed = p.to_string_lossy().ends_with(".fixed.py");
            if p.extension().is_some_and(|x| x == "py") && !fixed {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "{files:?}");
    files
}

/// The literals a pattern's regexes need are a necessary condition: on every fixture, each
/// pattern that matches (all gates open) has its literal gate open too. And most ungated
/// patterns get such a gate.
#[test]
fn literal_gates_are_open_wherever_their_pattern_matches() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let catalog = Catalog::embedded().unwrap();
    let mut set = NativeSet::default();
    for (ri, rule) in catalog.rules().iter().enumerate() {
        for p in &rule.patterns {
            if let Pattern::Query { query } = p {
                set.try_add(&lang, query, ri as u32, 0, None).unwrap();
            }
        }
    }
    let needed: Vec<Option<Vec<String>>> = set
        .patterns
        .iter()
        .map(|p| literals::needed(&p.parsed))
        .collect();
    let gated = needed.iter().filter(|n| n.is_some()).count();
    assert!(gated >= 40, "only {gated} patterns have regex literals");
    let lits: Vec<Vec<String>> = needed
        .iter()
        .map(|n| n.clone().unwrap_or_default())
        .collect();
    let gates = crate::rules::query_gate::Gates::new(&lits, &vec![true; lits.len()]);
    let mut checked = 0;
    let mut files = fixture_files();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/injection_corpus");
    for e in std::fs::read_dir(corpus).unwrap() {
        files.push(e.unwrap().path());
    }
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
    {
        let src = std::fs::read_to_string(path).unwrap();
        let tree = {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang).unwrap();
            parser.parse(&src, None).unwrap()
        };
        let flat = crate::rules::flat_tree::FlatTree::build(tree.root_node());
        let open = gates.open_for(&src);
        let mut run = set.start(src.as_bytes(), &flat, &[]);
        for i in 0..flat.len() as u32 {
            run.visit(i);
        }
        for m in run.finish() {
            let pi = m.pattern as usize;
            if needed[pi].is_some() {
                checked += 1;
                let rule = &catalog.rules()[set.patterns[pi].rule as usize].id;
                assert!(
                    open[pi],
                    "{}: {rule} (pattern {pi}) matches, but none of {:?} occurs",
                    path.display(),
                    needed[pi]
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} gated matches checked");
}

/// Matches every query of `set` (query `i` added with group `i`) natively, visiting every node
/// as the engine's walk does, and with tree-sitter's query engine; asserts both find the same
/// matches in the same order, and returns how many there were. `what(i)` names query `i`.
fn assert_same_matches(
    set: &NativeSet,
    queries: &[tree_sitter::Query],
    src: &str,
    what: &dyn Fn(usize) -> String,
) -> usize {
    use streaming_iterator::StreamingIterator;
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&lang).unwrap();
    let tree = parser.parse(src, None).unwrap();
    let flat = crate::rules::flat_tree::FlatTree::build(tree.root_node());
    let mut run = set.start(src.as_bytes(), &flat, &[]);
    for i in 0..flat.len() as u32 {
        run.visit(i);
    }
    let key = |c: &[(u32, Node)]| -> Vec<(String, usize, usize)> {
        c.iter()
            .map(|(i, n)| (set.names[*i as usize].clone(), n.start_byte(), n.end_byte()))
            .collect()
    };
    let mut native: Vec<Vec<Vec<(String, usize, usize)>>> = vec![Vec::new(); queries.len()];
    for m in run.finish() {
        let entry = set.patterns[m.pattern as usize].group as usize;
        native[entry].push(key(&m.captures));
    }
    let mut compared = 0;
    for (entry, q) in queries.iter().enumerate() {
        let mut qc = tree_sitter::QueryCursor::new();
        let mut ms = qc.matches(q, tree.root_node(), src.as_bytes());
        let mut ts = Vec::new();
        while let Some(m) = ms.next() {
            ts.push(
                m.captures()
                    .iter()
                    .map(|c| {
                        let name = q.capture_names()[c.index as usize].to_string();
                        (name, c.node.start_byte(), c.node.end_byte())
                    })
                    .collect::<Vec<_>>(),
            );
        }
        compared += ts.len();
        assert_eq!(native[entry], ts, "{}", what(entry));
    }
    compared
}

/// The shortcuts of the native matcher change no result: a `(_ (child) ...)` root, tried only
/// on parents of its first child's kind (once each, also when nested blocks are visited in
/// between), and the skeleton check that rejects a node before the full matcher runs.
#[test]
fn shortcuts_agree_with_tree_sitter() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let patterns = [
        // A wildcard root found through its first child's kind, in module and nested blocks.
        "(_ (expression_statement (assignment left: (identifier) @var)) \
            (expression_statement (call function: (attribute object: (identifier) @recv))) @match \
            (#eq? @var @recv))",
        // Alternatives as the first child step.
        "(_ [(if_statement) (for_statement)] @first (return_statement) @match)",
        // A wildcard root whose first child is a wildcard: tried on every node.
        "(_ (_) @a . (comment) @match)",
        // The skeleton must see through fields, alternatives and anchors.
        "(call function: [(identifier) @f (attribute attribute: (identifier) @f)] \
            arguments: (argument_list . (string) @s (dictionary_splat) @match))",
        "((argument_list (keyword_argument name: (identifier) @k) @match .) (#eq? @k \"shell\"))",
    ];
    let src = r#"
t = tarfile.open(p)
t.extractall(d)
if x:
    u = tarfile.open(q)
    for y in z:
        w = make()
        w.run()
        return 1
    u.extractall(e)
    return 2
def f():
    a = g()
    b.h()
    a.k()  # note
    return 3
run("x", **kw)
sub.run("y", a, **kw)
run(z, **kw)
call(a, shell=True)
call(a, shell=True, cwd=d)
"#;
    let mut set = NativeSet::default();
    let mut queries = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        set.try_add(&lang, p, 0, i as u32, None).expect(p);
        queries.push(tree_sitter::Query::new(&lang, p).unwrap());
    }
    let compared = assert_same_matches(&set, &queries, src, &|i| patterns[i].to_string());
    assert!(compared >= 8, "only {compared} matches compared");
}

/// Merging patterns that differ only in one regex finds the same (rule, reported node) pairs
/// on every fixture and the injection corpus, with fewer patterns to try.
#[test]
fn merged_regex_alternatives_report_the_same_nodes() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let catalog = Catalog::embedded().unwrap();
    let build = || {
        let mut set = NativeSet::default();
        for (ri, rule) in catalog.rules().iter().enumerate() {
            for p in &rule.patterns {
                if let Pattern::Query { query } = p {
                    set.try_add(&lang, query, ri as u32, 0, None).unwrap();
                }
            }
        }
        set
    };
    let plain = build();
    let mut merged = build();
    merge::merge_regex_alternatives(&mut merged);
    let tried = |s: &NativeSet| s.by_kind.iter().map(Vec::len).sum::<usize>();
    assert!(tried(&merged) < tried(&plain), "nothing was merged");
    let mut files = fixture_files();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/injection_corpus");
    for e in std::fs::read_dir(corpus).unwrap() {
        files.push(e.unwrap().path());
    }
    let mut compared = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
    {
        let src = std::fs::read_to_string(path).unwrap();
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang).unwrap();
        let tree = parser.parse(&src, None).unwrap();
        let flat = crate::rules::flat_tree::FlatTree::build(tree.root_node());
        let reported = |set: &NativeSet| {
            let mut run = set.start(src.as_bytes(), &flat, &[]);
            for i in 0..flat.len() as u32 {
                run.visit(i);
            }
            let mc = set.match_capture().unwrap();
            let mut out: Vec<(u32, usize, usize)> = run
                .finish()
                .iter()
                .filter_map(|m| {
                    let (_, n) = m.captures.iter().find(|(c, _)| *c == mc)?;
                    Some((
                        set.patterns[m.pattern as usize].rule,
                        n.start_byte(),
                        n.end_byte(),
                    ))
                })
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        };
        let want = reported(&plain);
        compared += want.len();
        assert_eq!(reported(&merged), want, "{}", path.display());
    }
    assert!(compared > 100, "only {compared} findings compared");
}

/// The literals of every rule regex come out the same from its ASCII reading (what
/// `regex_literals::required` parses first, for speed) as from its Unicode reading.
#[test]
fn rule_regex_literals_agree_in_ascii_and_unicode() {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let catalog = Catalog::embedded().unwrap();
    let mut names = parse::Names { names: Vec::new() };
    let mut checked = 0;
    for rule in catalog.rules() {
        for p in &rule.patterns {
            let Pattern::Query { query } = p else {
                continue;
            };
            for part in crate::rules::query_gate::top_level_patterns(query) {
                let Some(parsed) = parse::parse_pattern(part, &lang, &mut names) else {
                    continue;
                };
                for (_, pred) in &parsed.early {
                    if let TextPred::Match(_, re, _, _) = pred {
                        let re = re.as_str();
                        assert_eq!(
                            crate::rules::regex_literals::required(re),
                            crate::rules::regex_literals::required_in_unicode(re),
                            "{}: {re}",
                            rule.id
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} regexes found");
}
