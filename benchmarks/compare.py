#!/usr/bin/env python3
"""Compare two benchmark JSON files: ``python benchmarks/compare.py A.json B.json``.

Prints every numeric figure present in both (nested keys joined with dots, e.g.
``invoke_ms.p50``) with A, B and the ratio B/A; ratios beyond --flag (default 10%)
are marked. Machine and text fields are compared for equality so you see when two
runs did not measure the same thing (other CPU, runtime, threads, model).
"""

from __future__ import annotations

import argparse
import json
import sys

SAME_KEYS = ("benchmark", "model_name", "threads", "runtime", "delegate", "realtime",
             "machine.cpu", "machine.cores", "machine.governor", "machine.runtime")
SKIP_PREFIXES = ("machine.", "_")


def flatten(d: object, prefix: str = "") -> dict:
    """Nested dicts -> {'a.b': value}; lists are kept as values."""
    out: dict = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flatten(v, f"{prefix}{k}."))
    else:
        out[prefix[:-1]] = d
    return out


def compare(a: dict, b: dict, flag: float = 0.10) -> list[str]:
    """Report lines: differing identity fields first, then numeric ratios."""
    fa, fb = flatten(a), flatten(b)
    lines = []
    for k in SAME_KEYS:
        if (k in fa or k in fb) and fa.get(k) != fb.get(k):
            lines.append(f"! {k}: {fa.get(k)!r} vs {fb.get(k)!r}")
    lines.append(f"{'figure':40s} {'A':>12s} {'B':>12s} {'B/A':>8s}")
    for k in sorted(set(fa) & set(fb)):
        if k.startswith(SKIP_PREFIXES) or k.endswith(".count"):
            continue
        va, vb = fa[k], fb[k]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (va, vb)):
            continue
        if va == 0:
            ratio = "   n/a"
            mark = ""
        else:
            r = vb / va
            ratio = f"{r:8.3f}"
            mark = "  *" if abs(r - 1.0) > flag else ""
        lines.append(f"{k:40s} {va:12.4g} {vb:12.4g} {ratio}{mark}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--flag", type=float, default=0.10,
                    help="mark ratios further than this from 1 (default 0.10)")
    args = ap.parse_args(argv)
    try:
        with open(args.a) as fa, open(args.b) as fb:
            a, b = json.load(fa), json.load(fb)
    except (OSError, ValueError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    print("\n".join(compare(a, b, args.flag)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
