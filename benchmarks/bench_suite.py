#!/usr/bin/env python3
"""Wall time of the whole shipped suite and of each scenario, and verdict flips across repeats.

    .venv/bin/python benchmarks/bench_suite.py [--repeat 5] [--scenarios scenarios/] [-n 2]

One untimed run first warms the build cache (images and binaries are cached by source hash), so
the timed runs measure what CI measures on a warm cache. Targets: the suite in at most 3 minutes
on 2 cores, each scenario in at most 20 s, and zero verdict flips.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO, median  # noqa: E402


def run_suite(scenarios: str, report: Path, xdist: str | None) -> tuple[float, int, list[dict]]:
    cmd = [sys.executable, "-m", "pytest", "--goleak", scenarios, "--goleak-report", str(report), "-q",
           "-p", "no:cacheprovider"] + (["-n", xdist] if xdist else [])
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL,
                          check=False)
    wall = time.monotonic() - t0
    data = json.loads((report / "results.json").read_text())
    return wall, proc.returncode, data["scenarios"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenarios", default="scenarios/")
    ap.add_argument("-n", dest="xdist", default=None, help="pytest-xdist workers")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="goleak-bench-suite-") as tmp:
        run_suite(args.scenarios, Path(tmp) / "warm", args.xdist)
        for i in range(args.repeat):
            wall, rc, scenarios = run_suite(args.scenarios, Path(tmp) / f"run{i}", args.xdist)
            runs.append({"wall_s": wall, "exit": rc, "scenarios": {s["name"]: {
                "verdict": s["verdict"], "passed": s["passed"], "duration_s": s["duration_s"],
                "culprit": s["culprits"][0]["function"] if s.get("culprits") else None} for s in scenarios}})
            print(f"run {i + 1}: {wall:6.1f} s, exit {rc}, "
                  f"{sum(s['passed'] for s in scenarios)}/{len(scenarios)} passed", flush=True)
    names = sorted(runs[0]["scenarios"])
    print(f"\n{'scenario':<24} {'median s':>8} {'max s':>6}  verdicts over {len(runs)} runs   culprits")
    flips = 0
    for name in names:
        per = [r["scenarios"].get(name) for r in runs]
        durations = [p["duration_s"] for p in per if p]
        verdicts = [p["verdict"] if p else "missing" for p in per]
        culprits = {p["culprit"] for p in per if p and p["verdict"] == "leak"}
        flipped = len(set(verdicts)) > 1 or not all(p and p["passed"] for p in per) or len(culprits) > 1
        flips += flipped
        print(f"{name:<24} {median(durations):>8.1f} {max(durations):>6.1f}  {' '.join(verdicts):<30} "
              f"{', '.join(sorted(c for c in culprits if c)) or '-'}{'   FLIP' if flipped else ''}")
    walls = [r["wall_s"] for r in runs]
    print(f"\nsuite wall time: median {median(walls):.1f} s (min {min(walls):.1f}, max {max(walls):.1f}) over "
          f"{len(runs)} runs; scenarios with a flip or a failure: {flips}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 1 if flips else 0


if __name__ == "__main__":
    sys.exit(main())
