#!/usr/bin/env python3
"""Diffs two pyward JSON reports finding by finding.

    scripts/diff-reports.py BEFORE.json AFTER.json [--full]

Each finding is normalised to (rule, path, line, column, end line, end column, message); with
--full the snippet, fingerprint, suppression, taint path and fixes are compared too. Prints
every finding only in one report (and, with --full, every finding whose details changed) and a
summary line; exit status 0 when the reports agree, 1 otherwise. Order differences are reported
separately (reports are expected to list findings in one defined order).
"""
import json
import sys
from collections import Counter


def key(f):
    s = f["span"]
    return (f["rule_id"], f["path"], s["start_line"], s["start_column"], s["end_line"],
            s["end_column"], f["message"])


def details(f):
    return json.dumps({k: f.get(k) for k in
                       ("snippet", "fingerprint", "suppressed", "taint_path", "fixes", "severity",
                        "confidence", "cwe", "remediation")}, sort_keys=True)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    full = "--full" in sys.argv
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    a, b = (json.load(open(p)) for p in args)
    fa, fb = a["findings"], b["findings"]
    ca, cb = Counter(map(key, fa)), Counter(map(key, fb))
    only_a = ca - cb
    only_b = cb - ca
    for k, n in sorted(only_a.items()):
        print(f"- {k[1]}:{k[2]}:{k[3]} {k[0]} {k[6]!r}" + (f" (x{n})" if n > 1 else ""))
    for k, n in sorted(only_b.items()):
        print(f"+ {k[1]}:{k[2]}:{k[3]} {k[0]} {k[6]!r}" + (f" (x{n})" if n > 1 else ""))
    changed = 0
    if full:
        da = {}
        for f in fa:
            da.setdefault(key(f), []).append(details(f))
        db = {}
        for f in fb:
            db.setdefault(key(f), []).append(details(f))
        for k in sorted(set(da) & set(db)):
            if sorted(da[k]) != sorted(db[k]):
                changed += 1
                print(f"~ {k[1]}:{k[2]}:{k[3]} {k[0]}: details differ")
    order = [key(f) for f in fa] != [key(f) for f in fb] and not only_a and not only_b
    if order:
        print("! same findings, different order")
    da_diag = Counter(json.dumps(d, sort_keys=True) for d in a.get("diagnostics", []))
    db_diag = Counter(json.dumps(d, sort_keys=True) for d in b.get("diagnostics", []))
    for d in sorted((da_diag - db_diag).elements()):
        print(f"- diagnostic {d}")
    for d in sorted((db_diag - da_diag).elements()):
        print(f"+ diagnostic {d}")
    nd = sum((da_diag - db_diag).values()) + sum((db_diag - da_diag).values())
    print(f"{len(fa)} vs {len(fb)} findings: {sum(only_a.values())} only before, "
          f"{sum(only_b.values())} only after, {changed} changed, "
          f"{'order differs' if order else 'same order'}, {nd} diagnostics differ")
    return 0 if not (only_a or only_b or changed or order or nd) else 1


if __name__ == "__main__":
    sys.exit(main())
