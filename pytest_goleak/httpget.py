"""The one HTTP GET every stage uses to talk to a fixture: bounded, and with clear errors."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request

from .runtime.address import is_loopback, published_host

# Fixtures listen on loopback or on the engine's published address; a proxy from HTTP_PROXY
# (a CI runner's, say) cannot reach either, so those fetches never go through one.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FetchError(Exception):
    """A fixture endpoint could not be read: timeout, refused, non-200, or not what was expected."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered, else None


def _opener(url: str) -> urllib.request.OpenerDirector | None:
    host = urllib.parse.urlsplit(url).hostname or ""
    return _DIRECT if is_loopback(host) or host == published_host() else None


def get(url: str, timeout: float = 10.0, max_bytes: int = 512 * 1024 * 1024) -> bytes:
    """GET ``url`` and return the body; FetchError names the URL and what went wrong."""
    opener = _opener(url)
    try:
        with (opener.open(url, timeout=timeout) if opener else
              urllib.request.urlopen(url, timeout=timeout)) as resp:  # noqa: S310 - fixture URLs only
            body: bytes = resp.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"GET {url} answered HTTP {exc.code}", exc.code) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"GET {url} failed: {reason}") from exc
    if len(body) > max_bytes:
        raise FetchError(f"GET {url} returned more than {max_bytes} bytes")
    return body
