"""httpget: fixture fetches never go through an HTTP proxy from the environment."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from pytest_goleak.httpget import FetchError, get
from pytest_goleak.procutil import free_port


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
