"""Capture stage: one snapshot of a running fixture.

A snapshot is the heap profile (after a forced GC), the goroutine profile (proto and the
``debug=2`` text that carries wait reasons), allocs, the Go runtime figures from expvar, the
process's RSS / threads / fds from ``/proc`` and the container's cgroup memory. Raw profiles are
written to disk as ``go tool pprof`` reads them; only figures travel on as data.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .httpget import FetchError, get
from .runtime.base import Instance

GZIP_MAGIC = b"\x1f\x8b"
_GOROUTINE_HEADER = re.compile(rb"^goroutine \d+", re.MULTILINE)
_LEAK_TOTAL = re.compile(rb"^goroutineleak profile: total (\d+)", re.MULTILINE)


class CaptureError(Exception):
    """A profile endpoint answered with something that is not a profile, or not at all."""


@dataclass
class Snapshot:
    index: int
    t: float  # seconds since the first snapshot's series began
    requests: int  # requests served so far (the fixture's own counter when it has one)
    goroutines: int | None = None
    heap_inuse_bytes: float | None = None  # live heap at a forced GC; see heap_source for how exact
    heap_objects: float | None = None
    rss_bytes: float | None = None
    threads: float | None = None
    fds: float | None = None
    cgroup_memory_bytes: float | None = None
    gc_live_heap_bytes: float | None = None  # from the gctrace, filled in after the run
    goroutineleak: int | None = None
    server_connections: float | None = None  # Redis clients / PostgreSQL backends, all services
    heap_source: str | None = None  # "gc-endpoint" (exact), "expvar" or "profile" (estimates)
    profiles: dict[str, str] = field(default_factory=dict)
    memstats: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def take_snapshot(instance: Instance, index: int, t: float, driver_requests: int, out_dir: Path,
                  report_dir: Path, *, leak_profile: bool, timeout: float = 30.0) -> Snapshot:
    base = instance.pprof_url + "/debug/pprof"
    snap = Snapshot(index=index, t=t, requests=driver_requests)

    def save(kind: str, suffix: str, body: bytes, key: str | None = None) -> None:
        path = out_dir / f"{kind}-{index}{suffix}"
        path.write_bytes(body)
        snap.profiles[key or kind] = str(path.relative_to(report_dir))

    # Exact live-heap figures first, from a GC whose memstats are read at once (our fixtures'
    # /debug/goleak/gc), before the heap profile's own encoding litters the heap.
    _read_gc_endpoint(instance, snap, timeout)
    heap = _profile(f"{base}/heap?gc=1", timeout)
    save("heap", ".pb.gz", heap)
    # Without that endpoint, memstats right after heap?gc=1 are the next best thing: they also
    # count the profile just encoded (see README, "Your own service").
    _read_expvar(instance, snap, timeout)
    if snap.heap_inuse_bytes is None:
        _heap_from_profile(heap, snap)
    save("goroutine", ".pb.gz", _profile(f"{base}/goroutine", timeout))
    text = _fetch(f"{base}/goroutine?debug=2", timeout)
    if not text.startswith(b"goroutine "):
        raise CaptureError(f"GET {base}/goroutine?debug=2 did not return goroutine stacks "
                           f"(starts with {text[:40]!r})")
    save("goroutine", ".txt", text, key="goroutine_text")
    snap.goroutines = len(_GOROUTINE_HEADER.findall(text))
    save("allocs", ".pb.gz", _profile(f"{base}/allocs", timeout))
    if leak_profile:
        _goroutineleak(base, snap, save, timeout)
    _read_proc(instance.host_pid(), snap)
    cg = instance.cgroup_memory()
    snap.cgroup_memory_bytes = float(cg) if cg is not None else None
    return snap


def prime(instance: Instance, timeout: float = 30.0) -> None:
    """Hit every probe once before the series, and throw the answers away.

    The first call of each endpoint allocates for good inside the fixture (encoding/json's type
    cache behind /debug/vars, gzip tables behind the profile handlers). Counted in the series,
    that one-time growth would look like a leak of the harness's own making.
    """
    # /debug/goleak/gc is last: only our fixtures serve it, and a miss ends the priming.
    probes = ("pprof/heap?gc=1", "pprof/goroutine", "pprof/goroutine?debug=2", "pprof/allocs", "vars",
              "goleak/gc")
    for url in (f"{instance.pprof_url}/debug/{p}" for p in probes):
        try:
            get(url, timeout=timeout)
        except FetchError:
            return  # the snapshot that needs it will say what is wrong; a hang is not waited on twice


def _fetch(url: str, timeout: float) -> bytes:
    try:
        return get(url, timeout=timeout)
    except FetchError as exc:
        raise CaptureError(str(exc)) from exc


def _profile(url: str, timeout: float) -> bytes:
    body = _fetch(url, timeout)
    if not body.startswith(GZIP_MAGIC):
        what = "HTML" if body.lstrip()[:1] == b"<" else f"{len(body)} bytes starting {body[:16]!r}"
        raise CaptureError(f"GET {url} did not return a gzipped pprof profile (got {what})")
    return body


def _goroutineleak(base: str, snap: Snapshot, save: Any, timeout: float) -> None:
    try:
        body = get(f"{base}/goroutineleak?debug=1", timeout=timeout)
    except FetchError:
        return  # not built with the experiment (a user's own build): the signal is simply absent
    m = _LEAK_TOTAL.search(body)
    if m:
        snap.goroutineleak = int(m.group(1))
        save("goroutineleak", ".txt", body)


def _read_expvar(instance: Instance, snap: Snapshot, timeout: float) -> None:
    try:
        data = json.loads(get(instance.pprof_url + "/debug/vars", timeout=timeout))
    except (FetchError, ValueError):
        return  # a service without expvar: heap figures come from the profile instead
    mem = data.get("memstats") or {}
    if isinstance(mem, dict) and "HeapAlloc" in mem and snap.heap_inuse_bytes is None:
        _set_heap(snap, mem, "expvar")
    served = data.get("requests_served")
    if isinstance(served, int) and served > 0:
        snap.requests = served


_MEMSTATS_KEYS = ("HeapAlloc", "HeapInuse", "HeapObjects", "HeapSys", "Sys", "NumGC", "StackInuse")


def _set_heap(snap: Snapshot, mem: dict[str, Any], source: str) -> None:
    snap.heap_inuse_bytes = float(mem["HeapAlloc"])
    snap.heap_objects = float(mem.get("HeapObjects", 0))
    snap.memstats = {k: float(mem[k]) for k in _MEMSTATS_KEYS if isinstance(mem.get(k), (int, float))}
    snap.heap_source = source


def _read_gc_endpoint(instance: Instance, snap: Snapshot, timeout: float) -> None:
    try:
        mem = json.loads(get(instance.pprof_url + "/debug/goleak/gc", timeout=timeout))
    except (FetchError, ValueError):
        return  # not one of our fixtures
    if isinstance(mem, dict) and isinstance(mem.get("HeapAlloc"), (int, float)):
        _set_heap(snap, mem, "gc-endpoint")


def _heap_from_profile(body: bytes, snap: Snapshot) -> None:
    """No expvar (a user's service): the heap profile's inuse totals stand in. They are the
    runtime's sampled estimates (see MemProfileRate), scaled as ``go tool pprof`` shows them."""
    from .pprof import ProfileError, parse

    try:
        prof = parse(body)
        snap.heap_inuse_bytes = float(prof.total(prof.index_of("inuse_space")))
        snap.heap_objects = float(prof.total(prof.index_of("inuse_objects")))
    except ProfileError:
        return  # the samples are still saved; the heap signals are simply absent
    snap.heap_source = "profile"


def _read_proc(pid: int | None, snap: Snapshot) -> None:
    if not pid:
        return
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return  # a remote engine: the process is not on this host
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            snap.rss_bytes = float(line.split()[1]) * 1024
        elif line.startswith("Threads:"):
            snap.threads = float(line.split()[1])
    with contextlib.suppress(OSError):
        snap.fds = float(len(list(Path(f"/proc/{pid}/fd").iterdir())))

