#!/usr/bin/env python3
"""Load driver throughput against a trivial handler, beside wrk, side by side in one run.

    .venv/bin/python benchmarks/bench_loadgen.py [--rounds 5] [--requests 60000] [--concurrency 8]

Both tools hit the same local process (go_fixtures/bench/sized_leak with LEAK_BYTES=0, which only
writes "ok"), alternating round by round so machine noise hits both alike. Targets: at least
5,000 req/s and at least 0.5x wrk.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import local_fixture, median  # noqa: E402
from pytest_goleak.load import LoadDriver, loadgen_binary  # noqa: E402
from pytest_goleak.options import Settings  # noqa: E402
from pytest_goleak.scenario import Load  # noqa: E402


def wrk_rps(url: str, concurrency: int, seconds: float) -> float:
    threads = min(2, concurrency)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds:.0f}s", url],
                         capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if not m:
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    return float(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=60000)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk, or scripts/provision.sh)", file=sys.stderr)
        return 2
    binary = loadgen_binary(Settings().cache_dir)
    ours: list[float] = []
    theirs: list[float] = []
    with local_fixture("bench/sized_leak", {"LEAK_BYTES": "0"}) as base:
        url = base + "/work"
        with LoadDriver(binary, base, Load(path="/work", concurrency=args.concurrency)) as driver:
            driver.run(2000)  # warm both the server and the connections
            for r in range(args.rounds):
                phase = driver.run(args.requests)
                if phase.errors:
                    raise RuntimeError(f"load driver errors: {phase.first_error}")
                ours.append(phase.rps)
                theirs.append(wrk_rps(url, args.concurrency, max(2.0, phase.seconds)))
                print(f"round {r + 1}: goleak loadgen {ours[-1]:>9.0f} req/s   wrk {theirs[-1]:>9.0f} req/s")
    m_ours, m_wrk = median(ours), median(theirs)
    print(f"median over {args.rounds} rounds, concurrency {args.concurrency}: goleak loadgen {m_ours:.0f} req/s, "
          f"wrk {m_wrk:.0f} req/s, ratio {m_ours / m_wrk:.2f}x")
    print(f"targets: >= 5000 req/s: {'met' if m_ours >= 5000 else 'MISSED'}; "
          f">= 0.5x wrk: {'met' if m_ours >= 0.5 * m_wrk else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
