"""What a running fixture looks like to the rest of the pipeline, whatever runs it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ...textsafe import clip
from ..httpget import FetchError, get


class RuntimeFailure(Exception):
    """The fixture could not be started, or died; carries exit code and last log lines."""

    def __init__(self, message: str, exit_code: int | None = None, logs: str = "",
                 oom_killed: bool = False) -> None:
        self.exit_code = exit_code
        self.logs = logs
        self.oom_killed = oom_killed
        tail = "\n".join(clip(line) for line in logs.strip().splitlines()[-20:])
        super().__init__(f"{message}\n--- last log lines ---\n{tail}" if tail else message)


@dataclass
class Status:
    running: bool
    exit_code: int | None = None
    oom_killed: bool = False


#: One fact about a running fixture: an image, a pid, the hardening applied, the files mounted...
Detail = str | int | Sequence[str] | Mapping[str, str] | None


@dataclass
class InstanceInfo:
    """Facts about the running fixture for the report (no secrets, JSON-ready)."""

    runtime: str
    details: dict[str, Detail] = field(default_factory=dict)


class Instance(Protocol):
    base_url: str  # where the app's load endpoint is served, e.g. http://127.0.0.1:49153
    pprof_url: str  # where /debug/pprof and /debug/vars are served (may equal base_url)
    info: InstanceInfo

    def host_pid(self) -> int | None: ...
    def cgroup_memory(self) -> int | None: ...
    def status(self) -> Status: ...
    def logs(self) -> str: ...
    def close(self) -> None: ...


def wait_healthy(instance: Instance, path: str, timeout: float, fallback: str | None = None,
                 base: str | None = None) -> str:
    """Poll ``path`` until it answers 2xx, the process dies, or ``timeout`` passes; returns the
    path that answered. With ``fallback`` (a path on the pprof listener), a 404 from ``path``
    means the service has no such endpoint, and ``fallback`` answering counts as healthy: a
    service with stock net/http/pprof and no /healthz needs no health key in its scenario.
    ``base``: where ``path`` is served, when not the service's base URL."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    delay = 0.05
    url = (base or instance.base_url) + path
    while time.monotonic() < deadline:
        st = instance.status()
        if not st.running:
            raise RuntimeFailure(f"the fixture exited (code {st.exit_code}) before it became healthy",
                                 st.exit_code, instance.logs(), st.oom_killed)
        try:
            get(url, timeout=min(2.0, max(0.1, deadline - time.monotonic())))
            return path
        except FetchError as exc:
            last = str(exc)
            if exc.status == 404 and fallback is not None:
                url, path, fallback = instance.pprof_url + fallback, fallback, None
                continue
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    facts = getattr(instance, "startup_facts", None)  # the local runtime: up how long, listening where
    said = f"; {facts()}" if callable(facts) else ""
    raise RuntimeFailure(f"the fixture did not become healthy within {timeout:.0f}s ({last}){said}",
                         None, instance.logs())
