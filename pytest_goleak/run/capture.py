"""Capture stage: one snapshot of a running service.

A snapshot is the live-heap figures (read from stock ``net/http/pprof``'s
``/debug/pprof/heap?gc=1&debug=1``, which collects garbage and reads ``runtime.MemStats`` before
it builds the profile), the heap profile, the goroutine profile (proto and the ``debug=2`` text
that carries wait reasons), allocs, the goroutine leak profile where the binary serves it, the
process's RSS / threads / fds from ``/proc`` and the container's cgroup memory. Nothing here needs
code in the service beyond ``net/http/pprof``. Raw profiles are written to disk as
``go tool pprof`` reads them; only figures travel on as data.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..pprof import ProfileError, parse
from ..pprof.goroutines import group_by_stack, parse_text
from ..scenario.ignore import IgnoreRule, first_match
from .httpget import FetchError, get
from .runtime.base import Instance

GZIP_MAGIC = b"\x1f\x8b"
_GOROUTINE_HEADER = re.compile(rb"^goroutine \d+", re.MULTILINE)
_LEAK_TOTAL = re.compile(rb"^goroutineleak profile: total (\d+)", re.MULTILINE)
# runtime/pprof's writeHeapInternal: "# Name = N" (or "# Stack = inuse / sys") after the records,
# and "@ heap/<2*MemProfileRate>" in the header.
_MEMSTAT = re.compile(rb"^# (\w+) = (\d+)(?: / (\d+))?[ \t]*$", re.MULTILINE)
_HEAP_RATE = re.compile(rb"^heap profile: .*@ heap/(\d+)[ \t]*$", re.MULTILINE)
# /debug/pprof/ index: runtime.NumGoroutine() without walking any stack.
_INDEX_GOROUTINES = re.compile(rb"<td>(\d+)</td><td><a href=['\"]goroutine\?debug=1['\"]>goroutine</a>")


#: Above this many goroutines (``runtime.NumGoroutine`` from the ``/debug/pprof/`` index) a
#: snapshot skips the ``goroutine?debug=2`` text dump: tens of thousands of stacks printed one by
#: one outlast a capture timeout, and the proto profile carries the same stacks (the culprit is
#: named from it; only the wait reasons and creators of the text are missing then).
GOROUTINE_TEXT_CAP = 10_000


class CaptureError(Exception):
    """A profile endpoint answered with something that is not a profile, or not at all."""


#: Which part of the run a snapshot is from: the measured window, or the extension past it.
Phase = Literal["main", "extension"]


@dataclass(frozen=True)
class Snapshot:
    """One point of the series. Frozen: the stages after capture make changed copies."""

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
    heap_source: str | None = None  # "memstats" (exact, debug=1 heap), "expvar" or "profile" (estimates)
    memprofilerate: int | None = None  # runtime.MemProfileRate in force, from the heap profile header
    settle_s: float | None = None  # how long in-flight work took to wind down before this snapshot
    phase: Phase = "main"  # "extension" for snapshots taken to tell filling from leaking
    goroutines_ignored: int | None = None  # left out of `goroutines` by the scenario's ignore list
    profiles: dict[str, str] = field(default_factory=dict)
    memstats: dict[str, float] = field(default_factory=dict)

    def value(self, signal: str) -> float | None:
        """The figure of a signal (a field named in signals.py), None when it was not measured."""
        v = getattr(self, signal, None)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def take_snapshot(instance: Instance, index: int, t: float, driver_requests: int, out_dir: Path,
                  report_dir: Path, *, leak_profile: bool = True, timeout: float = 30.0,
                  phase: Phase = "main", settle_s: float | None = None,
                  ignore: Sequence[IgnoreRule] = (), light: bool = False) -> Snapshot:
    """One snapshot: the figures, then (unless ``light``) the profiles saved under ``out_dir``.

    A light snapshot reads every figure a budget is judged on, counted the same way, and saves no
    profile: the extension's points between its first and its last, which only the figures of
    are ever read (the culprit is a diff of the first and the last profiles). ``complete`` adds
    the profiles to the one that turns out to be the last.
    """
    base = instance.pprof_url + "/debug/pprof"
    snap = Snapshot(index=index, t=t, requests=driver_requests, phase=phase, settle_s=settle_s)
    # Exact live-heap figures first: the debug=1 heap handler collects garbage and reads memstats
    # before it builds the profile, so neither that profile nor the ones after it are counted.
    snap = _read_memstats_text(_fetch(f"{base}/heap?gc=1&debug=1", timeout), snap)
    heap: bytes | None = None
    if snap.heap_inuse_bytes is None:  # no memstats lines: expvar, else the sampled profile totals
        snap = _read_expvar(instance, snap, timeout)
        if snap.heap_inuse_bytes is None:
            heap = _heap_profile(base, snap, timeout)
            snap = _heap_from_profile(heap, snap)
    else:
        snap = _read_requests_served(instance, snap, timeout)
    live = goroutine_count(instance, timeout)
    goroutine_proto = text = None
    if live is not None and live > GOROUTINE_TEXT_CAP:
        goroutine_proto = _profile(f"{base}/goroutine", timeout)
        snap = _goroutines_from_proto(goroutine_proto, live, ignore, snap)
    else:
        text = _goroutine_text(base, timeout)
        snap = replace(snap, goroutines=len(_GOROUTINE_HEADER.findall(text)))
        if ignore:
            snap = _apply_ignore(text, ignore, snap)
    leak = _goroutineleak_text(base, timeout) if leak_profile else None
    leak_text = None
    if leak is not None:
        leak_text, count = leak
        snap = replace(snap, goroutineleak=count)
    snap = _read_proc(instance.host_pid(), snap)
    cg = instance.cgroup_memory()
    snap = replace(snap, cgroup_memory_bytes=float(cg) if cg is not None else None)
    if light:
        return snap
    return _save_profiles(base, snap, out_dir, report_dir, timeout, heap=heap, goroutine_proto=goroutine_proto,
                          text=text, leak_text=leak_text, with_text=goroutine_proto is None)


def complete(instance: Instance, snap: Snapshot, out_dir: Path, report_dir: Path, *, timeout: float = 30.0,
             leak_profile: bool = True) -> Snapshot:
    """A light snapshot with its profiles added, fetched now (the load has stopped since its figures)."""
    if snap.profiles:
        return snap
    base = instance.pprof_url + "/debug/pprof"
    leak = _goroutineleak_text(base, timeout) if leak_profile and snap.goroutineleak is not None else None
    live = (snap.goroutines or 0) + (snap.goroutines_ignored or 0)
    return _save_profiles(base, snap, out_dir, report_dir, timeout, leak_text=leak[0] if leak else None,
                          with_text=live <= GOROUTINE_TEXT_CAP)


def _save_profiles(base: str, snap: Snapshot, out_dir: Path, report_dir: Path, timeout: float, *,
                   heap: bytes | None = None, goroutine_proto: bytes | None = None, text: bytes | None = None,
                   leak_text: bytes | None = None, with_text: bool = True) -> Snapshot:
    """The snapshot's raw profiles, written as ``go tool pprof`` reads them: what was already
    fetched for a figure is saved, the rest fetched here; the goroutine text only ``with_text``
    (under GOROUTINE_TEXT_CAP)."""
    profiles: dict[str, str] = {}

    def save(kind: str, suffix: str, body: bytes, key: str | None = None) -> None:
        path = out_dir / f"{kind}-{snap.index}{suffix}"
        path.write_bytes(body)
        profiles[key or kind] = str(path.relative_to(report_dir))

    save("heap", ".pb.gz", heap if heap is not None else _heap_profile(base, snap, timeout))
    save("goroutine", ".pb.gz", goroutine_proto if goroutine_proto is not None else _profile(f"{base}/goroutine",
                                                                                              timeout))
    if with_text:  # under the cap: the text with wait reasons and creators
        save("goroutine", ".txt", text if text is not None else _goroutine_text(base, timeout), key="goroutine_text")
    save("allocs", ".pb.gz", _profile(f"{base}/allocs", timeout))
    if leak_text is not None:
        save("goroutineleak", ".txt", leak_text, key="goroutineleak_text")
        with contextlib.suppress(CaptureError):  # the proto form, for `go tool pprof`
            save("goroutineleak", ".pb.gz", _profile(f"{base}/goroutineleak", timeout))
    return replace(snap, profiles=profiles)


def _heap_profile(base: str, snap: Snapshot, timeout: float) -> bytes:
    """The heap profile. After memstats were read the debug=1 handler's own collection has just
    published it (runtime.GC publishes the profile of the cycle it ran): a second forced
    collection would show the same records at the cost of a full GC of the service. Without
    memstats (a server that is not stock pprof) the profile forces its own."""
    return _profile(f"{base}/heap" if snap.heap_source == "memstats" else f"{base}/heap?gc=1", timeout)


def _goroutine_text(base: str, timeout: float) -> bytes:
    text = _fetch(f"{base}/goroutine?debug=2", timeout)
    if not text.startswith(b"goroutine "):
        raise CaptureError(f"GET {base}/goroutine?debug=2 did not return goroutine stacks "
                           f"(starts with {text[:40]!r})")
    return text


def _goroutines_from_proto(body: bytes, live: int, rules: Sequence[IgnoreRule], snap: Snapshot) -> Snapshot:
    """The goroutine count (and the ignored ones) from the proto profile, when the text dump is
    skipped. The proto stacks have no creator: ``created_by`` rules match nothing here."""
    try:
        groups = group_by_stack(parse(body))
    except ProfileError:
        return replace(snap, goroutines=live)
    total = sum(g.count for g in groups)
    if not rules:
        return replace(snap, goroutines=total)
    ignored = sum(g.count for g in groups if first_match(rules, g.frames, None))
    return replace(snap, goroutines=total - ignored, goroutines_ignored=ignored)


def _apply_ignore(text: bytes, rules: Sequence[IgnoreRule], snap: Snapshot) -> Snapshot:
    try:
        goroutines = parse_text(text.decode(errors="replace"))
    except ProfileError:
        return snap  # counted whole; the culprit stage reports the unreadable text
    ignored = sum(1 for g in goroutines if first_match(rules, g.frames, g.created_by))
    return replace(snap, goroutines=len(goroutines) - ignored, goroutines_ignored=ignored)


@dataclass(frozen=True)
class IdleWindow:
    """The service's counts at the start and the end of a pause in the load: growth with time and
    not with requests (a background loop), and the service's own drift."""

    seconds: float
    before: dict[str, float]
    after: dict[str, float]

    def rise(self, signal: str) -> float | None:
        if signal not in self.before or signal not in self.after:
            return None
        return self.after[signal] - self.before[signal]


def idle_window(instance: Instance, seconds: float, timeout: float) -> IdleWindow:
    """Pause ``seconds`` with no load between two reads of the goroutine and fd counts."""
    pid = instance.host_pid()

    def read() -> dict[str, float]:
        counts = {"goroutines": goroutine_count(instance, timeout), "fds": fd_count(pid)}
        return {k: float(v) for k, v in counts.items() if v is not None}

    before, t0 = read(), time.monotonic()
    time.sleep(seconds)
    after = read()
    return IdleWindow(round(time.monotonic() - t0, 3), before, after)


def goroutine_count(instance: Instance, timeout: float) -> int | None:
    """``runtime.NumGoroutine()`` as the ``/debug/pprof/`` index shows it (cheap: no stack walk)."""
    try:
        m = _INDEX_GOROUTINES.search(get(instance.pprof_url + "/debug/pprof/", timeout=timeout))
    except FetchError:
        return None
    return int(m.group(1)) if m else None


def fd_count(pid: int | None) -> int | None:
    if not pid:
        return None
    try:  # os.listdir: a Path per entry costs a second a scenario on a service with thousands of fds
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


#: Settling: poll until the goroutine and fd counts have not fallen for QUIET seconds, at most
#: SETTLE_BOUND seconds. A series that never falls costs only QUIET.
SETTLE_QUIET = 0.1
SETTLE_BOUND = 2.0


def settle(instance: Instance, timeout: float = 5.0, quiet: float = SETTLE_QUIET,
           bound: float = SETTLE_BOUND) -> float:
    """Let in-flight work wind down before a snapshot, as uber-go/goleak retries before it reports.

    Handlers may leave short-lived goroutines behind them (a watcher that ends a few tens of
    milliseconds after the response); counted while still alive they look like growth. With the
    load stopped, re-read the goroutine count (and the fd count, where the process is visible)
    with a growing back-off until neither has fallen for ``quiet`` seconds, or ``bound`` passes.
    Returns the seconds spent until the counts stopped falling.
    """
    t0 = time.monotonic()
    pid = instance.host_pid()

    def read() -> tuple[int | None, int | None]:
        return goroutine_count(instance, timeout), fd_count(pid)

    last = read()
    if last == (None, None):
        return 0.0
    settled_at = t0
    delay = 0.005
    while time.monotonic() - t0 < bound and time.monotonic() - settled_at < quiet:
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
        now = read()
        if any(n is not None and o is not None and n < o for n, o in zip(now, last, strict=True)):
            settled_at = time.monotonic()
        last = now
    return round(max(settled_at - t0, 0.0), 3)


def prime(instance: Instance, timeout: float = 30.0) -> None:
    """Hit every probe once before the series, and throw the answers away.

    The first call of each endpoint allocates for good inside the fixture (encoding/json's type
    cache behind /debug/vars, gzip tables behind the profile handlers). Counted in the series,
    that one-time growth would look like a leak of the harness's own making.
    """
    probes = ("pprof/", "pprof/heap?gc=1&debug=1", "pprof/heap", "pprof/goroutine", "pprof/goroutine?debug=2",
              "pprof/allocs", "pprof/goroutineleak?debug=1", "vars")
    for url in (f"{instance.pprof_url}/debug/{p}" for p in probes):
        try:
            get(url, timeout=timeout)
        except FetchError as exc:
            if exc.status is None:
                return  # no answer: the snapshot that needs it will say; a hang is not waited on twice


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


def _goroutineleak_text(base: str, timeout: float) -> tuple[bytes, int] | None:
    """The goroutine leak profile's text and its total. Go 1.27 serves it in every build, Go 1.26
    only with GOEXPERIMENT=goroutineleakprofile: a 404 (or any miss) means the signal is absent (None)."""
    try:
        body = get(f"{base}/goroutineleak?debug=1", timeout=timeout)
    except FetchError:
        return None
    m = _LEAK_TOTAL.search(body)
    return (body, int(m.group(1))) if m else None


def _read_expvar(instance: Instance, snap: Snapshot, timeout: float) -> Snapshot:
    try:
        data = service_json(get(instance.pprof_url + "/debug/vars", timeout=timeout))
    except (FetchError, ValueError):
        return snap  # a service without expvar: heap figures come from the profile instead
    mem = data.get("memstats") or {}
    if isinstance(mem, dict) and isinstance(mem.get("HeapAlloc"), (int, float)) and snap.heap_inuse_bytes is None:
        snap = _set_heap(snap, mem, "expvar")
    return _requests_from(data, snap)


def _read_requests_served(instance: Instance, snap: Snapshot, timeout: float) -> Snapshot:
    try:
        data = service_json(get(instance.pprof_url + "/debug/vars", timeout=timeout))
    except (FetchError, ValueError):
        return snap
    return _requests_from(data, snap)


def service_json(body: bytes) -> Any:
    """JSON a service sent, with NaN, Infinity and numbers too big for a float read as None: none
    of them may reach a figure, or results.json."""
    return json.loads(body, parse_constant=lambda _: None,
                      parse_float=lambda s: value if math.isfinite(value := float(s)) else None)


def _requests_from(data: Any, snap: Snapshot) -> Snapshot:
    """A service may publish its own request counter as expvar ``requests_served``; it counts
    what the service handled even when the load driver lost count (retries, timeouts)."""
    served = data.get("requests_served") if isinstance(data, dict) else None
    if isinstance(served, int) and not isinstance(served, bool) and served > 0:
        return replace(snap, requests=served)
    return snap


_MEMSTATS_KEYS = ("HeapAlloc", "HeapInuse", "HeapObjects", "HeapSys", "Sys", "NumGC", "StackInuse")


def _set_heap(snap: Snapshot, mem: Mapping[str, Any], source: str) -> Snapshot:
    return replace(snap, heap_inuse_bytes=float(mem["HeapAlloc"]), heap_objects=float(mem.get("HeapObjects", 0)),
                   memstats={k: float(mem[k]) for k in _MEMSTATS_KEYS if isinstance(mem.get(k), (int, float))},
                   heap_source=source)


def parse_heap_text(body: bytes) -> tuple[dict[str, float], int | None]:
    """The memstats lines and the MemProfileRate of a ``debug=1`` heap profile.

    Returns ``({}, rate)`` when the lines are missing or garbled (a proxy that trims the body, a
    non-Go server): the caller falls back, it does not fail.
    """
    rate_m = _HEAP_RATE.search(body)
    rate = int(rate_m.group(1)) // 2 if rate_m else None
    stats: dict[str, float] = {}
    for m in _MEMSTAT.finditer(body):
        name = m.group(1).decode()
        stats.setdefault(name, float(m.group(2)))  # "Stack = inuse / sys": the first figure
    if not all(k in stats for k in ("HeapAlloc", "HeapObjects", "NumGC")):
        return {}, rate
    if "Stack" in stats:
        stats["StackInuse"] = stats.pop("Stack")
    return stats, rate


def _read_memstats_text(body: bytes, snap: Snapshot) -> Snapshot:
    stats, rate = parse_heap_text(body)
    snap = replace(snap, memprofilerate=rate)
    return _set_heap(snap, stats, "memstats") if stats else snap


def _heap_from_profile(body: bytes, snap: Snapshot) -> Snapshot:
    """No expvar (a user's service): the heap profile's inuse totals stand in. They are the
    runtime's sampled estimates (see MemProfileRate), scaled as ``go tool pprof`` shows them."""
    try:
        prof = parse(body)
        space = float(prof.total(prof.index_of("inuse_space")))
        objects = float(prof.total(prof.index_of("inuse_objects")))
    except ProfileError:
        return snap  # the samples are still saved; the heap signals are simply absent
    return replace(snap, heap_inuse_bytes=space, heap_objects=objects, heap_source="profile")


def anon_bytes(pid: int | None) -> int | None:
    """The process's own resident memory now: its anonymous pages (RssAnon), which only it holds
    and which its cgroup is always charged for, unlike the file pages in VmRSS (its binary's code,
    which may be charged to whoever read the file first, so VmRSS can pass the cgroup's limit:
    48.3 MiB under 48 MiB, measured). VmRSS on a kernel without RssAnon; None off this host or
    once the process is gone."""
    if not pid:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^RssAnon:\s+(\d+) kB", status, re.MULTILINE) or re.search(r"^VmRSS:\s+(\d+) kB", status,
                                                                              re.MULTILINE)
    return int(m.group(1)) * 1024 if m else None


def _read_proc(pid: int | None, snap: Snapshot) -> Snapshot:
    if not pid:
        return snap
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return snap  # a remote engine: the process is not on this host
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            snap = replace(snap, rss_bytes=float(line.split()[1]) * 1024)
        elif line.startswith("Threads:"):
            snap = replace(snap, threads=float(line.split()[1]))
    fds = fd_count(pid)
    return replace(snap, fds=float(fds)) if fds is not None else snap

