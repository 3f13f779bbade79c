#!/usr/bin/env python3
"""The smallest per-request leak detected at the default request count and default budgets.

    .venv/bin/python benchmarks/bench_sensitivity.py [--sizes 0,8,16,32,64,128,256,512,1024,4096]
        [--bulk 4,8,16,32] [--repeats 3]

Each size is a scenario of benchmarks/stock_service (standard library and stock net/http/pprof
only, as a user's service; one retained allocation of LEAK_BYTES per request) with nothing but
defaults: 2,000 requests after warm-up, 6 snapshots, the default budgets, MemProfileRate and
extension. Size 0 is the clean control. Each --bulk size is a bulk leak (that many bytes a
request appended to one slice, no new object each) and a bounded fill of the same size (the
slice capped at 1,500 requests' worth, so it fills in the measured window: it must stay clean).
With --repeats, each size runs that many times (interleaved) and a size counts as detected only
when every repeat caught it.
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

#: A bounded fill holds this many requests' worth of bytes: full in the middle of the measured window.
FILL_REQUESTS = 1500


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,8,16,32,64,128,256,512,1024,4096")
    ap.add_argument("--bulk", default="4,8,16,32")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    bulk = [int(s) for s in args.bulk.split(",") if s]
    reps = range(args.repeats)
    kinds = [("object", size, f"LEAK_BYTES: '{size}'") for size in sizes]
    kinds += [("bulk", size, f"BULK_BYTES: '{size}'") for size in bulk]
    kinds += [("fill", size, f"BULK_BYTES: '{size}', BULK_CAP: '{size * FILL_REQUESTS}'") for size in bulk]
    with tempfile.TemporaryDirectory(prefix="goleak-bench-sens-") as tmp:
        scen = Path(tmp) / "scenarios"
        scen.mkdir()
        fixture = REPO / "benchmarks" / "stock_service"
        for r in reps:
            for kind, size, env in kinds:
                (scen / f"{kind}_{size:05d}_{r}.goleak.yaml").write_text(
                    f"fixture: {fixture}\nenv: {{{env}}}\nload: {{path: /work}}\n")
        report = Path(tmp) / "report"
        subprocess.run([sys.executable, "-m", "pytest", "--goleak", str(scen), "--goleak-report", str(report), "-q",
                        "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, timeout=3600, check=False,
                       stdin=subprocess.DEVNULL)
        results = {s["name"]: s for s in json.loads((report / "results.json").read_text())["scenarios"]}
    print(f"{'kind':<6} {'leak/request':>12}  {'verdict':<8} {'heap/1k':>10} {'objects/1k':>10}  "
          f"{'extension':<16} budgets exceeded   culprit")
    caught: dict[tuple[str, int], int] = {}
    for (kind, size, _), r in ((k, r) for r in reps for k in kinds):
        s = results[f"{kind}_{size:05d}_{r}"]
        sig = s.get("signals", {})
        heap = sig.get("heap_inuse_bytes", {}).get("slope_per_1k")
        objs = sig.get("heap_objects", {}).get("slope_per_1k")
        over = [n for n, c in (s.get("budgets") or {}).items() if c.get("exceeded")]
        culprit = s["culprits"][0]["function"] if s.get("culprits") and s["verdict"] == "leak" else "-"
        ext = s.get("extension") or {}
        ext_text = f"{ext.get('outcome', '-')}/{ext.get('stopped', '-')}" if ext else "-"
        caught[(kind, size)] = caught.get((kind, size), 0) + (s["verdict"] == "leak")
        print(f"{kind:<6} {format_bytes(size):>12}  {s['verdict']:<8} {format_bytes(heap or 0):>10} "
              f"{objs or 0:>10.0f}  {ext_text:<16} {', '.join(over) or '-':<18} {culprit}")
    n = args.repeats
    for kind in ("object", "bulk"):
        tried = [size for k, size, _ in kinds if k == kind and size]
        if not tried:
            continue
        detected = [size for size in tried if caught.get((kind, size)) == n]
        print(f"\nsmallest {kind} leak detected with defaults in every one of {n} repeat(s): "
              f"{format_bytes(min(detected)) if detected else 'none'}", end="")
    alarms = sum(c for (kind, size), c in caught.items() if kind == "fill" or size == 0)
    runs = sum(1 for kind, size, _ in kinds if kind == "fill" or size == 0) * n
    print(f"\nfalse alarms (the 0 B control and the bounded fills): {alarms} of {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
