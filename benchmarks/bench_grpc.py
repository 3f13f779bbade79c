#!/usr/bin/env python3
"""gRPC load throughput: the harness's load driver beside ghz, side by side in one run.

    .venv/bin/python benchmarks/bench_grpc.py [--rounds 5] [--calls 20000] [--concurrency 8]

Both drive the same local process (go_fixtures/bench/grpc_feed: the feed service answering at
once) with the same calls, concurrency and connections (one per worker), alternating round by
round so machine noise hits each alike: unary feed.v1.Feed/Get; the server stream
feed.v1.Feed/Subscribe read for its 3 messages (1 KiB each; --stream-call-count 3 for ghz); and
the bidi stream feed.v1.Feed/Echo, 3 messages each way. ghz is
github.com/bojand/ghz v0.93.0, the only version the Go module proxy serves, built once into the
harness cache. Target: the driver at least 1.0x ghz for each kind of call.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._fixture import REPO, median  # noqa: E402
from pytest_goleak.options import Settings  # noqa: E402
from pytest_goleak.run import gotool  # noqa: E402
from pytest_goleak.run.load import LoadDriver, loadgen_binary  # noqa: E402
from pytest_goleak.scenario.definition import GrpcLoad, Load  # noqa: E402

GHZ = "github.com/bojand/ghz/cmd/ghz@v0.93.0"
PROTO = REPO / "go_fixtures" / "internal" / "feedpb" / "feed.proto"
CALLS = {
    "unary": GrpcLoad(call="feed.v1.Feed/Get", data='{"id": "item-1"}', proto=PROTO),
    "server stream": GrpcLoad(call="feed.v1.Feed/Subscribe", data='{"topic": "prices", "size": 1024}', proto=PROTO,
                              stream_messages=3),
    "bidi stream": GrpcLoad(call="feed.v1.Feed/Echo", data='{"topic": "prices", "seq": 1}', proto=PROTO,
                            stream_messages=3),
}


def ghz_binary(cache: Path) -> Path:
    binary = cache / "ghz" / "v0.93.0" / "ghz"
    if not binary.is_file():
        env = {**os.environ, "GOBIN": str(binary.parent), "CGO_ENABLED": "0"}
        subprocess.run([gotool.go_binary(), "install", GHZ], env=env, check=True, timeout=900)
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def grpc_fixture(loadgen: Path) -> Iterator[str]:
    """The benchmark's feed service as a local process on free loopback ports; yields its host:port."""
    with tempfile.TemporaryDirectory(prefix="goleak-bench-") as tmp:
        binary = Path(tmp) / "app"
        gotool.build_static(REPO / "go_fixtures" / "bench" / "grpc_feed", binary)
        port, admin = free_port(), free_port()
        proc = subprocess.Popen([str(binary)], env={**os.environ, "PORT": str(port), "ADMIN_PORT": str(admin)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            target = f"127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while subprocess.run([str(loadgen), "-grpc-health", target], capture_output=True, timeout=10,
                                 check=False).returncode != 0:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the gRPC fixture did not become healthy")
                time.sleep(0.1)
            yield target
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def ghz_rps(ghz: Path, target: str, g: GrpcLoad, calls: int, concurrency: int) -> float:
    args = [str(ghz), "--insecure", "--proto", str(g.proto), "--import-paths", str(PROTO.parent), "--call", g.call,
            "-d", g.data, "-n", str(calls), "-c", str(concurrency), "--connections", str(concurrency),
            "-O", "json", target]
    if g.stream_messages:
        args[1:1] = ["--stream-call-count", str(g.stream_messages)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600, check=True).stdout
    return float(json.loads(out)["rps"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    cache = Settings().cache_dir
    loadgen, ghz = loadgen_binary(cache), ghz_binary(cache)
    ours: dict[str, list[float]] = {k: [] for k in CALLS}
    theirs: dict[str, list[float]] = {k: [] for k in CALLS}
    with grpc_fixture(loadgen) as target:
        base = f"http://{target}"
        drivers = {k: LoadDriver(loadgen, base, Load(grpc=g, concurrency=args.concurrency)) for k, g in CALLS.items()}
        try:
            for kind, driver in drivers.items():
                driver.run(2000)  # warm the server and the driver's connections
                ghz_rps(ghz, target, CALLS[kind], 2000, args.concurrency)
            for r in range(args.rounds):
                for kind, driver in drivers.items():
                    ours[kind].append(_phase(driver, args.calls))
                    theirs[kind].append(ghz_rps(ghz, target, CALLS[kind], args.calls, args.concurrency))
                print(f"round {r + 1}: " + "   ".join(f"{kind}: loadgen {ours[kind][-1]:>7.0f} calls/s, ghz "
                                                       f"{theirs[kind][-1]:>7.0f} calls/s" for kind in CALLS))
        finally:
            for driver in drivers.values():
                driver.close()
    print(f"median over {args.rounds} rounds, {args.calls} calls, concurrency {args.concurrency}:")
    for kind in CALLS:
        m_ours, m_ghz = median(ours[kind]), median(theirs[kind])
        print(f"  {kind}: loadgen {m_ours:.0f} calls/s, ghz {m_ghz:.0f} calls/s, ratio {m_ours / m_ghz:.2f}x "
              f"(target >= 1.0x: {'met' if m_ours >= m_ghz else 'MISSED'})")
    return 0


def _phase(driver: LoadDriver, calls: int) -> float:
    phase = driver.run(calls)
    if phase.errors or phase.ok != calls:
        raise RuntimeError(f"load driver errors: {phase.errors}, first: {phase.first_error}, status {phase.status}")
    return phase.rps


if __name__ == "__main__":
    sys.exit(main())
