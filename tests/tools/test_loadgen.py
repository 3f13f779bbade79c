"""The Go load driver: its own Go tests, and a real phase against a real local server."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading

import pytest

from pytest_goleak.run.load import LOADGEN_DIR, LoadDriver, loadgen_binary
from pytest_goleak.scenario.parse import Load


def test_go_unit_tests(go_toolchain):
    proc = subprocess.run([go_toolchain, "test", "-count=1", "."], cwd=LOADGEN_DIR, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).hits += 1
        if self.path == "/empty":  # RFC 9112 §6.3: a 204 has no body, so needs no Content-Length
            self.send_response(204)
            self.end_headers()
            return
        code = 200 if self.path == "/ok" else 503
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_HEAD(self) -> None:  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "1000")  # the size a GET would have; no body follows
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_phases_count_every_request_and_status(server, go_toolchain, tmp_path):
    _Handler.hits = 0
    binary = loadgen_binary(tmp_path)
    with LoadDriver(binary, server, Load(path="/ok", concurrency=4)) as driver:
        first = driver.run(200)
        second = driver.run(50)
    assert (first.requests, first.ok, first.errors, first.status) == (200, 200, 0, {"200": 200})
    assert second.ok == 50 and driver.total == 250 and _Handler.hits == 250
    with LoadDriver(binary, server, Load(path="/down", concurrency=2)) as driver:
        bad = driver.run(10)
    assert bad.status == {"503": 10} and bad.ok == 0 and bad.errors == 0


def test_bodiless_responses_are_not_errors(server, go_toolchain, tmp_path):
    """A 204 without Content-Length and HEAD requests: answered at once, on kept-alive connections."""
    binary = loadgen_binary(tmp_path)
    with LoadDriver(binary, server, Load(path="/empty", concurrency=2, timeout=2.0)) as driver:
        empty = driver.run(40)
    with LoadDriver(binary, server, Load(path="/ok", method="HEAD", concurrency=2, timeout=2.0)) as driver:
        head = driver.run(40)
    assert (empty.ok, empty.errors, empty.status, empty.first_error) == (40, 0, {"204": 40}, None)
    assert (head.ok, head.errors, head.status, head.first_error) == (40, 0, {"200": 40}, None)
    assert empty.seconds < 2 and head.seconds < 2  # no request waited for its timeout


def test_refused_connections_are_errors_not_hangs(go_toolchain, tmp_path):
    with LoadDriver(loadgen_binary(tmp_path), "http://127.0.0.1:1", Load(path="/", concurrency=2, timeout=1.0)) as d:
        phase = d.run(5)
    assert phase.errors == 5 and phase.first_error


class _Echo(http.server.BaseHTTPRequestHandler):
    """Records each request's path, a header and its body."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str, bytes]] = []

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append((self.command, self.path, self.headers.get("Authorization", ""), body))
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def test_a_mix_with_variables_counts_each_entry_and_replays_by_seed(go_toolchain, tmp_path):
    from pytest_goleak.scenario.parse import Request

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    load = Load(concurrency=2, mix=(Request("/u/{seq}?r={rand:1-5}", headers={"Authorization": "Bearer {token}"},
                                            weight=3),
                                    Request("/export", "POST", body='{"id": "{uuid}"}', expect_status=(201,))))
    try:
        runs = []
        for _ in range(2):
            _Echo.seen = []
            with LoadDriver(loadgen_binary(tmp_path), base, load, {"token": "tk"}, seed=5) as driver:
                phase = driver.run(400)
                timed = driver.run_for(0.3)
            runs.append(sorted(_Echo.seen))
    finally:
        srv.shutdown()
        srv.server_close()
    gets, posts = phase.entries
    assert (gets.label, posts.label) == ("GET /u/{seq}?r={rand:1-5}", "POST /export")
    assert gets.requests + posts.requests == 400 and 50 < posts.requests < 150, phase.entries
    assert posts.status == {"201": posts.requests} and gets.status == {"200": gets.requests}
    assert timed.requests > 0 and 0.25 < timed.seconds < 2
    seqs = sorted(int(p.split("/")[2].split("?")[0]) for m, p, _, _ in runs[1] if m == "GET")
    assert len(seqs) == len(set(seqs)) and all(auth == "Bearer tk" for m, _, auth, _ in runs[1] if m == "GET")
    bodies = [json.loads(b)["id"] for m, _, _, b in runs[1] if m == "POST"]
    assert len(bodies) == len(set(bodies)) == posts.requests + timed.entries[1].requests
    # the same seed replays the same requests: request n of the count phase is the same in both runs
    def by_seq(run: list[tuple[str, str, str, bytes]]) -> set[tuple[str, str, bytes]]:
        return {(m, p, b) for m, p, _, b in run if m == "POST" or int(p.split("/")[2].split("?")[0]) <= 400}
    assert {r for r in by_seq(runs[0]) if r[0] == "GET"} == {r for r in by_seq(runs[1]) if r[0] == "GET"}
