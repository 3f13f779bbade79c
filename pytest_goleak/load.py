"""Load stage: drive a scenario's requests in phases through the Go load driver.

The driver (``loadgen/main.go``) is compiled once per source hash and kept running for the
whole scenario, so keep-alive connections stay warm between phases. A phase is one line on its
stdin (a request count); it answers one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from . import gotool, grpcload
from .procutil import die_with_parent
from .scenario import Load

LOADGEN_DIR = Path(__file__).parent / "loadgen"


class LoadError(Exception):
    """The load driver could not be built or started, or stopped answering."""


@dataclass(frozen=True)
class PhaseResult:
    requests: int
    ok: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    status: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PhaseResult:
        return cls(requests=int(d["requests"]), ok=int(d["ok"]), errors=int(d["errors"]),
                   seconds=float(d["seconds"]), rps=float(d["rps"]), p50_ms=float(d.get("p50_ms", 0)),
                   p99_ms=float(d.get("p99_ms", 0)), status=dict(d.get("status") or {}),
                   first_error=d.get("first_error") or None)


#: More than this share of responses outside the expected statuses (or transport errors) is not
#: the load the scenario describes.
MAX_UNEXPECTED_SHARE = 0.05


@dataclass(frozen=True)
class LoadSummary:
    """The load stage's result: every phase (the warm-up first, when there is one) and totals."""

    phases: tuple[PhaseResult, ...]
    driver_requests: int
    rps: float  # the upper median of the phases after the first
    errors: int
    status: dict[str, int]  # responses per HTTP status (gRPC: per status code) over all phases
    protocol: str = "http"  # or "grpc"

    @classmethod
    def of(cls, phases: Sequence[PhaseResult], driver_requests: int, protocol: str = "http") -> LoadSummary:
        status: dict[str, int] = {}
        for p in phases:
            for code, n in p.status.items():
                status[code] = status.get(code, 0) + int(n)
        rps = sorted(p.rps for p in phases[1:]) or [0.0]
        return cls(tuple(phases), driver_requests, rps[len(rps) // 2], sum(p.errors for p in phases),
                   dict(sorted(status.items(), key=lambda kv: int(kv[0]))), protocol)

    def to_json(self) -> dict[str, Any]:
        return {"phases": [asdict(p) for p in self.phases], "driver_requests": self.driver_requests,
                "rps": self.rps, "errors": self.errors, "status": dict(self.status), "protocol": self.protocol}

    def check(self, expected: Sequence[int]) -> None:
        """Raise LoadError when too many responses were not what the scenario expects (gRPC: the
        status codes, OK unless expect_codes says otherwise)."""
        grpc = self.protocol == "grpc"
        total = self.errors + sum(self.status.values())
        unexpected = self.errors + sum(n for code, n in self.status.items()
                                       if (int(code) not in expected if expected else not 200 <= int(code) < 400))
        if total and unexpected / total > MAX_UNEXPECTED_SHARE:
            name = grpcload.code_name if grpc else str
            counts = ", ".join(f"{name(code)}: {n}" for code, n in self.status.items())
            if self.errors:
                counts += f", transport errors: {self.errors}"
            first = next((p.first_error for p in self.phases if p.first_error), None)
            want = ", ".join(map(name, expected)) if expected else "2xx/3xx"
            fix = ("Fix load.grpc, or declare the codes it expects with load.grpc.expect_codes." if grpc else
                   "Fix load.path/method, or declare the statuses it expects with load.expect_status.")
            raise LoadError(
                f"{unexpected} of {total} {'calls' if grpc else 'responses'} ({unexpected / total:.0%}) were not "
                f"{want} ({counts})" + (f"; first error: {first}" if first else "")
                + f": not the load the scenario describes. {fix}")


def loadgen_binary(cache_dir: Path) -> Path:
    digest = gotool.source_hash(LOADGEN_DIR, extra=(gotool.go_version(),))
    binary = cache_dir / "loadgen" / digest[:24] / "loadgen"
    if not binary.is_file():
        try:
            gotool.build_static(LOADGEN_DIR, binary)
        except gotool.GoError as exc:
            raise LoadError(f"cannot build the load driver: {exc}") from exc
    return binary


class LoadDriver:
    """A running load driver aimed at one URL. Use as a context manager; it never outlives it."""

    def __init__(self, binary: Path, base_url: str, load: Load) -> None:
        args = [str(binary), "-c", str(load.concurrency), "-rate", str(load.rate), "-timeout", f"{load.timeout}s"]
        if load.grpc is not None:
            args += grpcload.driver_args(load.grpc, base_url)
        else:
            args += ["-url", base_url + load.path, "-method", load.method]
        if load.body:
            args += ["-body", load.body]
        for name, value in load.headers.items():
            args += ["-H", f"{name}: {value}"]
        self.load = load
        self.total = 0
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      start_new_session=True, preexec_fn=die_with_parent(signal.SIGKILL))

    def run(self, requests: int) -> PhaseResult:
        """Send ``requests`` requests and wait for them, bounded by the per-request timeout."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(f"{requests}\n".encode())
            proc.stdin.flush()
        except BrokenPipeError as exc:
            raise LoadError(f"the load driver exited: {self._stderr()}") from exc
        # Worst case every request times out, one after another on each connection.
        bound = 30.0 + requests * self.load.timeout / self.load.concurrency
        if self.load.rate > 0:
            bound += requests / self.load.rate
        ready, _, _ = select.select([proc.stdout], [], [], bound)
        line = proc.stdout.readline() if ready else b""
        if not line:
            raise LoadError(f"the load driver gave no result within {bound:.0f}s: {self._stderr()}")
        result = PhaseResult.from_json(json.loads(line))
        self.total += result.requests
        return result

    def _stderr(self) -> str:
        if self._proc.poll() is None:
            return "(still running)"
        assert self._proc.stderr is not None
        return self._proc.stderr.read().decode(errors="replace").strip() or f"exit {self._proc.returncode}"

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> LoadDriver:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:  # interrupted or failed mid-phase: do not wait for the phase to finish
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
        self.close()
