"""Redis and PostgreSQL for scenarios that declare ``services:``.

A service is provided by the first of these that works, in this order:

1. **A URL you give**: ``GOLEAK_REDIS_URL`` / ``GOLEAK_POSTGRES_URL``. The plain ``REDIS_URL`` /
   ``DATABASE_URL`` are deliberately *not* read: in a developer's shell they usually point at a
   real database, and a leaky fixture opens hundreds of connections and writes keys.
2. **A private instance from local binaries** (``redis-server``; PostgreSQL's ``initdb`` and
   ``postgres``) on an ephemeral port of 127.0.0.1, in a temporary directory that is removed on
   close. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
   (else ``nobody``). Both servers get a parent-death signal, so they end with the Python process
   even when it is killed without running its cleanup.
3. **A Docker image already present** (``redis:*`` / ``postgres:*``), published on 127.0.0.1. A
   pull is attempted with a short timeout, never assumed to work.
4. Otherwise :class:`ServiceUnavailable`, whose message says how to provide the service.

The URL is always reachable at 127.0.0.1, from the host and from a container on the host network.
``Service.connections()`` is the server's own count of client connections (Redis
``connected_clients``; PostgreSQL ``pg_stat_activity`` rows for the service's database), minus
the probe's own connection. Every network call has a timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .procutil import die_with_parent, free_port

NAMES = ("redis", "postgres")
URL_ENV = {"redis": "GOLEAK_REDIS_URL", "postgres": "GOLEAK_POSTGRES_URL"}
APP_ENV = {"redis": "REDIS_URL", "postgres": "DATABASE_URL"}
LABEL = "pytest-goleak.service"
#: Network timeout for probes and the connection count, in seconds.
PROBE_TIMEOUT = 3.0
#: How long a freshly started server may take to accept a probe.
START_TIMEOUT = 30.0
#: Room for sql_pool_leaky (one connection per request: 100 warm-up + 4 x 400 with the extension).
PG_MAX_CONNECTIONS = 2000


class ServiceUnavailable(Exception):
    """No way to provide a service was found; the message says how to provide one."""


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
                return _redis_connected_clients(self.url) - 1
            return _pg_count_connections(self.url)
        except (OSError, ValueError, subprocess.SubprocessError):
            return None

    def close(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def __repr__(self) -> str:
        return f"Service({self.name!r}, {self.url!r}, origin={self.origin!r})"


class Services:
    """A session-scoped pool: provides each service lazily, once, and stops what it started."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._started: dict[str, Service] = {}
        atexit.register(self.close)

    def get(self, name: str) -> Service:
        if name not in NAMES:
            raise ValueError(f"unknown service {name!r}; known: {', '.join(NAMES)}")
        if name not in self._started:
            self._started[name] = provide(name, self._environ)
        return self._started[name]

    def close(self) -> None:
        while self._started:
            _, service = self._started.popitem()
            with contextlib.suppress(Exception):
                service.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def provide(name: str, environ: dict[str, str] | os._Environ[str]) -> Service:
    """Provide one service by the first way that works (see the module docstring)."""
    allowed = {w.strip() for w in environ.get("GOLEAK_SERVICE_PROVIDERS", "env,local,docker").split(",")}
    given = environ.get(URL_ENV[name], "").strip()
    if given and "env" in allowed:
        return Service(name, given, origin="env")
    problems: list[str] = []
    ways = [(key, way) for key, way in (("local", _local), ("docker", _docker)) if key in allowed]
    for key, way in ways:
        try:
            service = way(name)
        except ServiceUnavailable as exc:
            problems.append(str(exc))
            continue
        if service is not None:
            return service
        problems.append(_NOT_FOUND[key][name])  # say what was looked for, not only that it failed
    if len(ways) < 2:
        problems.append(f"GOLEAK_SERVICE_PROVIDERS={environ.get('GOLEAK_SERVICE_PROVIDERS')} rules out the rest")
    raise ServiceUnavailable(_how_to(name, problems))


_NOT_FOUND = {
    "local": {"redis": "no redis-server on PATH", "postgres": "no PostgreSQL initdb/postgres on PATH or in "
                                                              "/usr/lib/postgresql/*/bin"},
    "docker": {"redis": "no local redis image in a Docker engine", "postgres": "no local postgres image in a "
                                                                               "Docker engine"},
}


def _how_to(name: str, problems: list[str]) -> str:
    binary = "redis-server" if name == "redis" else "PostgreSQL's initdb and postgres"
    package = "redis-server" if name == "redis" else "postgresql"
    tried = "; ".join(problems) or "nothing found"
    return (f"scenario needs {name}, and none could be provided ({tried}). Provide one of: "
            f"{URL_ENV[name]}=<url of a server you own> (e.g. "
            f"{'redis://127.0.0.1:6379/0' if name == 'redis' else 'postgres://user@127.0.0.1:5432/db'}); "
            f"{binary} installed locally (Debian: apt-get install {package}; "
            f"`make goleak` does it through scripts/provision.sh); or a local Docker image {name}:<tag>.")


# ---------------------------------------------------------------------------------------------
# private instances from local binaries


_OWNER = "goleak-owner.pid"


def _private_dir(kind: str, user: pwd.struct_passwd | None) -> Path:
    """A fresh temporary directory for one server, marked with this process's pid.

    Directories whose owner is gone (a SIGKILLed session cannot clean up; its servers die with
    it through the parent-death signal) are swept first.
    """
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"goleak-{kind}-*"):
        with contextlib.suppress(OSError, ValueError):
            owner = int((old / _OWNER).read_text())
            if not Path(f"/proc/{owner}").exists():
                shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"goleak-{kind}-"))
    (tmp / _OWNER).write_text(str(os.getpid()))
    if user is not None:
        os.chown(tmp, user.pw_uid, user.pw_gid)
    return tmp


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run servers as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise ServiceUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _spawn(argv: list[str], user: pwd.struct_passwd | None, log: Path,
           death_signal: int) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        kw: dict[str, object] = {}
        if user is not None:
            kw = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        # start_new_session: a Ctrl-C in the terminal reaches pytest, which stops the server in
        # order, instead of killing the server under a scenario that is still winding down.
        proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent(death_signal), **kw)
        return proc


def _stopper(proc: subprocess.Popen[bytes], tmp: Path, sig: int) -> Callable[[], None]:
    def stop() -> None:
        try:
            if proc.poll() is None:
                proc.send_signal(sig)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    atexit.register(stop)  # covers a session that never reaches Services.close
    return stop


def _wait_ready(name: str, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if name == "redis":
                _redis_connected_clients(url)
            else:
                _pg_query(url, "SELECT 1")
            return
        except (OSError, ValueError) as exc:
            last = exc
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    raise ServiceUnavailable(f"local {name} did not become ready ({last or 'process exited'}): {tail!r}")


def _local(name: str) -> Service | None:
    starter = _start_local_redis if name == "redis" else _start_local_postgres
    for attempt in range(3):  # the ephemeral port may be taken between choosing and binding
        try:
            return starter()
        except ServiceUnavailable:
            if attempt == 2:
                raise
    return None


def _start_local_redis() -> Service | None:
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.access(p, os.X_OK)), None)
    if binary is None:
        return None
    user = _server_user()
    tmp = _private_dir("redis", user)
    port = free_port()
    log = tmp / "redis.log"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "no",
            "--save", "", "--appendonly", "no", "--dir", str(tmp), "--maxclients", "10000",
            "--daemonize", "no"]
    proc = _spawn(argv, user, log, signal.SIGTERM)
    stop = _stopper(proc, tmp, signal.SIGTERM)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ready("redis", url, proc, log)
    except BaseException:
        stop()
        raise
    return Service("redis", url, stop, origin="local")


def _pg_bindir() -> Path | None:
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _start_local_postgres() -> Service | None:
    bindir = _pg_bindir()
    if bindir is None:
        return None
    user = _server_user()
    tmp = _private_dir("postgres", user)
    data, log = tmp / "data", tmp / "postgres.log"
    stop: Callable[[], None] = lambda: shutil.rmtree(tmp, ignore_errors=True)  # noqa: E731
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C"]
        kw: dict[str, object] = {}
        if user is not None:
            kw = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        done = subprocess.run(initdb, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
                              check=False, **kw)  # type: ignore[call-overload]
        if done.returncode != 0:
            raise ServiceUnavailable(f"initdb failed: {done.stderr.decode(errors='replace')[-400:]}")
        port = free_port()
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={tmp}",
                "-c", f"max_connections={PG_MAX_CONNECTIONS}", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "shared_buffers=32MB"]
        # SIGQUIT on parent death is PostgreSQL's "immediate" shutdown: nothing is left to wait for.
        proc = _spawn(argv, user, log, signal.SIGQUIT)
        # SIGINT is PostgreSQL's "fast" shutdown: it ends the backends and exits cleanly.
        stop = _stopper(proc, tmp, signal.SIGINT)
        url = f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
        _wait_ready("postgres", url, proc, log)
    except BaseException:
        stop()
        raise
    return Service("postgres", url, stop, origin="local")


# ---------------------------------------------------------------------------------------------
# a local Docker image


_IMAGES = {"redis": ("redis", 6379), "postgres": ("postgres", 5432)}
_PULL = {"redis": "redis:7-alpine", "postgres": "postgres:16-alpine"}


def _docker(name: str) -> Service | None:
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return None
    repo, port = _IMAGES[name]
    try:
        client = docker.from_env(timeout=20)
        client.ping()
    except DockerException:
        return None
    try:
        images = client.images.list(name=repo)
        if not images:
            with contextlib.suppress(DockerException):
                images = [client.images.pull(_PULL[name])]
        tag = next((t for img in images for t in img.tags), None)
        if tag is None:
            return None
        env = {"POSTGRES_HOST_AUTH_METHOD": "trust"} if name == "postgres" else {}
        command = ["-c", f"max_connections={PG_MAX_CONNECTIONS}"] if name == "postgres" else None
        container = client.containers.run(tag, command=command, detach=True, environment=env,
                                          ports={f"{port}/tcp": ("127.0.0.1", None)},
                                          labels={LABEL: name})
    except DockerException as exc:
        raise ServiceUnavailable(f"docker could not run a {repo} image: {exc}") from exc

    def stop() -> None:
        with contextlib.suppress(DockerException):
            container.remove(force=True, v=True)

    atexit.register(stop)
    try:
        container.reload()
        host_port = container.ports[f"{port}/tcp"][0]["HostPort"]
        url = (f"redis://127.0.0.1:{host_port}/0" if name == "redis"
               else f"postgres://postgres@127.0.0.1:{host_port}/postgres?sslmode=disable")
        deadline = time.monotonic() + START_TIMEOUT * 2
        while True:
            try:
                if name == "redis":
                    _redis_connected_clients(url)
                else:
                    _pg_query(url, "SELECT 1")
                break
            except (OSError, ValueError) as exc:
                if time.monotonic() > deadline:
                    raise ServiceUnavailable(f"{tag} container did not become ready: {exc}") from exc
                time.sleep(0.2)
    except BaseException:
        stop()
        raise
    return Service(name, url, stop, origin="docker")


# ---------------------------------------------------------------------------------------------
# Redis: RESP over a socket


def _redis_command(sock: socket.socket, reader: socket.SocketIO, *args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    sock.sendall(b"".join(parts))
    buf = bytearray()
    while not buf.endswith(b"\r\n"):
        chunk = reader.read(1)
        if not chunk:
            raise OSError("redis closed the connection")
        buf += chunk
    kind, rest = bytes(buf[:1]), bytes(buf[1:-2])
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        raise ValueError(f"redis error: {rest.decode(errors='replace')}")
    if kind == b"$":
        size = int(rest)
        body = b""
        while len(body) < size + 2:
            chunk = reader.read(size + 2 - len(body))
            if not chunk:
                raise OSError("redis closed the connection")
            body += chunk
        return body[:-2]
    raise ValueError(f"unexpected redis reply {bytes(buf[:40])!r}")


def _redis_connected_clients(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"cannot probe {parts.scheme}:// URLs")
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                  timeout=PROBE_TIMEOUT) as sock:
        reader = socket.SocketIO(sock, "rb")
        if parts.password is not None:
            auth = [unquote(parts.username), unquote(parts.password)] if parts.username else [
                unquote(parts.password)]
            _redis_command(sock, reader, "AUTH", *auth)
        info = _redis_command(sock, reader, "INFO", "clients").decode()
    for line in info.splitlines():
        if line.startswith("connected_clients:"):
            return int(line.split(":", 1)[1])
    raise ValueError("INFO clients has no connected_clients")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a minimal wire-protocol client (trust, cleartext and md5 auth), psql otherwise

_PG_COUNT = ("SELECT count(*) FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def _pg_count_connections(url: str) -> int:
    try:
        return int(_pg_query(url, _PG_COUNT))
    except NotImplementedError:
        return _psql_count(url)


def _psql_count(url: str) -> int:
    psql = shutil.which("psql")
    if psql is None:
        raise ValueError("the server wants an authentication this probe lacks, and psql is missing")
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(int(PROBE_TIMEOUT)))
    out = subprocess.run([psql, "-X", "-A", "-t", "-d", url, "-c", _PG_COUNT], capture_output=True,
                         timeout=PROBE_TIMEOUT * 2, env=env, check=True, stdin=subprocess.DEVNULL)
    return int(out.stdout.decode().strip())


def _pg_read(sock: socket.socket) -> tuple[bytes, bytes]:
    head = _recv_exact(sock, 5)
    kind, size = head[:1], struct.unpack("!I", head[1:])[0]
    return kind, _recv_exact(sock, size - 4)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("postgres closed the connection")
        buf += chunk
    return buf


def _pg_error(body: bytes) -> str:
    fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
    return f"{fields.get(b'C', '')}: {fields.get(b'M', '')}"


def _pg_query(url: str, sql: str) -> str:
    """Run one query returning one value over a fresh connection; the value as text."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    database = unquote(parts.path.lstrip("/") or user)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432),
                                  timeout=PROBE_TIMEOUT) as sock:
        params = b"".join(k + b"\0" + v.encode() + b"\0" for k, v in (
            (b"user", user), (b"database", database), (b"application_name", "pytest-goleak"))) + b"\0"
        sock.sendall(struct.pack("!II", len(params) + 8, 196608) + params)
        while True:
            kind, body = _pg_read(sock)
            if kind == b"E":
                raise ValueError(f"postgres: {_pg_error(body)}")
            if kind == b"R":
                code = struct.unpack("!I", body[:4])[0]
                if code == 3:  # cleartext password
                    msg = password.encode() + b"\0"
                elif code == 5:  # md5
                    inner = hashlib.md5((password + user).encode()).hexdigest().encode()  # noqa: S324
                    msg = b"md5" + hashlib.md5(inner + body[4:8]).hexdigest().encode() + b"\0"  # noqa: S324
                elif code == 0:
                    continue
                else:
                    raise NotImplementedError(f"postgres authentication method {code}")
                sock.sendall(b"p" + struct.pack("!I", len(msg) + 4) + msg)
            elif kind == b"Z":
                break
        q = sql.encode() + b"\0"
        sock.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
        value: str | None = None
        while True:
            kind, body = _pg_read(sock)
            if kind == b"E":
                raise ValueError(f"postgres: {_pg_error(body)}")
            if kind == b"D" and value is None:
                length = struct.unpack("!i", body[2:6])[0]
                value = body[6:6 + length].decode() if length >= 0 else ""
            elif kind == b"Z":
                break
        sock.sendall(b"X\0\0\0\4")
    if value is None:
        raise ValueError(f"query returned no row: {sql}")
    return value
