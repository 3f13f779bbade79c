"""The gRPC side of the load stage: the ``grpc`` part of the driver's spec, and grpc.health.v1.

The load driver (``loadgen/grpc.go``) speaks gRPC; this module only tells it what to call and
asks it about health. Status codes travel as numbers (``"0"``) like HTTP statuses, and are
named (OK, UNAVAILABLE) where people read them.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from ..scenario.definition import GRPC_CODES, GrpcLoad
from .runtime.base import Instance, RuntimeFailure, wait_healthy

#: The name results.json and the report give the health check of a gRPC service.
GRPC_HEALTH = "grpc.health.v1"
# loadgen -grpc-health's exit codes (grpc_health.go)
_SERVING, _UNIMPLEMENTED = 0, 3


def code_name(code: str | int) -> str:
    """``"14"`` -> ``"UNAVAILABLE"``; anything else as it is."""
    try:
        return GRPC_CODES[int(code)]
    except (ValueError, IndexError):
        return str(code)


def target(base_url: str) -> str:
    """The service's host:port from the runtime's base URL (http://127.0.0.1:49153)."""
    parts = urlsplit(base_url)
    return f"{parts.hostname}:{parts.port}"


class GrpcConfig(TypedDict):
    """``loadgen/grpc.go``'s grpcConfig."""

    target: str
    call: str
    data: str
    proto: str
    metadata: dict[str, str]
    stream_messages: int


def driver_config(grpc: GrpcLoad, base_url: str) -> GrpcConfig:
    """The ``grpc`` part of the load driver's spec (``loadgen/grpc.go``'s grpcConfig)."""
    return {"target": target(base_url), "call": grpc.call, "data": grpc.data,
            "proto": str(grpc.proto) if grpc.proto else "", "metadata": dict(grpc.metadata),
            "stream_messages": grpc.stream_messages}


def wait_healthy_grpc(instance: Instance, loadgen: Path, timeout: float) -> str:
    """Ask the service port's grpc.health.v1 until it says SERVING; a server without that
    service falls back to the admin port's /debug/pprof/. Returns what answered."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    delay = 0.05
    while time.monotonic() < deadline:
        st = instance.status()
        if not st.running:
            raise RuntimeFailure(f"the fixture exited (code {st.exit_code}) before it became healthy",
                                 st.exit_code, instance.logs(), st.oom_killed)
        per_try = min(2.0, max(0.1, deadline - time.monotonic()))
        try:
            out = subprocess.run([str(loadgen), "-grpc-health", target(instance.base_url), "-timeout", f"{per_try}s"],
                                 capture_output=True, text=True, timeout=per_try + 10, check=False)
            rc, last = out.returncode, (out.stdout.strip() or out.stderr.strip() or f"exit {out.returncode}")
        except subprocess.TimeoutExpired:
            rc, last = -1, "the health probe did not return"
        if rc == _SERVING:
            return GRPC_HEALTH
        if rc == _UNIMPLEMENTED:
            return wait_healthy(instance, "/debug/pprof/", max(0.1, deadline - time.monotonic()),
                                base=instance.pprof_url)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise RuntimeFailure(f"the fixture did not become healthy within {timeout:.0f}s ({GRPC_HEALTH}: {last})",
                         None, instance.logs())
