"""Load stage: drive a scenario's requests in phases through the Go load driver.

The driver (``loadgen/main.go``) is compiled once per source hash and kept running for the
whole scenario, so keep-alive connections stay warm between phases and ``{seq}`` runs on across
them. Its first stdin line is its configuration (``loadgen/spec.go``: the mix, the variables
captured by setup steps, the seed, load.abort); then a phase is one line (``N`` requests or
``Ns`` seconds) and it answers one JSON line. Request templates (``{seq}``, ``{uuid}``,
``{rand:LO-HI}``, captured ``{NAME}``) are expanded per request in Go (``loadgen/template.go``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypedDict

from ..scenario.parse import Load, Request
from . import gotool, grpcload
from .procutil import die_with_parent

LOADGEN_DIR = Path(__file__).parents[1] / "loadgen"


class LoadError(Exception):
    """The load driver could not be built or started, or stopped answering."""


class EntryJSON(TypedDict, total=False):
    """One request of the mix in a phase's answer (``loadgen/main.go``)."""

    label: str
    requests: int
    ok: int
    errors: int
    aborted: int
    status: dict[str, int]


class PhaseJSON(TypedDict, total=False):
    """The load driver's answer to one phase (``loadgen/main.go``)."""

    requests: int
    ok: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    status: dict[str, int]
    first_error: str
    aborted: int
    entries: list[EntryJSON]


class RequestSpec(TypedDict):
    method: str
    path: str
    headers: list[list[str]]
    body: str
    weight: float


class AbortSpec(TypedDict):
    share: float
    after_s: float


class Spec(TypedDict, total=False):
    """The driver's configuration, its first stdin line (``loadgen/spec.go``)."""

    base_url: str
    concurrency: int
    rate: float
    timeout_s: float
    seed: int
    vars: dict[str, str]
    requests: list[RequestSpec]
    abort: AbortSpec
    grpc: grpcload.GrpcConfig


@dataclass(frozen=True)
class EntryResult:
    """What happened to one request of the mix (``label``: "METHOD path")."""

    label: str
    requests: int = 0
    ok: int = 0
    errors: int = 0
    aborted: int = 0  # given up on purpose (load.abort): neither answered nor an error
    status: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, d: EntryJSON, label: str = "") -> EntryResult:
        return cls(str(d.get("label") or label), int(d["requests"]), int(d["ok"]), int(d["errors"]),
                   int(d.get("aborted", 0)), {k: int(v) for k, v in (d.get("status") or {}).items()})

    def __add__(self, other: EntryResult) -> EntryResult:
        status = dict(self.status)
        for code, n in other.status.items():
            status[code] = status.get(code, 0) + n
        return EntryResult(self.label, self.requests + other.requests, self.ok + other.ok,
                           self.errors + other.errors, self.aborted + other.aborted, dict(sorted(status.items())))

    def unexpected(self, expected: Sequence[int]) -> int:
        """Transport errors plus answers outside ``expected`` (empty: outside 2xx/3xx)."""
        return self.errors + sum(n for code, n in self.status.items()
                                 if (int(code) not in expected if expected else not 200 <= int(code) < 400))


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
    aborted: int = 0
    entries: tuple[EntryResult, ...] = ()

    @classmethod
    def from_json(cls, d: PhaseJSON, labels: Sequence[str] = ()) -> PhaseResult:
        raw = d.get("entries") or ()
        entries = tuple(EntryResult.from_json(e, labels[i] if i < len(labels) else "") for i, e in enumerate(raw))
        return cls(requests=int(d["requests"]), ok=int(d["ok"]), errors=int(d["errors"]),
                   seconds=float(d["seconds"]), rps=float(d["rps"]), p50_ms=float(d.get("p50_ms", 0)),
                   p99_ms=float(d.get("p99_ms", 0)), status=dict(d.get("status") or {}),
                   first_error=d.get("first_error") or None, aborted=int(d.get("aborted", 0)), entries=entries)


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
    aborted: int = 0
    entries: tuple[EntryResult, ...] = ()  # per request of the mix, over all phases
    seed: int | None = None  # what {uuid}, {rand} and the mix drew on: the same seed replays them
    protocol: str = "http"  # or "grpc"

    @classmethod
    def of(cls, phases: Sequence[PhaseResult], driver_requests: int, seed: int | None = None,
           protocol: str = "http") -> LoadSummary:
        status: dict[str, int] = {}
        for p in phases:
            for code, n in p.status.items():
                status[code] = status.get(code, 0) + int(n)
        entries: list[EntryResult] = []
        for p in phases:
            entries = [a + b for a, b in zip(entries, p.entries, strict=True)] if entries else list(p.entries)
        rps = sorted(p.rps for p in phases[1:]) or [0.0]
        return cls(tuple(phases), driver_requests, rps[len(rps) // 2], sum(p.errors for p in phases),
                   dict(sorted(status.items())), sum(p.aborted for p in phases), tuple(entries), seed, protocol)

    def check(self, requests: Sequence[Request]) -> None:
        """Raise LoadError when too many responses to one request of the mix were not what it expects
        (gRPC: the calls' status codes, OK unless expect_codes says otherwise)."""
        grpc = self.protocol == "grpc"
        name = grpcload.code_name if grpc else str
        for entry, req in zip(self.entries, requests, strict=False):
            total = entry.errors + sum(entry.status.values())
            unexpected = entry.unexpected(req.expect_status)
            if not total or unexpected / total <= MAX_UNEXPECTED_SHARE:
                continue
            counts = ", ".join(f"{name(code)}: {n}" for code, n in entry.status.items())
            if entry.errors:
                counts += f", transport errors: {entry.errors}"
            first = next((p.first_error for p in self.phases if p.first_error), None)
            want = ", ".join(map(name, req.expect_status)) if req.expect_status else "2xx/3xx"
            which = f" to {req.label}" if len(requests) > 1 else ""
            fix = ("Fix load.grpc, or declare the codes it expects with load.grpc.expect_codes." if grpc else
                   "Fix load.path/method, or declare the statuses it expects with expect_status.")
            raise LoadError(
                f"{unexpected} of {total} {'calls' if grpc else 'responses'}{which} ({unexpected / total:.0%}) "
                f"were not {want} ({counts})" + (f"; first error: {first}" if first else "")
                + f": not the load the scenario describes. {fix}")


def spec(base_url: str, load: Load, variables: dict[str, str], seed: int) -> Spec:
    """The driver's configuration (``loadgen/spec.go``)."""
    out = Spec(base_url=base_url, concurrency=load.concurrency, rate=load.rate, timeout_s=load.timeout, seed=seed,
               vars=variables,
               requests=[RequestSpec(method=r.method, path=r.path, headers=[[k, v] for k, v in r.headers.items()],
                                     body=r.body or "", weight=r.weight) for r in load.entries()])
    if load.abort:
        out["abort"] = AbortSpec(share=load.abort.share, after_s=load.abort.after)
    if load.grpc:
        out["grpc"] = grpcload.driver_config(load.grpc, base_url)
    return out


def loadgen_binary(cache_dir: Path) -> Path:
    digest = gotool.source_hash(LOADGEN_DIR, extra=(gotool.go_version(),))
    binary = cache_dir / "loadgen" / digest[:24] / "loadgen"
    if not binary.is_file():
        try:
            gotool.build_static(LOADGEN_DIR, binary)
        except gotool.GoError as exc:
            raise LoadError(f"cannot build the load driver: {exc}") from exc
    return binary


class LoadRun(Protocol):
    """A running load driver as the drive loop uses it (LoadDriver; a fake in unit tests)."""

    seed: int
    total: int  # requests sent so far

    def run(self, requests: int) -> PhaseResult: ...

    def run_for(self, seconds: float) -> PhaseResult: ...

    def __enter__(self) -> LoadRun: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


#: Starts a load driver: (binary, base URL, the load, captured variables, seed) -> a running one.
LoadDriverFactory = Callable[[Path, str, Load, dict[str, str], int | None], LoadRun]


class LoadDriver:
    """A running load driver aimed at one URL. Use as a context manager; it never outlives it."""

    def __init__(self, binary: Path, base_url: str, load: Load, variables: dict[str, str] | None = None,
                 seed: int | None = None) -> None:
        self.load = load
        self.seed = random.randrange(2**53) if seed is None else seed  # JSON-safe: exact as a float too
        self.total = 0
        self._labels = [r.label for r in load.entries()]
        self._proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, start_new_session=True,
                                      preexec_fn=die_with_parent(signal.SIGKILL))
        self._send(json.dumps(spec(base_url, load, variables or {}, self.seed)))

    @property
    def pid(self) -> int:
        return self._proc.pid

    def run(self, requests: int) -> PhaseResult:
        """Send ``requests`` requests and wait for them, bounded by the per-request timeout."""
        # Worst case every request times out, one after another on each connection.
        bound = 30.0 + requests * self.load.timeout / self.load.concurrency
        if self.load.rate > 0:
            bound += requests / self.load.rate
        return self._phase(str(requests), bound)

    def run_for(self, seconds: float) -> PhaseResult:
        """Send requests for ``seconds`` (a phase of ``load.duration``) and wait for the last answers."""
        return self._phase(f"{seconds:.3f}s", 30.0 + seconds + self.load.timeout)

    def _send(self, line: str) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError as exc:
            raise LoadError(f"the load driver exited: {self._stderr()}") from exc

    def _phase(self, command: str, bound: float) -> PhaseResult:
        proc = self._proc
        assert proc.stdout is not None
        self._send(command)
        ready, _, _ = select.select([proc.stdout], [], [], bound)
        line = proc.stdout.readline() if ready else b""
        if not line:
            if ready:  # end of output: the driver exited (say, on a gRPC method it could not resolve)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
                raise LoadError(f"the load driver exited: {self._stderr()}")
            raise LoadError(f"the load driver gave no result within {bound:.0f}s: {self._stderr()}")
        result = PhaseResult.from_json(json.loads(line), self._labels)
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
