"""httpget: fixture fetches never go through an HTTP proxy from the environment, follow no
redirect, end by their deadline however slowly the service answers, and are capped."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pytest_goleak.run.httpget import FetchError, get
from pytest_goleak.run.procutil import free_port
from pytest_goleak.run.runtime import address


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"hello " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(host: str) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((host, 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> str:
    """HTTP_PROXY pointing at a port nobody listens on; NO_PROXY unset."""
    proxy = f"http://127.0.0.1:{free_port()}"
    for var in ("NO_PROXY", "no_proxy", "GOLEAK_DOCKER_PUBLISHED_HOST", "GOLEAK_PUBLISH_IP", "DOCKER_HOST"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, proxy)
    return proxy


def _non_loopback_ip() -> str | None:
    """An address of this machine other than loopback (the route to a documentation address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            ip: str = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_loopback_fetch_ignores_http_proxy(dead_proxy: str) -> None:
    for base in _serve("127.0.0.1"):
        assert get(base + "/debug/vars", timeout=3) == b"hello /debug/vars"
        assert get(base.replace("127.0.0.1", "localhost") + "/x", timeout=3) == b"hello /x"


def test_published_address_fetch_ignores_http_proxy(dead_proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    for base in _serve(ip):
        with pytest.raises(FetchError):  # not the published address: the (dead) proxy is used
            get(base + "/", timeout=3)
        monkeypatch.setenv("GOLEAK_PUBLISH_IP", ip)
        assert get(base + "/", timeout=3) == b"hello /"


def test_bridge_address_fetch_ignores_http_proxy(dead_proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    monkeypatch.setattr(address, "_BRIDGES", set())
    for base in _serve(ip):
        with pytest.raises(FetchError):  # not on a bridge dialled directly: the (dead) proxy is used
            get(base + "/", timeout=3)
        address.add_bridge(f"{ip}/32")
        assert get(base + "/", timeout=3) == b"hello /"


class _Hostile(http.server.BaseHTTPRequestHandler):
    """/redirect answers 302 to $target; /drip sends headers then one byte every 0.2 s; /big 2 MiB."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.target)
            self.end_headers()
        elif self.path == "/drip":
            self.send_response(200)
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100):
                    self.wfile.write(b"o")
                    self.wfile.flush()
                    time.sleep(0.2)
        else:
            body = b"x" * (2 << 20)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_an_error_naming_its_location_and_is_not_followed(hostile: str) -> None:
    with socket.socket() as listener:  # where the redirect points: it must get no connection
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.3)
        _Hostile.target = f"http://127.0.0.1:{listener.getsockname()[1]}/latest/meta-data/"
        with pytest.raises(FetchError, match="redirect .*HTTP 302.*/latest/meta-data/"):
            get(hostile + "/redirect", timeout=3)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_the_deadline_bounds_the_whole_request_not_each_read(hostile: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(FetchError, match="did not finish within 1.0s"):
        get(hostile + "/drip", timeout=1.0)  # a byte every 0.2 s: no read ever times out
    assert time.monotonic() - t0 < 3


def test_the_body_is_capped(hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(get(hostile + "/big", timeout=5)) == 2 << 20
    monkeypatch.setenv("GOLEAK_MAX_GET_BYTES", "1MiB")
    with pytest.raises(FetchError, match="more than 1048576 bytes"):
        get(hostile + "/big", timeout=5)
