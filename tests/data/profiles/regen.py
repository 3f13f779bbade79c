"""Regenerate the real profiles in this directory and the `go tool pprof -top` golden outputs.

    PATH=$PATH:/usr/local/go/bin .venv/bin/python tests/data/profiles/regen.py [--golden-only]

Builds each fixture (trimpath, so committed paths do not name this machine), runs it on
127.0.0.1:0, drives a bounded number of GET /work requests, and captures heap, goroutine and
goroutine?debug=2 twice ("base" after the first batch, "new" after the second). Then it runs
`go tool pprof -top` over every case in CASES and stores the text under golden/, so the unit
tests compare against real pprof output without needing Go.

Only the capture is non-deterministic (timestamps, counts); rerun the whole script and commit
all of its outputs together.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES = REPO / "go_fixtures"
GOLDEN = HERE / "golden"

# fixture package -> requests before "base", then before "new"
FIXTURE_RUNS = {
    "goroutine_chan/leaky": (60, 120),
    "global_map/leaky": (300, 600),
}
CONCURRENCY = 4
SAMPLE_INDEXES = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")


def stem(pkg: str) -> str:
    return pkg.replace("/", "_")


def cases() -> list[dict[str, object]]:
    """Every (profile, base, flags) combination with a golden output; the tests read cases.json."""
    out: list[dict[str, object]] = []
    for pkg in FIXTURE_RUNS:
        s = stem(pkg)
        for si in SAMPLE_INDEXES:
            out.append({"profile": f"{s}.new.heap.pb.gz", "sample_index": si})
            out.append({"profile": f"{s}.new.heap.pb.gz", "base": f"{s}.base.heap.pb.gz", "sample_index": si})
        out.append({"profile": f"{s}.new.goroutine.pb.gz"})
        out.append({"profile": f"{s}.new.goroutine.pb.gz", "base": f"{s}.base.goroutine.pb.gz"})
        out.append({"profile": f"{s}.new.goroutine.pb.gz", "lines": True})
        out.append({"profile": f"{s}.new.heap.pb.gz", "lines": True})
        out.append({"profile": f"{s}.new.heap.pb.gz", "base": f"{s}.base.heap.pb.gz", "nodecount": 5})
        out.append({"profile": f"{s}.new.goroutine.pb.gz", "focus": "main\\.", "ignore": "ServeHTTP"})
        out.append({"profile": f"{s}.base.heap.pb.gz", "sample_index": "alloc_space", "nodecount": 3})
        # -diff_base: percentages relative to the base; -cum: sorted by cumulative value
        out.append({"profile": f"{s}.new.heap.pb.gz", "diff_base": f"{s}.base.heap.pb.gz",
                    "sample_index": "inuse_space"})
        out.append({"profile": f"{s}.new.heap.pb.gz", "diff_base": f"{s}.base.heap.pb.gz",
                    "sample_index": "alloc_objects", "nodecount": 5})
        out.append({"profile": f"{s}.new.goroutine.pb.gz", "diff_base": f"{s}.base.goroutine.pb.gz"})
        out.append({"profile": f"{s}.new.heap.pb.gz", "sample_index": "inuse_space", "nodecount": 8, "cum": True})
        out.append({"profile": f"{s}.new.goroutine.pb.gz", "base": f"{s}.base.goroutine.pb.gz", "lines": True,
                    "cum": True})
    return out


def golden_name(case: dict[str, object]) -> str:
    parts = [str(case["profile"]).removesuffix(".pb.gz")]
    if "base" in case:
        parts.append("base")
    if "diff_base" in case:
        parts.append("diff_base")
    for key in ("sample_index", "nodecount", "lines", "focus", "ignore", "cum"):
        if key in case:
            parts.append(f"{key}-{re.sub(r'[^A-Za-z0-9_]+', '_', str(case[key]))}")
    return ".".join(parts) + ".top.txt"


def pprof_args(case: dict[str, object]) -> list[str]:
    """The `go tool pprof` flags for a case (the tests build the matching goleak flags)."""
    args = ["-top"]
    if "sample_index" in case:
        args.append(f"-sample_index={case['sample_index']}")
    if "nodecount" in case:
        args.append(f"-nodecount={case['nodecount']}")
    if case.get("lines"):
        args.append("-lines")
    if "focus" in case:
        args.append(f"-focus={case['focus']}")
    if "ignore" in case:
        args.append(f"-ignore={case['ignore']}")
    if case.get("cum"):
        args.append("-cum")
    for key in ("base", "diff_base"):
        if key in case:
            args.append(f"-{key}={HERE / str(case[key])}")
    return [*args, str(HERE / str(case["profile"]))]


def pprof_env() -> dict[str, str]:
    # Fixed zone for the "Time:" header; no binary lookups; no ~/pprof history writes.
    env = dict(os.environ, TZ="UTC", PPROF_BINARY_PATH="/nonexistent", PPROF_TMPDIR=tempfile.gettempdir())
    return env


def run_pprof_top(case: dict[str, object]) -> str:
    res = subprocess.run(["go", "tool", "pprof", *pprof_args(case)], capture_output=True, text=True,
                         env=pprof_env(), timeout=120, check=True)
    return res.stdout


def build(pkg: str, outdir: Path) -> Path:
    exe = outdir / stem(pkg)
    subprocess.run(["go", "build", "-trimpath", "-o", str(exe), f"./{pkg}"], cwd=FIXTURES, check=True,
                   timeout=600)
    return exe


def start(exe: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, GOLEAK_LISTEN="127.0.0.1:0", GODEBUG="memprofilerate=1")
    proc = subprocess.Popen([str(exe)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        m = re.search(r"listening on (127\.0\.0\.1:\d+)", line)
        if m:
            return proc, f"http://{m.group(1)}"
    proc.kill()
    raise RuntimeError(f"{exe.name} did not report its address")


def get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError as err:  # the leaky handlers answer 504 by design
        return bytes(err.read())


def drive(base_url: str, n: int) -> None:
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda _: get(base_url + "/work"), range(n)))


def capture(base_url: str, prefix: str) -> None:
    time.sleep(0.2)  # let abandoned workers reach their blocking point
    (HERE / f"{prefix}.heap.pb.gz").write_bytes(get(base_url + "/debug/pprof/heap?gc=1"))
    (HERE / f"{prefix}.goroutine.pb.gz").write_bytes(get(base_url + "/debug/pprof/goroutine"))
    (HERE / f"{prefix}.goroutine.txt").write_bytes(get(base_url + "/debug/pprof/goroutine?debug=2"))


def capture_fixture(pkg: str, outdir: Path) -> None:
    exe = build(pkg, outdir)
    proc, base_url = start(exe)
    try:
        first, second = FIXTURE_RUNS[pkg]
        drive(base_url, first)
        capture(base_url, f"{stem(pkg)}.base")
        drive(base_url, second)
        capture(base_url, f"{stem(pkg)}.new")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    """``regen.py`` captures new profiles and rewrites every golden; ``regen.py --golden-only``
    keeps the committed profiles and only reruns `go tool pprof` (for new cases)."""
    if shutil.which("go") is None:
        print("regen.py needs `go` on PATH", file=sys.stderr)
        return 2
    if "--golden-only" not in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as tmp:
            for pkg in FIXTURE_RUNS:
                capture_fixture(pkg, Path(tmp))
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    GOLDEN.mkdir()
    all_cases = cases()
    for case in all_cases:
        (GOLDEN / golden_name(case)).write_text(run_pprof_top(case))
    (HERE / "cases.json").write_text(json.dumps(all_cases, indent=1) + "\n")
    print(f"wrote {len(FIXTURE_RUNS)} fixtures' profiles and {len(all_cases)} golden outputs to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
