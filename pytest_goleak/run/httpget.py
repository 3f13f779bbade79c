"""The one HTTP GET every stage uses to talk to a fixture: bounded, and with clear errors.

The service is untrusted (README, "Threat model"), so each GET has a deadline on the whole
request (connect, headers and body: a service that drips one byte a second cannot hold it
open), a cap on the body (``GOLEAK_MAX_GET_BYTES``), and follows no redirect: a redirect is an
error naming its Location, so a service cannot point the harness at an address only the host
reaches (a cloud metadata endpoint, a loopback admin port).
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..textsafe import quote
from . import limits
from .runtime.address import is_loopback, on_bridge, published_host


class FetchError(Exception):
    """A fixture endpoint could not be read: timeout, refused, non-200, or not what was expected."""

    def __init__(self, message: str, status: int | None = None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered, else None
        self.timed_out = timed_out  # no whole answer within the deadline


def timed_out(exc: BaseException | None) -> bool:
    """``exc``, or an exception it was raised from, is a fetch that ran out of its deadline."""
    while exc is not None:
        if isinstance(exc, FetchError) and exc.timed_out:
            return True
        exc = exc.__cause__
    return False


class Deadline:
    """Shuts down every socket of one request when its time is up, wherever the request is."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise FetchError(f"GET {req.full_url} answered a redirect (HTTP {code}) to {quote(newurl, 200)}: "
                         "the harness follows no redirect", code)


def _opener(url: str, deadline: Deadline) -> urllib.request.OpenerDirector:
    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            deadline.add(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    # Fixtures listen on loopback, on the engine's published address or on this host's bridge; a
    # proxy from HTTP_PROXY (a CI runner's, say) cannot reach any of them, so those fetches never
    # go through one.
    host = urllib.parse.urlsplit(url).hostname or ""
    direct = is_loopback(host) or host == published_host() or on_bridge(host)
    proxies = urllib.request.ProxyHandler({}) if direct else urllib.request.ProxyHandler()
    return urllib.request.build_opener(proxies, Handler(), _NoRedirect())


def get(url: str, timeout: float = 10.0, max_bytes: int | None = None) -> bytes:
    """GET ``url`` within ``timeout`` seconds in all; the body, at most ``max_bytes`` (default the
    ``get`` cap); FetchError names the URL and what went wrong."""
    if urllib.parse.urlsplit(url).scheme != "http":
        raise FetchError(f"GET {url}: only http:// URLs are fetched")
    cap = limits.cap("get") if max_bytes is None else max_bytes
    deadline = Deadline(timeout)
    try:
        with _opener(url, deadline).open(url, timeout=timeout) as resp:
            chunks: list[bytes] = []
            size = 0
            while size <= cap:
                chunk = resp.read1(min(1 << 20, cap + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"GET {url} answered HTTP {exc.code}", exc.code) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
        if deadline.expired:
            raise FetchError(f"GET {url} did not finish within {timeout:.1f}s", timed_out=True) from exc
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"GET {url} failed: {reason}") from exc
    finally:
        deadline.cancel()
    if deadline.expired:
        raise FetchError(f"GET {url} did not finish within {timeout:.1f}s", timed_out=True)
    if size > cap:
        raise FetchError(f"GET {url} returned more than {cap} bytes (the cap, GOLEAK_MAX_GET_BYTES)")
    return b"".join(chunks)
