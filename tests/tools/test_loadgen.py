"""The Go load driver: its own Go tests, and a real phase against a real local server."""

from __future__ import annotations

import http.server
import subprocess
import threading

import pytest

from pytest_goleak.load import LOADGEN_DIR, LoadDriver, loadgen_binary
from pytest_goleak.scenario import Load


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
