#!/usr/bin/env python3
"""Verdicts, culprits and figures of two runs of the same scenarios side by side (e.g. Docker
against --goleak-runtime=local):

    .venv/bin/python benchmarks/compare_runtimes.py DOCKER/results.json LOCAL/results.json

Per scenario: both verdicts and top culprits (a mismatch is marked ``!!``) and the slopes per 1k
requests of the heap, objects and goroutines under each. Then, per signal, the median and the
largest absolute difference of the slopes, over the scenarios where both runs measured it.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

SIGNALS = ("heap_inuse_bytes", "heap_objects", "goroutines")


def load(path: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in json.loads(Path(path).read_text())["scenarios"]}


def top(s: dict[str, Any]) -> str:
    return s["culprits"][0]["function"] if s.get("culprits") and s["verdict"] == "leak" else "-"


def slope(s: dict[str, Any], signal: str) -> float | None:
    got = s.get("signals", {}).get(signal)
    return None if got is None else got["slope_per_1k"]


def main() -> int:
    a, b = load(sys.argv[1]), load(sys.argv[2])
    diffs: dict[str, list[float]] = {k: [] for k in SIGNALS}
    mismatches = 0
    print(f"{'scenario':22} {'verdicts':16} {'culprits':44} " + " ".join(f"{k[:14]:>23}" for k in SIGNALS))
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        same = x["verdict"] == y["verdict"] and top(x) == top(y)
        mismatches += not same
        cells = []
        for k in SIGNALS:
            p, q = slope(x, k), slope(y, k)
            if p is not None and q is not None:
                diffs[k].append(abs(p - q))
            cells.append(f"{_f(p, k):>11} {_f(q, k):>11}")
        culprits = top(x) if top(x) == top(y) else f"{top(x)} / {top(y)}"
        print(f"{'!!' if not same else '  '}{name:20} {x['verdict']:>7} {y['verdict']:<8} {culprits[:44]:44} "
              + " ".join(cells))
    print(f"\n{len(set(a) & set(b))} scenarios in both, {mismatches} with another verdict or culprit")
    for k, d in diffs.items():
        if d:
            print(f"{k:18} |slope difference| per 1k requests: median {_f(statistics.median(d), k)}, "
                  f"max {_f(max(d), k)}")
    return 1 if mismatches else 0


def _f(v: float | None, signal: str) -> str:
    if v is None:
        return "-"
    return f"{v / 1024:.1f}KiB" if signal.endswith("_bytes") else f"{v:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
