//! Functions passed to calls that run them: `map(eval, items)`, `pool.map(os.remove, paths)`,
//! `executor.submit(os.system, cmd)`, `Thread(target=os.system, args=(cmd,))`. The callers are
//! listed as `[[runs-function]]` in `rules/python/_taint/sources.toml`; a sink passed to one is
//! checked as a call of that sink with the arguments that follow it.

use tree_sitter::Node;

use super::TaintEngine;
use crate::rules::args::{unparen, CallArgs};
use crate::syntax_fields::KindName;

impl TaintEngine {
    /// When `call` (whose callee resolved to `qual` / `method`) runs a function passed to it:
    /// the node naming that function and the arguments the function will get.
    pub(crate) fn passed_function<'t>(
        &self,
        qual: Option<&str>,
        method: Option<&str>,
        call: Node<'t>,
        src: &'t str,
    ) -> Option<(Node<'t>, CallArgs<'t>)> {
        if self.runners.is_empty() {
            return None;
        }
        let mut hit = None;
        self.runners.lookup(qual, method, |i| {
            hit.get_or_insert(*i);
        });
        let spec = &self.runner_specs[hit? as usize];
        let args = CallArgs::of_call(call, src);
        let by_position = spec.function.and_then(|p| {
            args.positional
                .get(p)
                .map(|f| (*f, args.positional[p + 1..].to_vec()))
        });
        let (func, mut positional) = match by_position {
            Some(found) => found,
            None => {
                let kw = spec.keyword.as_deref()?;
                let (_, f) = args.keywords.iter().find(|(n, _)| *n == kw)?;
                (*f, Vec::new())
            }
        };
        if !matches!(func.kind_name(), "identifier" | "attribute") {
            return None;
        }
        if let Some(k) = spec.args_keyword.as_deref() {
            if let Some((_, v)) = args.keywords.iter().find(|(n, _)| *n == k) {
                let v = unparen(*v);
                if matches!(v.kind_name(), "tuple" | "list") {
                    let mut c = v.walk();
                    positional.extend(
                        v.named_children(&mut c)
                            .filter(|a| a.kind_name() != "comment"),
                    );
                }
            }
        }
        let passed = CallArgs {
            positional,
            ..CallArgs::default()
        };
        Some((func, passed))
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::{Catalog, Engine};

    fn ids(code: &str) -> Vec<String> {
        let engine = Engine::new(Catalog::embedded().expect("catalog")).expect("engine");
        let mut ids: Vec<String> = engine
            .scan_source("t.py", code)
            .findings
            .into_iter()
            .map(|f| format!("{}:{}", f.rule_id, f.span.start_line))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_sink_passed_to_map_or_an_executor_is_checked_with_the_mapped_data() {
        let code = r#"import os
from concurrent.futures import ThreadPoolExecutor
from flask import request

pool = ThreadPoolExecutor()

def handler():
    names = request.args.getlist("f")
    cmd = "ping " + request.args["host"]
    pool.map(os.remove, names)
    pool.submit(os.system, cmd)
    pool.submit(os.system, "uptime")
    list(map(len, names))
"#;
        let found = ids(code);
        assert!(found.iter().any(|f| f == "PW130:10"), "{found:?}");
        assert!(found.iter().any(|f| f == "PW102:11"), "{found:?}");
        assert!(
            !found
                .iter()
                .any(|f| f.ends_with(":12") || f.ends_with(":13")),
            "{found:?}"
        );
    }

    #[test]
    fn a_thread_target_gets_the_args_tuple() {
        let code = r#"import os
import threading
from flask import request

def handler():
    cmd = request.form["cmd"]
    threading.Thread(target=os.system, args=(cmd,)).start()
    threading.Thread(target=os.system, args=("true",)).start()
"#;
        let found = ids(code);
        assert!(found.iter().any(|f| f == "PW102:7"), "{found:?}");
        assert!(!found.iter().any(|f| f.ends_with(":8")), "{found:?}");
    }

    #[test]
    fn a_helper_mapping_eval_over_its_parameter_is_followed_from_the_handler() {
        let code = r#"from fastapi import FastAPI
app = FastAPI()

def parse_all(items):
    return list(map(eval, items))

@app.post("/n")
def normalise(values: list[str]):
    return parse_all(values)
"#;
        let found = ids(code);
        assert!(found.iter().any(|f| f.starts_with("PW126:")), "{found:?}");
    }
}
