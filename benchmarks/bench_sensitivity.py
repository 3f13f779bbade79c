#!/usr/bin/env python3
"""The smallest per-request leak detected at the default request count and default budgets.

    .venv/bin/python benchmarks/bench_sensitivity.py [--sizes 0,8,16,32,64,128,256,512,1024,4096] [--repeats 3]

Each size is a scenario of benchmarks/stock_service (standard library and stock net/http/pprof
only, as a user's service; one retained allocation of LEAK_BYTES per request) with nothing but
defaults: 2,000 requests after warm-up, 6 snapshots, the default budgets, MemProfileRate and
extension. Size 0 is the clean control. With --repeats, each size runs that many times
(interleaved) and a size counts as detected only when every repeat caught it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO  # noqa: E402
from pytest_goleak.units import format_bytes  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,8,16,32,64,128,256,512,1024,4096")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    reps = range(args.repeats)
    with tempfile.TemporaryDirectory(prefix="goleak-bench-sens-") as tmp:
        scen = Path(tmp) / "scenarios"
        scen.mkdir()
        fixture = REPO / "benchmarks" / "stock_service"
        for r in reps:
            for size in sizes:
                (scen / f"leak_{size:05d}_{r}.goleak.yaml").write_text(
                    f"fixture: {fixture}\nenv: {{LEAK_BYTES: '{size}'}}\nload: {{path: /work}}\n")
        report = Path(tmp) / "report"
        subprocess.run([sys.executable, "-m", "pytest", "--goleak", str(scen), "--goleak-report", str(report), "-q",
                        "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, timeout=3600, check=False,
                       stdin=subprocess.DEVNULL)
        results = {s["name"]: s for s in json.loads((report / "results.json").read_text())["scenarios"]}
    print(f"{'leak/request':>12}  {'verdict':<8} {'heap/1k':>10} {'objects/1k':>10}  budgets exceeded   culprit")
    caught: dict[int, int] = {}
    for size, r in ((size, r) for r in reps for size in sizes):
        s = results[f"leak_{size:05d}_{r}"]
        sig = s.get("signals", {})
        heap = sig.get("heap_inuse_bytes", {}).get("slope_per_1k")
        objs = sig.get("heap_objects", {}).get("slope_per_1k")
        over = [n for n, c in (s.get("budgets") or {}).items() if c.get("exceeded")]
        culprit = s["culprits"][0]["function"] if s.get("culprits") and s["verdict"] == "leak" else "-"
        caught[size] = caught.get(size, 0) + (s["verdict"] == "leak")
        print(f"{format_bytes(size):>12}  {s['verdict']:<8} {format_bytes(heap or 0):>10} {objs or 0:>10.0f}  "
              f"{', '.join(over) or '-':<18} {culprit}")
    detected = [size for size in sizes if size and caught.get(size) == args.repeats]
    smallest = min(detected) if detected else None
    print(f"\nsmallest per-request leak detected with defaults in every one of {args.repeats} repeat(s): "
          f"{format_bytes(smallest) if smallest else 'none'}; control (0 B) flagged in "
          f"{caught.get(0, 0)} of {args.repeats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
