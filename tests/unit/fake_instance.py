"""A fake ``runtime.base.Instance``: a small threaded HTTP server on 127.0.0.1 that serves the
committed profiles under tests/data/profiles/ and a synthetic series of runtime figures.

It answers the load path (counting requests, so the real Go load driver drives it), /healthz,
/debug/vars, /debug/goleak/gc, and /debug/pprof/{heap,goroutine,allocs,trace} in the forms the
capture stage asks for: proto (``base`` profiles until the first snapshot, ``new`` ones after),
``goroutine?debug=2`` and ``?debug=1`` text, and ``heap?gc=1&debug=1`` text with Go's
``# HeapAlloc = N`` / ``# HeapObjects = N`` / ``# NumGC = N`` lines. The figures grow with the
requests served at the rates given, so a test chooses a leak or a flat series.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pytest_goleak.run.runtime.base import InstanceInfo, Status

PROFILES = Path(__file__).resolve().parents[1] / "data" / "profiles"
_HEADER = re.compile(r"^goroutine \d+ ", re.MULTILINE)


@dataclass(frozen=True)
class Series:
    """Runtime figures as a function of the requests served (per 1,000 requests)."""

    goroutines_per_1k: float = 0.0
    heap_bytes_per_1k: float = 0.0
    heap_objects_per_1k: float = 0.0
    heap_bytes: float = 4 * 1024 * 1024
    heap_objects: float = 20_000
    heap_full_at: float | None = None  # requests after which the heap stops growing (a full cache)


@dataclass(frozen=True)
class Pair:
    """One committed fixture's profiles, and the function whose stack the leak text repeats."""

    name: str  # e.g. "goroutine_chan_leaky": <name>.base.heap.pb.gz, <name>.new.goroutine.txt ...
    leak_frame: str = "main."  # a goroutine block of the new text with this frame is the one repeated

    def read(self, which: str, kind: str) -> bytes:
        return (PROFILES / f"{self.name}.{which}.{kind}").read_bytes()


class FakeInstance:
    """Implements runtime.base.Instance; ``close()`` stops the server."""

    def __init__(self, pair: Pair, series: Series, switch_at: int, *, heap_breaks_at: int | None = None,
                 text_breaks_at: int | None = None) -> None:
        self.pair, self.series, self.switch_at = pair, series, switch_at
        self.heap_breaks_at = heap_breaks_at  # from this many requests on, the heap profile is garbage
        self.text_breaks_at = text_breaks_at  # ... and the goroutine?debug=2 text (read by every snapshot)
        self.paths: list[str] = []  # every /debug/ request, path and query
        self.hits = 0
        self.num_gc = 0
        self._lock = threading.Lock()
        base_text = pair.read("base", "goroutine.txt").decode()
        self._base_blocks = [b for b in base_text.strip().split("\n\n") if b]
        new_blocks = pair.read("new", "goroutine.txt").decode().strip().split("\n\n")
        self._leak_block = next(b for b in new_blocks if pair.leak_frame in b)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)  # quick shutdown
        self._thread.start()
        self.base_url = self.pprof_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.info = InstanceInfo("fake", {"profiles": pair.name})

    # -- Instance --------------------------------------------------------------------------------

    def host_pid(self) -> int | None:
        return None

    def cgroup_memory(self) -> int | None:
        return None

    def status(self) -> Status:
        return Status(running=True)

    def logs(self) -> str:
        return "fake instance: no gctrace\n"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what it serves -------------------------------------------------------------------------

    def count(self) -> None:
        with self._lock:
            self.hits += 1

    def gc(self) -> dict[str, float]:
        """A forced GC: NumGC moves on, and the figures are read at once."""
        with self._lock:
            self.num_gc += 1
        return self.memstats()

    def memstats(self) -> dict[str, float]:
        with self._lock:
            r, n = self.hits, self.num_gc
        s = self.series
        if s.heap_full_at is not None:
            r = min(r, round(s.heap_full_at))
        return {"HeapAlloc": round(s.heap_bytes + s.heap_bytes_per_1k * r / 1000),
                "HeapInuse": round(s.heap_bytes * 1.25 + s.heap_bytes_per_1k * r / 1000),
                "HeapObjects": round(s.heap_objects + s.heap_objects_per_1k * r / 1000),
                "HeapSys": 16 * 1024 * 1024, "Sys": 24 * 1024 * 1024, "NumGC": n, "StackInuse": 512 * 1024}

    def profile(self, kind: str) -> bytes:
        return self.pair.read("new" if self.hits > self.switch_at else "base", f"{kind}.pb.gz")

    def goroutine_text(self) -> str:
        extra = round(self.series.goroutines_per_1k * self.hits / 1000)
        blocks = self._base_blocks + [self._leak_block] * extra
        return "\n\n".join(_HEADER.sub(f"goroutine {i + 1} ", b, count=1) for i, b in enumerate(blocks)) + "\n"

    def goroutines(self) -> int:
        return len(self._base_blocks) + round(self.series.goroutines_per_1k * self.hits / 1000)

    def index(self) -> str:
        """The /debug/pprof/ index row the harness reads runtime.NumGoroutine() from."""
        return f"<tr><td>{self.goroutines()}</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>\n"

    def goroutine_debug1(self) -> str:
        total = len(self._base_blocks) + round(self.series.goroutines_per_1k * self.hits / 1000)
        return (f"goroutine profile: total {total}\n{total} @ 0x43a1b6 0x4061c5\n"
                "#\t0x43a1b5\truntime.gopark+0xd5\truntime/proc.go:435\n")

    def heap_debug1(self) -> str:
        m = self.gc()
        return ("heap profile: 1: 4096 [1: 4096] @ heap/4096\n1: 4096 [1: 4096] @ 0x40a0b1\n"
                "#\t0x40a0b0\tmain.remember+0x50\tmain.go:20\n\n# runtime.MemStats\n"
                f"# Alloc = {m['HeapAlloc']}\n# TotalAlloc = {m['HeapAlloc'] * 4}\n# Sys = {m['Sys']}\n"
                f"# HeapAlloc = {m['HeapAlloc']}\n# HeapSys = {m['HeapSys']}\n# HeapInuse = {m['HeapInuse']}\n"
                f"# HeapObjects = {m['HeapObjects']}\n# Stack = {m['StackInuse']} / {m['StackInuse']}\n"
                f"# NumGC = {m['NumGC']}\n# NumForcedGC = {m['NumGC']}\n# DebugGC = false\n")


def _handler(fake: FakeInstance) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the load driver's raw client expects
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            body, ctype = self._route(url.path, q)
            if body is None:
                self._send(404, b"not found\n", "text/plain")
            else:
                self._send(200, body, ctype)

        def _route(self, path: str, q: dict[str, str]) -> tuple[bytes | None, str]:
            text, gz = "text/plain; charset=utf-8", "application/octet-stream"
            if path == "/healthz":
                return b"ok\n", text
            if path.startswith("/debug/"):
                fake.paths.append(self.path)
            if path == "/debug/pprof/":
                return fake.index().encode(), "text/html"
            if path == "/debug/vars":
                served = {"requests_served": fake.hits}
                return json.dumps({"memstats": fake.memstats(), **served}).encode(), "application/json"
            if path == "/debug/goleak/gc":
                return json.dumps(fake.gc()).encode(), "application/json"
            if path == "/debug/pprof/heap":
                if q.get("debug") == "1":
                    return fake.heap_debug1().encode(), text
                if q.get("gc") == "1":
                    fake.gc()
                if fake.heap_breaks_at is not None and fake.hits >= fake.heap_breaks_at:
                    return b"not a profile", text
                return fake.profile("heap"), gz
            if path == "/debug/pprof/allocs":
                return fake.profile("heap"), gz  # the allocs profile is the heap profile's samples
            if path == "/debug/pprof/goroutine":
                if q.get("debug") == "2":
                    if fake.text_breaks_at is not None and fake.hits >= fake.text_breaks_at:
                        return b"not a goroutine dump", text
                    return fake.goroutine_text().encode(), text
                if q.get("debug") == "1":
                    return fake.goroutine_debug1().encode(), text
                return fake.profile("goroutine"), gz
            if path == "/debug/pprof/trace":
                return b"go 1.26 trace\x00fake", gz
            if path.startswith("/debug/"):
                return None, text
            fake.count()  # the load path
            return b"ok\n", text

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
