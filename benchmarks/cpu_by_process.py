#!/usr/bin/env python3
"""CPU seconds spent while a command runs, by process name, from /proc (Linux).

    .venv/bin/python benchmarks/cpu_by_process.py -- .venv/bin/pytest --goleak scenarios/ -n 4 -q

Every process on the machine is sampled every ``--interval`` seconds (utime + stime of
/proc/<pid>/stat, told apart by pid and start time), so the fixtures in their containers, the load
driver, docker-proxy, dockerd and the pytest workers are all counted, including those that start
and end during the run (up to their last sample: a process shorter than one interval is missed).
Processes that were running before the command count only what they spent during it. The
machine's own busy and idle seconds (/proc/stat) are printed beside, for a check.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def _read() -> dict[tuple[int, str], tuple[str, int]]:
    """(pid, start time) -> (name, utime + stime in ticks), for every process readable now."""
    out: dict[tuple[int, str], tuple[str, int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[(int(pid), fields[19])] = (name, int(fields[11]) + int(fields[12]))
    return out


def _machine() -> tuple[int, int]:
    """Busy and idle ticks of all CPUs so far."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, idle


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("give the command to run after --")
    before = _read()
    last = {k: v[1] for k, v in before.items()}
    spent: dict[str, int] = {}
    done = threading.Event()

    def sample() -> None:
        while True:
            for key, (name, ticks) in _read().items():
                spent[name] = spent.get(name, 0) + ticks - last.get(key, 0)
                last[key] = ticks
            if done.wait(args.interval):
                return

    busy0, idle0 = _machine()
    t0 = time.monotonic()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = subprocess.call(command)
    done.set()
    sampler.join()
    wall = time.monotonic() - t0
    busy1, idle1 = _machine()
    print(f"\nwall {wall:.1f} s; machine busy {(busy1 - busy0) / TICK:.1f} CPU-s, idle {(idle1 - idle0) / TICK:.1f} "
          f"CPU-s; command exit {rc}")
    counted = sum(spent.values())
    for name, ticks in sorted(spent.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {name:<28}{ticks / TICK:>8.1f} CPU-s")
    print(f"  {'(all processes sampled)':<28}{counted / TICK:>8.1f} CPU-s")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
