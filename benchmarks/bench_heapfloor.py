#!/usr/bin/env python3
"""The heap noise floor on clean stock-pprof services: memstats path vs profile totals, one run.

    .venv/bin/python benchmarks/bench_heapfloor.py [--repeats 5]

Every scenario is benchmarks/stock_service (standard library + stock net/http/pprof, nothing
else) keeping nothing, at defaults: 2,000 requests after warm-up, 6 snapshots. Each snapshot
carries both heap figures, so the two paths are compared on the very same run:

- ``memstats``: the ``# HeapAlloc`` / ``# HeapObjects`` lines of ``/debug/pprof/heap?gc=1&debug=1``
  (what the harness uses);
- ``profile``: the heap profile's ``inuse_space`` / ``inuse_objects`` totals of the same snapshot
  (the old fallback), at the harness's MemProfileRate (4096) and at Go's default (512 KiB).

It prints the Theil-Sen slope per 1,000 requests of each path, per scenario, and the medians of
their absolute values. A clean service should show slopes near zero; the spread is the floor
under which a budget cannot see.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO  # noqa: E402
from pytest_goleak.judge.analysis import trend  # noqa: E402
from pytest_goleak.pprof import parse  # noqa: E402
from pytest_goleak.units import format_bytes  # noqa: E402

SERVICE = REPO / "benchmarks" / "stock_service"
VARIANTS = {  # name -> (env, memprofilerate or None for the harness default)
    "idle": ({}, None),
    "churn": ({"CHURN_BYTES": "4096"}, None),
    "idle_gorate": ({}, 512 * 1024),
    "churn_gorate": ({"CHURN_BYTES": "4096"}, 512 * 1024),
}


def _scenario(env: dict[str, str], rate: int | None) -> str:
    text = f"fixture: {SERVICE}\nexpect: clean\nload: {{path: /work}}\nextension: false\n"
    if env:
        text += "env: {" + ", ".join(f"{k}: '{v}'" for k, v in env.items()) + "}\n"
    if rate:
        text += f"memprofilerate: {rate}\n"
    return text


def _profile_series(report: Path, s: dict) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    space, objects = [], []
    for snap in s["snapshots"]:
        prof = parse((report / snap["profiles"]["heap"]).read_bytes())
        x = float(snap["requests"])
        space.append((x, float(prof.total(prof.index_of("inuse_space")))))
        objects.append((x, float(prof.total(prof.index_of("inuse_objects")))))
    return space, objects


def _max_step(series: list) -> float:
    """The largest move between consecutive snapshots: the resolution a path really has."""
    ys = [float(p[1]) for p in series]
    return max((abs(b - a) for a, b in zip(ys, ys[1:], strict=False)), default=0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="goleak-bench-floor-") as tmp:
        scen = Path(tmp) / "scenarios"
        scen.mkdir()
        for r in range(args.repeats):  # interleaved: variant by variant within each repeat
            for name, (env, rate) in VARIANTS.items():
                (scen / f"floor_{r}_{name}.goleak.yaml").write_text(_scenario(env, rate))
        report = Path(tmp) / "report"
        proc = subprocess.run([sys.executable, "-m", "pytest", "--goleak", str(scen), "--goleak-report", str(report),
                               "-q", "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True,
                              timeout=3600, check=False, stdin=subprocess.DEVNULL)
        results = {s["name"]: s for s in json.loads((report / "results.json").read_text())["scenarios"]}
        rows: dict[str, list[tuple[float, ...]]] = {n: [] for n in VARIANTS}
        print(f"{'scenario':<24} {'verdict':<8} {'memstats B/1k':>14} {'obj/1k':>8} {'max step':>9}   "
              f"{'profile B/1k':>13} {'obj/1k':>8} {'max step':>9}")
        for r in range(args.repeats):
            for name in VARIANTS:
                s = results[f"floor_{r}_{name}"]
                if s["verdict"] == "error":
                    print(f"floor_{r}_{name}: error: {s['message']}")
                    continue
                sig = s["signals"]
                ms_b, ms_o = sig["heap_inuse_bytes"]["slope_per_1k"], sig["heap_objects"]["slope_per_1k"]
                assert all(x["heap_source"] == "memstats" for x in s["snapshots"]), "not the memstats path"
                space, objects = _profile_series(report, s)
                pr_b, pr_o = trend(space, "bytes").slope_per_1k, trend(objects, "count").slope_per_1k
                ms_step = _max_step(sig["heap_inuse_bytes"]["series"])
                pr_step = _max_step(space)
                rows[name].append((ms_b, ms_o, pr_b, pr_o, ms_step, pr_step))
                print(f"floor_{r}_{name:<16} {s['verdict']:<8} {format_bytes(ms_b):>14} {ms_o:>8.1f} "
                      f"{format_bytes(ms_step):>9}   {format_bytes(pr_b):>13} {pr_o:>8.1f} {format_bytes(pr_step):>9}")
    print("\nmedian |slope| per 1,000 requests over the repeats (memstats path | profile totals, same snapshots):")
    for name, vals in rows.items():
        if not vals:
            continue
        med = [statistics.median(abs(v[i]) for v in vals) for i in range(6)]
        print(f"  {name:<14} memstats {format_bytes(med[0]):>9} {med[1]:>7.1f} obj, step {format_bytes(med[4]):>9}  |  "
              f"profile {format_bytes(med[2]):>9} {med[3]:>7.1f} obj, step {format_bytes(med[5]):>9}  (n={len(vals)})")
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
