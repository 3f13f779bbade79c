"""What a provided service is, whoever provides it, and the settings every provider shares."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

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
#: The unprivileged login the service under test gets (PostgreSQL role and database, Redis ACL user).
APP_USER = "goleak"
#: The Redis ACL user the harness counts clients with (INFO and PING only).
PROBE_USER = "goleak-probe"

_PG_COUNT = ("SELECT count(*) FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid <> pg_backend_pid()")


class ServiceUnavailable(Exception):
    """No way to provide a service was found; the message says how to provide one."""


def probe(name: str, url: str) -> None:
    """One authenticated round trip to the server; OSError or ValueError when it does not answer."""
    if name == "redis":
        redis_clients(url)
    else:
        pg_count(url)


def redis_clients(url: str) -> int:
    """Redis ``connected_clients`` over redis-py (AUTH with the URL's user and password)."""
    import redis  # lazy: redis-py costs ~130 ms to import, only when a redis service is used

    if urlsplit(url).scheme != "redis":
        raise ValueError(f"cannot probe {urlsplit(url).scheme}:// URLs")
    try:
        client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT,
                                      protocol=2)
        try:
            return int(client.info("clients")["connected_clients"])
        finally:
            client.close()
    except redis.exceptions.ConnectionError as exc:
        raise OSError(f"redis: {exc}") from exc
    except (redis.exceptions.RedisError, KeyError) as exc:
        raise ValueError(f"redis: {exc}") from exc


def pg_count(url: str) -> int:
    """The other sessions on the URL's database, over pg8000 (SCRAM, md5, or trust)."""
    import pg8000.dbapi  # lazy: ~85 ms, only when a postgres service is used
    import pg8000.exceptions

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    user = unquote(parts.username or "postgres")
    try:
        conn = pg8000.dbapi.connect(user=user, password=unquote(parts.password) if parts.password else None,
                                    host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                                    database=unquote(parts.path.lstrip("/") or user), timeout=PROBE_TIMEOUT,
                                    application_name="pytest-goleak")
    except pg8000.exceptions.InterfaceError as exc:
        raise OSError(f"postgres: {exc}") from exc
    except pg8000.exceptions.DatabaseError as exc:
        raise ValueError(f"postgres: {exc}") from exc
    try:
        cur = conn.cursor()
        cur.execute(_PG_COUNT)
        row = cur.fetchone()
        if row is None:
            raise ValueError("postgres: the count returned no row")
        return int(row[0])
    except pg8000.exceptions.DatabaseError as exc:
        raise ValueError(f"postgres: {exc}") from exc
    finally:
        conn.close()


def with_host(url: str, host: str, port: int | None = None) -> str:
    """``url`` with its host (and port) replaced, credentials kept."""
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    where = f"[{host}]" if ":" in host else host
    netloc = f"{auth}@" if auth else ""
    netloc += f"{where}:{port or parts.port}" if (port or parts.port) else where
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact(url: str) -> str:
    """The URL without its password, for reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{parts.username}:***@{host}", parts.path, parts.query, parts.fragment))


class Service:
    """One running (or given) service. ``close()`` stops it if this process started it.

    ``url`` is what the service under test gets, reachable from this host (the local runtime,
    a container on the host network); ``bridge_url`` the same login reachable from a container on
    Docker's default bridge, or None when the server is not reachable from there; ``probe_url``
    the login the harness counts server-side connections with."""

    def __init__(self, name: str, url: str, stop: Callable[[], None] | None = None,
                 origin: str = "", *, bridge_url: str | None = None, probe_url: str | None = None) -> None:
        self.name = name
        self.url = url
        self.bridge_url = bridge_url
        self.probe_url = probe_url or url
        self.origin = origin  # "env", "local" or "docker": where it came from, for reports
        self.env: dict[str, str] = {APP_ENV[name]: url}
        self._stop = stop

    def env_for(self, network: str) -> dict[str, str]:
        """The service's variables for a container on ``network`` ("bridge" or "host")."""
        if network == "bridge" and self.bridge_url is not None:
            return {APP_ENV[self.name]: self.bridge_url}
        return dict(self.env)

    def connections(self) -> int | None:
        """The server's count of client connections other than this probe, or None if unknown."""
        try:
            if self.name == "redis":
                return redis_clients(self.probe_url) - 1
            return pg_count(self.probe_url)
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def __repr__(self) -> str:
        return f"Service({self.name!r}, {redact(self.url)!r}, origin={self.origin!r})"
