#!/usr/bin/env python3
"""How long a service that reads $PORT and prints nothing takes to start, per runtime.

    PATH=$PATH:/usr/local/go/bin .venv/bin/python benchmarks/bench_start.py [--rounds 10]

The service is tests/data/silent_port (stock net/http/pprof, no log line, no /healthz). Each
round starts it once under the local runtime and once under Docker, alternately, the way the
runner does (runtime.start, then wait_healthy on /healthz with the /debug/pprof/ fallback), and
times start() alone and start() through healthy. Builds are done (and cached) before the rounds.
Prints the medians and the local/Docker ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO  # noqa: E402
from pytest_goleak.run import build  # noqa: E402
from pytest_goleak.run.runtime.base import Instance, wait_healthy  # noqa: E402
from pytest_goleak.run.runtime.docker import DockerRuntime, connect  # noqa: E402
from pytest_goleak.run.runtime.local import LocalRuntime  # noqa: E402
from pytest_goleak.scenario.parse import load_scenario  # noqa: E402

SCENARIO = REPO / "tests" / "data" / "silent_port" / "silent_port.goleak.yaml"


def timed(start: Callable[[], Instance]) -> tuple[float, float]:
    t0 = time.monotonic()
    instance = start()
    started = time.monotonic() - t0
    try:
        wait_healthy(instance, "/healthz", 30.0, fallback="/debug/pprof/")
        return started, time.monotonic() - t0
    finally:
        instance.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    s = load_scenario(SCENARIO)
    env = dict(s.env)
    client = connect()
    with tempfile.TemporaryDirectory(prefix="goleak-bench-start-") as cache:
        binary = build.build_for_local(s, Path(cache)).binary
        image = build.build_for_docker(s, client, Path(cache)).image
        assert binary is not None and image is not None
        docker = DockerRuntime(client, f"bench-{uuid.uuid4().hex[:8]}")
        starts: dict[str, Callable[[], Instance]] = {
            "local": lambda: LocalRuntime().start(binary, port_env=s.port_env, env=env, port=s.port,
                                                  timeout=s.health_timeout),
            "docker": lambda: docker.start(image, scenario_name=s.name, port=s.port, port_env=s.port_env,
                                           pprof_port=None, env=env, network="bridge", memory=s.limits.memory,
                                           pids=s.limits.pids, nonroot=True),
        }
        got: dict[str, list[tuple[float, float]]] = {k: [] for k in starts}
        for _ in range(args.rounds):
            for name, start in starts.items():
                got[name].append(timed(start))
    print(f"{'runtime':8} {'start() median':>15} {'to healthy median':>18} {'to healthy max':>15}  (n={args.rounds})")
    for name, runs in got.items():
        print(f"{name:8} {statistics.median(r[0] for r in runs) * 1000:13.0f}ms "
              f"{statistics.median(r[1] for r in runs) * 1000:16.0f}ms {max(r[1] for r in runs) * 1000:13.0f}ms")
    ratio = statistics.median(r[1] for r in got["local"]) / statistics.median(r[1] for r in got["docker"])
    print(f"local / docker, to healthy: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
