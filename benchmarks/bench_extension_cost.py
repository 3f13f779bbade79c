#!/usr/bin/env python3
"""What the extension costs: the shipped suite, warm, side by side with the previous version.

    .venv/bin/python benchmarks/bench_extension_cost.py --baseline-tree ../oldhead [--rounds 3]

Three configurations, interleaved round by round on the same machine:

- ``previous``: the shipped suite of another checkout (``--baseline-tree``, with its own
  ``.venv``), e.g. ``git worktree add ../oldhead <commit>``;
- ``no-extension``: this tree with ``--goleak-extension-factor 1``;
- ``default``: this tree as users get it.

One untimed run of each warms the build caches first. It prints the suite's wall time per
configuration (median over the rounds) and, per scenario, the median ``duration_s`` of the two
configurations of this tree, marking the scenarios that were over a budget without the extension
(their verdict was ``leak`` with ``--goleak-extension-factor 1``): only those may take longer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO  # noqa: E402


def run(tree: Path, report: Path, extra: list[str]) -> tuple[float, dict[str, dict]]:
    python = tree / ".venv" / "bin" / "python"
    cmd = [str(python), "-m", "pytest", "--goleak", "scenarios/", "--goleak-report", str(report), "-q",
           "-p", "no:cacheprovider", *extra]
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=3600, stdin=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - t0
    scenarios = json.loads((report / "results.json").read_text())["scenarios"]
    return wall, {s["name"]: s for s in scenarios}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-tree", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    configs = {"previous": (args.baseline_tree.resolve(), []),
               "no-extension": (REPO, ["--goleak-extension-factor", "1"]),
               "default": (REPO, [])}
    walls: dict[str, list[float]] = {c: [] for c in configs}
    durations: dict[str, dict[str, list[float]]] = {c: {} for c in configs}
    over_before: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="goleak-bench-ext-") as tmp:
        for name, (tree, extra) in configs.items():  # warm-up, untimed
            run(tree, Path(tmp) / f"warm-{name}", extra)
        for r in range(args.rounds):
            for name, (tree, extra) in configs.items():
                wall, results = run(tree, Path(tmp) / f"{name}-{r}", extra)
                walls[name].append(wall)
                for s in results.values():
                    durations[name].setdefault(s["name"], []).append(float(s["duration_s"]))
                if name == "no-extension":
                    over_before |= {n for n, s in results.items() if s["verdict"] == "leak"}
                print(f"round {r + 1} {name:<13} {wall:7.1f}s", flush=True)
    print("\nsuite wall time, median of", args.rounds, "rounds:")
    base = statistics.median(walls["no-extension"])
    for name, values in walls.items():
        med = statistics.median(values)
        print(f"  {name:<13} {med:7.1f}s  ({med / base:.2f}x no-extension)  runs: "
              + ", ".join(f"{v:.1f}" for v in values))
    print(f"\n{'scenario':<24} {'over before?':<13} {'no-ext s':>9} {'default s':>10} {'ratio':>6}")
    extra_clean = []
    for name in sorted(durations["default"]):
        a = statistics.median(durations["no-extension"].get(name, [0.0]))
        b = statistics.median(durations["default"][name])
        over = name in over_before
        print(f"{name:<24} {'yes' if over else 'no':<13} {a:9.2f} {b:10.2f} {b / a if a else 0:6.2f}")
        if not over:
            extra_clean.append(b - a)
    if extra_clean:
        print(f"\nscenarios not over a budget before the extension: median extra time "
              f"{statistics.median(extra_clean):+.2f}s, largest {max(extra_clean):+.2f}s (n={len(extra_clean)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
