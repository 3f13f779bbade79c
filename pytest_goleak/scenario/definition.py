"""What a scenario is: the frozen :class:`Scenario` and its parts, and :class:`ScenarioError`.

parse.py reads them from YAML files; everything downstream takes these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import ignore as _ignore

SERVICES = ("redis", "postgres")
#: gRPC's status codes by number (google.rpc.Code), as expect_codes and the reports name them.
GRPC_CODES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
              "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
              "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")
EXPECTATIONS = ("leak", "clean")
#: A mapping as PyYAML loaded it from a scenario file: the input edge, untyped until parse.py has
#: checked each key and put it into the frozen values below.
YamlMapping = dict[str, Any]


class ScenarioError(Exception):
    """A scenario file is malformed. ``str(err)`` is ``"path:line: what is wrong"``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class GrpcLoad:
    """``load.grpc``: one gRPC method called over and over by the load driver."""

    call: str  # package.Service/Method
    data: str = "{}"  # the request message as JSON (protobuf's JSON mapping)
    proto: Path | None = None  # a .proto file; None: the server's reflection service
    metadata: Mapping[str, str] = field(default_factory=dict)
    stream_messages: int = 0  # server stream: read this many, then cancel (0: to its end)


@dataclass(frozen=True)
class Request:
    """One request the load sends: ``load.path`` and its neighbours, an entry of ``load.mix``, or
    a ``setup:`` step. Path (with its query), header values and body are templates (see run/load.py)."""

    path: str = "/"
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    weight: float = 1.0
    # Empty: 2xx and 3xx (in a mix, the load's own expect_status when it has one).
    expect_status: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Abort:
    """``load.abort``: that share of requests is given up ``after`` seconds after sending."""

    share: float
    after: float


@dataclass(frozen=True)
class Load:
    path: str = "/"
    method: str = "GET"
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    mix: tuple[Request, ...] = ()  # a weighted list of requests; empty: the one request above
    abort: Abort | None = None
    seed: int | None = None  # None: a random seed per run, recorded in results.json
    duration: float | None = None  # seconds of measured load (a soak by time) instead of requests
    requests: int = 2000
    warmup_requests: int = 200
    concurrency: int = 8
    rate: float = 0.0  # requests per second in total; 0 means as fast as the service answers
    timeout: float = 5.0
    # Statuses the scenario means to get. Empty: 2xx and 3xx; more than a small share of anything
    # else (or of transport errors) is not the load the scenario describes, and an error verdict.
    expect_status: tuple[int, ...] = ()
    grpc: GrpcLoad | None = None  # a gRPC load instead of HTTP requests
    expect_codes: tuple[int, ...] = (0,)  # the gRPC status codes the scenario means to get

    def entries(self) -> tuple[Request, ...]:
        """The mix, each entry with the statuses it expects; ``load.path`` is a mix of one."""
        if self.grpc:  # one call, "gRPC /package.Service/Method", expecting the status codes
            return (Request(f"/{self.grpc.call}", "gRPC", {}, None, 1.0, self.expect_codes),)
        if not self.mix:
            return (Request(self.path, self.method, self.headers, self.body, 1.0, self.expect_status),)
        return tuple(r if r.expect_status else replace(r, expect_status=self.expect_status) for r in self.mix)


@dataclass(frozen=True)
class SetupStep:
    """One ``setup:`` step: an HTTP request (capturing values for the load), or a host command."""

    index: int
    line: int = field(compare=False)
    request: Request | None = None
    capture: Mapping[str, str] = field(default_factory=dict)  # variable -> "json:a.b.0" / "header:Name"
    command: tuple[str, ...] = ()
    timeout: float = 60.0

    @property
    def label(self) -> str:
        what = self.request.label if self.request else " ".join(self.command)
        return f"setup step {self.index + 1} ({what})"


@dataclass(frozen=True)
class Limits:
    memory: int = 256 * 1024 * 1024
    pids: int = 512


@dataclass(frozen=True)
class Hardening:
    """Opt-outs from the container hardening, for images that need them (README, "Threat model").
    Every service runs as 65532:65532 on a read-only root unless its scenario says otherwise."""

    root: bool = False  # run as the image's own user (often root) instead of 65532:65532
    writable_root: bool = False  # a writable root filesystem instead of a read-only one


@dataclass(frozen=True)
class Extension:
    """How far to keep the load going when a signal is over budget, to tell filling from leaking.

    ``factor`` bounds the measured requests in all (main run plus extension) as a multiple of
    ``load.requests``; 1 turns the extension off. ``timeout`` bounds the extension's own time.
    None: the run-wide default (see options).
    """

    factor: float | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    description: str = ""
    fixture: Path | None = None  # a Go main package directory
    dockerfile: Path | None = None  # a user's Dockerfile; its directory is the build context
    image: str | None = None  # an image already present in the engine
    expect: str | None = None  # "leak", "clean", or None for a user's own service
    culprit: str | None = None  # the function that must top the culprit list when it leaks
    services: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()  # the service's command-line arguments (replace an image's CMD)
    files: Mapping[str, Path] = field(default_factory=dict)  # read-only: path in the container -> host file
    port: int = 8080  # where the app listens inside the container
    port_env: str = "PORT"  # the env var through which the app learns its port
    pprof_port: int | None = None  # a separate admin port serving /debug/pprof, if any
    health_path: str | None = None  # None: /healthz, or /debug/pprof/ when /healthz is a 404
    health_timeout: float = 30.0
    network: str = "auto"  # "bridge", "host", or "auto" (host when services are needed)
    load: Load = field(default_factory=Load)
    setup: tuple[SetupStep, ...] = ()  # run once after the health check, before the warm-up
    snapshots: int = 6
    budgets: Mapping[str, float] = field(default_factory=dict)
    extension: Extension = field(default_factory=Extension)
    ignore: tuple[_ignore.IgnoreRule, ...] = ()  # goroutines excluded from the signal and the culprits
    limits: Limits = field(default_factory=Limits)
    hardening: Hardening = field(default_factory=Hardening)
    memprofilerate: int | None = None  # None: the harness default (see options)
    timeout: float = 300.0
    capture_timeout: float = 30.0  # bound on each profile / figures request of a snapshot
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        return self.lines.get(key)
