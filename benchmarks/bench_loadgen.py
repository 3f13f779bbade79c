#!/usr/bin/env python3
"""Load driver throughput against a trivial handler, beside wrk, side by side in one run.

    .venv/bin/python benchmarks/bench_loadgen.py [--rounds 5] [--requests 60000] [--concurrency 8]

All hit the same local process (go_fixtures/bench/sized_leak with LEAK_BYTES=0, which only
writes "ok"), alternating round by round so machine noise hits each alike: the plain driver (one
fixed request), the same driver with request variables and a mix (every request expanded from
templates: {seq}, {rand:LO-HI}, {uuid}, a captured {token}; two weighted entries, one a POST with a
body), and wrk. Targets: at least 5,000 req/s, at least 0.5x wrk, and the templated mix at least
0.9x the plain driver.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import local_fixture, median  # noqa: E402
from pytest_goleak.options import Settings  # noqa: E402
from pytest_goleak.run.load import LoadDriver, loadgen_binary  # noqa: E402
from pytest_goleak.scenario.parse import Load, Request  # noqa: E402

#: Every request different: a path and query, a header value and a body from templates.
MIX = (Request("/work?user={seq}&shard={rand:1-64}", headers={"Authorization": "Bearer {token}"}, weight=9),
       Request("/work", "POST", {"Authorization": "Bearer {token}", "Content-Type": "application/json"},
               '{"id": "{uuid}", "seq": {seq}}', weight=1))


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
    mixed: list[float] = []
    theirs: list[float] = []
    cpu: dict[str, list[float]] = {"plain": [], "mix": []}  # the driver's CPU microseconds per request
    with local_fixture("bench/sized_leak", {"LEAK_BYTES": "0"}) as base:
        url = base + "/work"
        with LoadDriver(binary, base, Load(path="/work", concurrency=args.concurrency)) as driver, \
                LoadDriver(binary, base, Load(mix=MIX, concurrency=args.concurrency), {"token": "t0k3n"}) as templ:
            driver.run(2000)  # warm the server and both drivers' connections
            templ.run(2000)
            for r in range(args.rounds):
                ours.append(_phase(driver, args.requests, cpu["plain"]))
                mixed.append(_phase(templ, args.requests, cpu["mix"]))
                theirs.append(wrk_rps(url, args.concurrency, max(2.0, args.requests / ours[-1])))
                print(f"round {r + 1}: goleak loadgen {ours[-1]:>9.0f} req/s   with variables and a mix "
                      f"{mixed[-1]:>9.0f} req/s   wrk {theirs[-1]:>9.0f} req/s   driver CPU per request "
                      f"{cpu['plain'][-1]:.2f} / {cpu['mix'][-1]:.2f} us")
    m_ours, m_mixed, m_wrk = median(ours), median(mixed), median(theirs)
    print(f"median over {args.rounds} rounds, concurrency {args.concurrency}: goleak loadgen {m_ours:.0f} req/s, "
          f"with variables and a mix {m_mixed:.0f} req/s ({m_mixed / m_ours:.2f}x plain), "
          f"wrk {m_wrk:.0f} req/s, ratio {m_ours / m_wrk:.2f}x")
    c_plain, c_mix = median(cpu["plain"]), median(cpu["mix"])
    print(f"driver CPU per request (less sensitive to a busy machine than req/s): plain {c_plain:.2f} us, "
          f"with variables and a mix {c_mix:.2f} us ({c_mix / c_plain:.2f}x)")
    print(f"targets: >= 5000 req/s: {'met' if m_ours >= 5000 else 'MISSED'}; "
          f">= 0.5x wrk: {'met' if m_ours >= 0.5 * m_wrk else 'MISSED'}; "
          f"variables and a mix >= 0.9x plain: {'met' if m_mixed >= 0.9 * m_ours else 'MISSED'}")
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _phase(driver: LoadDriver, requests: int, cpu_us: list[float]) -> float:
    c0 = _cpu_seconds(driver.pid)
    phase = driver.run(requests)
    cpu_us.append((_cpu_seconds(driver.pid) - c0) / requests * 1e6)
    if phase.errors or phase.ok != requests:
        raise RuntimeError(f"load driver errors: {phase.errors}, first: {phase.first_error}, status {phase.status}")
    return phase.rps


if __name__ == "__main__":
    sys.exit(main())
