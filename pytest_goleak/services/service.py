"""What a provided service is, whoever provides it, and the settings every provider shares."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from . import pg_wire, redis_wire

NAMES = ("redis", "postgres")
URL_ENV = {"redis": "GOLEAK_REDIS_URL", "postgres": "GOLEAK_POSTGRES_URL"}
APP_ENV = {"redis": "REDIS_URL", "postgres": "DATABASE_URL"}
#: Network timeout for probes and the connection count, in seconds.
PROBE_TIMEOUT = 3.0
#: How long a freshly started server may take to accept a probe.
START_TIMEOUT = 30.0
#: Room for a leaky sql_pool fixture (one connection per request) next to everything else.
#: Both the local and the Docker-provided PostgreSQL start with it.
PG_MAX_CONNECTIONS = 2000


class ServiceUnavailable(Exception):
    """No way to provide a service was found; the message says how to provide one."""


def probe(name: str, url: str) -> None:
    """One round trip to the server; OSError or ValueError when it does not answer as it should."""
    if name == "redis":
        redis_wire.connected_clients(url, PROBE_TIMEOUT)
    else:
        pg_wire.query(url, "SELECT 1", PROBE_TIMEOUT)


class Service:
    """One running (or given) service. ``close()`` stops it if this process started it."""

    def __init__(self, name: str, url: str, stop: Callable[[], None] | None = None,
                 origin: str = "") -> None:
        self.name = name
        self.url = url
        self.origin = origin  # "env", "local" or "docker": where it came from, for reports
        self.env: dict[str, str] = {APP_ENV[name]: url}
        self._stop = stop

    def connections(self) -> int | None:
        """The server's count of client connections other than this probe, or None if unknown."""
        try:
            if self.name == "redis":
                return redis_wire.connected_clients(self.url, PROBE_TIMEOUT) - 1
            return pg_wire.count_connections(self.url, PROBE_TIMEOUT)
        except (OSError, ValueError, subprocess.SubprocessError):
            return None

    def close(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def __repr__(self) -> str:
        return f"Service({self.name!r}, {self.url!r}, origin={self.origin!r})"
