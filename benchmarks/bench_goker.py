#!/usr/bin/env python3
"""The GoBench goker corpus, deterministic cases, judged by the harness as users' services.

    .venv/bin/python benchmarks/bench_goker.py [-k EXPR] [--report DIR]

Runs ``pytest --goleak --goleak-corpus goker`` (Docker runtime, default budgets, the per-case
load of pytest_goleak/corpora/goker.py) in an empty directory, then reads results.json and
prints, per case: the verdict, the top culprit, and whether it agrees with the goroutines Go's
own runtime test expects (pytest_goleak/corpora/goker_cases.py):

- ``held``: the top culprit is a goroutine started by an expected function, in the expected
  wait state (how Go's test identifies a leaked goroutine);
- ``named``: the culprit function the harness names (``culprits[0].function``, the leaf-most
  frame of the user's code) is itself one of the expected start functions.

Then the totals (detected, held, named) and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pytest_goleak.corpora import goker  # noqa: E402
from pytest_goleak.corpora.goker_cases import BY_NAME, CASES  # noqa: E402

PYTEST = Path(sys.executable).with_name("pytest")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("-k", default=None, help="pytest -k expression over the case names")
    ap.add_argument("--report", type=Path, default=None, help="where to keep the goleak report")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="goleak-goker-") as tmp:
        report = args.report or Path(tmp, "report")
        cmd = [str(PYTEST), "--goleak", "--goleak-corpus", "goker", "-p", "no:cacheprovider", "-q",
               "--goleak-report", str(report), *(["-k", args.k] if args.k else [])]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=3 * 3600, check=False,
                              env={**os.environ, "PATH": f"/usr/local/go/bin:{os.environ.get('PATH', '')}"})
        wall = time.monotonic() - t0
        path = report / "results.json"
        if not path.is_file():
            print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n")
            return 2
        results = json.loads(path.read_text())
    return _print(results, wall)


def _print(results: dict, wall: float) -> int:
    rows = {s["name"].removeprefix("goker_"): s for s in results["scenarios"]}
    detected = held = named = 0
    print(f"{'case':<16} {'verdict':<8} {'held':<5} {'named':<5} top culprit [state] (start function)")
    for case in CASES:
        s = rows.get(case.name)
        if s is None:
            continue
        top = (s.get("culprits") or [None])[0]
        a = goker.agreement(BY_NAME[case.name], top)
        detected += s["verdict"] == "leak"
        held += a.held
        named += a.named
        what = f"{top['function']} [{a.state}] ({a.start_function})" if top else (s.get("error") or s["message"])
        print(f"{case.name:<16} {s['verdict']:<8} {'yes' if a.held else 'NO':<5} {'yes' if a.named else 'no':<5} "
              f"{str(what).splitlines()[0][:150]}")
    n = sum(1 for c in CASES if c.name in rows)
    print(f"\ndetected {detected}/{n}, top culprit held an expected goroutine {held}/{n}, "
          f"named an expected start function {named}/{n}; wall time {wall:.0f} s")
    return 0 if detected == n else 1


if __name__ == "__main__":
    sys.exit(main())
