#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a cycle.

A module is a file under src/ (`src/rules/engine/mod.rs` is `rules::engine`, `src/lib.rs` and
`src/main.rs` the crate root, which is left out). Its dependencies are the modules named by its
`crate::` paths (`use crate::a::b::{c, d}` and inline `crate::a::b::f()`), each resolved to the
longest existing module prefix, outside comments and unit-test modules. A dependency of a
module on its own parent or child is kept: a cycle through them is still a cycle.

    scripts/check-cycles.py [SRC_DIR]      exit 0: no cycle; 1: cycles, listed
"""
import re
import sys
from pathlib import Path


def module_name(src: Path, file: Path) -> str:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return "::".join(parts)


def strip(text: str) -> str:
    text = re.sub(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{.*", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def paths_in(text: str):
    """Every `crate::` path, with `use` groups expanded one level (`crate::a::{b, c::d}`)."""
    for m in re.finditer(r"crate::((?:\w+::)*)(\{[^;]*?\}|\w+)", text):
        prefix, tail = m.group(1), m.group(2)
        if tail.startswith("{"):
            for item in re.split(r",", tail[1:-1]):
                item = re.sub(r"\s+as\s+\w+|\s+", "", item).split("::{")[0]
                if item:
                    yield (prefix + item).rstrip(":")
        else:
            yield prefix + tail


def resolve(path: str, modules: set) -> str:
    parts = path.split("::")
    for n in range(len(parts), 0, -1):
        cand = "::".join(parts[:n])
        if cand in modules:
            return cand
    return ""


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    files = {module_name(src, f): f for f in sorted(src.rglob("*.rs"))}
    modules = set(files) - {""}
    graph = {m: set() for m in modules}
    for m in modules:
        for p in paths_in(strip(files[m].read_text(encoding="utf-8"))):
            dep = resolve(p, modules)
            if dep and dep != m:
                graph[m].add(dep)
    found = cycles(graph)
    for comp in found:
        print(f"import cycle of {len(comp)}: {', '.join(comp)}")
        for m in comp:
            inner = sorted(d for d in graph[m] if d in comp)
            print(f"  {m} -> {', '.join(inner)}")
    print(f"{len(found)} cycles over {len(modules)} modules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
