#!/usr/bin/env python3
"""Wall time of the whole shipped suite, of each scenario and of each stage, and verdict flips.

    .venv/bin/python benchmarks/bench_suite.py [--repeat 5] [--scenarios scenarios/] [-n 2]
    .venv/bin/python benchmarks/bench_suite.py --repeat 3 --base /path/to/other/worktree

One untimed run first warms the build cache (images and binaries are cached by source hash), so
the timed runs measure what CI measures on a warm cache. With ``--base``, each repeat runs the
other checkout's code first and then this one's, alternately, so that the machine's load falls on
both alike; the figures are printed side by side with their ratio. Each stage's seconds (results.json
``stages_s``, summed over the scenarios of a run) are printed as medians over the runs. Targets:
the suite in at most 60 s on 2 cores, and zero verdict flips.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO, median  # noqa: E402

STAGES = ("build", "start", "health", "warm-up", "load", "settle", "capture", "idle", "extension", "trace", "stop",
          "analyse", "vet", "detectors")


def run_suite(tree: Path, scenarios: str, report: Path, xdist: str | None, pyc: bool = True) -> dict[str, Any]:
    """One timed ``pytest --goleak`` of ``tree``'s code (PYTHONPATH first, whatever is installed).

    With ``pyc`` (the default) Python writes and reads its bytecode cache as it does for a user:
    PYTHONDONTWRITEBYTECODE is dropped from the environment. Without it every pytest process
    parses, assertion-rewrites and compiles the modules of pytest's plugins again (2.2 CPU-seconds
    a process by cProfile; no measurable effect on the suite's wall time, benchmarks/README.md)."""
    cmd = [sys.executable, "-m", "pytest", "--goleak", scenarios, "--goleak-report", str(report), "-q",
           "-p", "no:cacheprovider"] + (["-n", xdist] if xdist else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")]))}
    if pyc:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    with contextlib.nullcontext() if pyc else bytecode_aside(tree):
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=3600,
                              stdin=subprocess.DEVNULL, check=False, env=env)
        wall = time.monotonic() - t0
    if not (report / "results.json").exists():
        raise SystemExit(f"{' '.join(cmd)} wrote no results.json (exit {proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    doc = json.loads((report / "results.json").read_text())
    stages: dict[str, float] = {}
    for s in doc["scenarios"]:
        for k, v in (s.get("stages_s") or {}).items():
            stages[k] = stages.get(k, 0.0) + v
    if "timing" in doc:
        stages["report"] = doc["timing"]["report_s"]
    return {"wall_s": wall, "exit": proc.returncode, "stages": stages, "scenarios": {s["name"]: {
        "verdict": s["verdict"], "passed": s["passed"], "duration_s": s["duration_s"],
        "culprit": s["culprits"][0]["function"] if s.get("culprits") else None} for s in doc["scenarios"]}}


@contextlib.contextmanager
def bytecode_aside(tree: Path) -> Iterator[None]:
    """What a run with PYTHONDONTWRITEBYTECODE finds, for the length of the block: no bytecode
    for the plugin's own modules (an editable install's source) nor for those pytest rewrites
    (its plugins'). The interpreter's and the venv's other modules keep what pip compiled. The
    caches are moved aside and put back, so a run with them that comes next finds them warm."""
    with tempfile.TemporaryDirectory(prefix="goleak-bench-pyc-") as aside:
        moved: list[tuple[Path, Path]] = []
        caches = [*(tree / "pytest_goleak").rglob("__pycache__"), *Path(sys.prefix).rglob("*-pytest-*.pyc")]
        for i, path in enumerate(caches):
            moved.append((path, Path(aside) / str(i)))
            path.rename(moved[-1][1])
        try:
            yield
        finally:
            for path, kept in moved:
                if path.is_dir():  # written again during the run, despite the setting
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
                kept.rename(path)


def flips_table(runs: list[dict[str, Any]], label: str) -> int:
    names = sorted({n for r in runs for n in r["scenarios"]})
    print(f"\n[{label}] {'scenario':<24} {'median s':>8} {'max s':>6}  verdicts over {len(runs)} runs   culprits")
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
    print(f"[{label}] suite wall time: median {median(walls):.1f} s (min {min(walls):.1f}, max {max(walls):.1f}) "
          f"over {len(runs)} runs; scenarios with a flip or a failure: {flips}")
    return flips


def stage_table(by_tree: dict[str, list[dict[str, Any]]]) -> None:
    labels = list(by_tree)
    print(f"\n{'stage (s, summed over scenarios)':<34}" + "".join(f"{lab:>12}" for lab in labels)
          + ("       ratio" if len(labels) == 2 else ""))
    for stage in (*STAGES, "report", "wall"):
        cells = []
        for lab in labels:
            vals = [r["wall_s"] if stage == "wall" else r["stages"].get(stage) for r in by_tree[lab]]
            known = [v for v in vals if v is not None]
            cells.append(median(known) if known else None)
        if all(c is None for c in cells):
            continue
        text = "".join(f"{c:>12.1f}" if c is not None else f"{'-':>12}" for c in cells)
        if len(cells) == 2 and cells[0] and cells[1] is not None:
            text += f"{cells[1] / cells[0]:>12.2f}"
        print(f"{stage:<34}{text}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scenarios", default="scenarios/")
    ap.add_argument("-n", dest="xdist", default=None, help="pytest-xdist workers")
    ap.add_argument("--base", type=Path, help="another checkout (e.g. a worktree of main), run alternately")
    ap.add_argument("--no-warm", action="store_true", help="skip the untimed warm-up run")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    ap.add_argument("--pyc", choices=("on", "off", "both"), default="on",
                    help="Python's bytecode cache: on (a user's default; PYTHONDONTWRITEBYTECODE dropped), off "
                         "(set, as some CI images and sandboxes do), or both, run alternately on this tree")
    ap.add_argument("--keep-failed", type=Path, metavar="DIR",
                    help="copy the report of every run with a failed scenario here (DIR/<tree><repeat>), "
                         "so a flip can be read afterwards; the others go with the temporary directory")
    args = ap.parse_args()
    if args.pyc == "both" and args.base:
        ap.error("--pyc both compares this tree with itself; it takes no --base")
    if args.pyc == "both":
        trees = {"no-pyc": REPO, "this": REPO}
    else:
        trees = {"base": args.base.resolve(), "this": REPO} if args.base else {"this": REPO}
    by_tree: dict[str, list[dict[str, Any]]] = {k: [] for k in trees}
    pyc = {label: label != "no-pyc" and args.pyc != "off" for label in trees}
    with tempfile.TemporaryDirectory(prefix="goleak-bench-suite-") as tmp:
        if not args.no_warm:
            for label, tree in trees.items():
                run_suite(tree, args.scenarios, Path(tmp) / f"warm-{label}", args.xdist, pyc[label])
        for i in range(args.repeat):
            for label, tree in trees.items():
                r = run_suite(tree, args.scenarios, Path(tmp) / f"{label}{i}", args.xdist, pyc[label])
                by_tree[label].append(r)
                if args.keep_failed and not all(s["passed"] for s in r["scenarios"].values()):
                    kept = args.keep_failed / f"{label}{i}"
                    shutil.copytree(Path(tmp) / f"{label}{i}", kept, dirs_exist_ok=True)
                    print(f"run {i + 1} [{label}] had a failure; its report is kept in {kept}", flush=True)
                print(f"run {i + 1} [{label}]: {r['wall_s']:6.1f} s, exit {r['exit']}, "
                      f"{sum(s['passed'] for s in r['scenarios'].values())}/{len(r['scenarios'])} passed", flush=True)
    flips = sum(flips_table(runs, label) for label, runs in by_tree.items())
    stage_table(by_tree)
    if args.json:
        args.json.write_text(json.dumps(by_tree, indent=2))
    return 1 if flips else 0


if __name__ == "__main__":
    sys.exit(main())
