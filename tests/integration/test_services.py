"""Services against real local binaries: redis-server and PostgreSQL's initdb/postgres."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_goleak import services as svc
from pytest_goleak.services import Service, Services, ServiceUnavailable, local, providers
from pytest_goleak.services.docker import DockerProvider

pytestmark = pytest.mark.integration

HAVE_REDIS = shutil.which("redis-server") is not None or os.access("/usr/bin/redis-server", os.X_OK)
HAVE_POSTGRES = local._pg_bindir() is not None
needs_redis = pytest.mark.skipif(not HAVE_REDIS, reason="redis-server is not installed")
needs_postgres = pytest.mark.skipif(not HAVE_POSTGRES, reason="PostgreSQL binaries are not installed")


@pytest.fixture(scope="module")
def pool() -> Iterator[Services]:
    with Services(environ={}) as services:
        yield services


def _pid_listening_on(port: int) -> int | None:
    """The pid of the process that owns the listening socket on 127.0.0.1:port, from /proc."""
    inode = None
    with open("/proc/net/tcp") as tcp:
        for line in tcp.readlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                inode = fields[9]
    if inode is None:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    return None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _recv_until(sock: socket.socket, end: bytes) -> bytes:
    seen = b""
    while not seen.endswith(end):
        chunk = sock.recv(256)
        if not chunk:
            break
        seen += chunk
    return seen


def _wait_until(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _pg_connect(url: str) -> Any:
    """A PostgreSQL session as the URL's user (SCRAM), kept open until closed."""
    import pg8000.dbapi

    parts = urlsplit(url)
    return pg8000.dbapi.connect(user=parts.username or "", password=parts.password, host=parts.hostname or "",
                                port=parts.port or 5432, database=parts.path.lstrip("/"), timeout=5)


def _pg_value(url: str, sql: str) -> Any:
    conn = _pg_connect(url)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchone()[0]
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------


@needs_redis
def test_local_redis_counts_connections(pool: Services) -> None:
    redis = pool.get("redis")
    assert redis.origin == "local"
    assert redis.url.startswith("redis://goleak:") and "@127.0.0.1:" in redis.url
    assert redis.env == {"REDIS_URL": redis.url}
    assert pool.get("redis") is redis
    before = redis.connections()
    assert before is not None
    parts = urlsplit(redis.url)
    held = [socket.create_connection((parts.hostname, parts.port), timeout=5) for _ in range(5)]
    user, password = (parts.username or "").encode(), (parts.password or "").encode()
    auth = b"*3\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(user), user, len(password), password)
    try:
        for sock in held:  # a round trip, so the server has registered each client
            sock.sendall(auth + b"*1\r\n$4\r\nPING\r\n")
            assert _recv_until(sock, b"+PONG\r\n") == b"+OK\r\n+PONG\r\n"
        assert redis.connections() == before + 5
    finally:
        for sock in held:
            sock.close()
    assert _wait_until(lambda: redis.connections() == before)


@needs_postgres
def test_local_postgres_counts_connections(pool: Services) -> None:
    pg = pool.get("postgres")
    assert pg.origin == "local"
    assert pg.url.startswith("postgres://goleak:") and "@127.0.0.1:" in pg.url
    assert pg.env == {"DATABASE_URL": pg.url}
    before = pg.connections()
    assert before is not None
    held = [_pg_connect(pg.url) for _ in range(3)]
    try:
        assert pg.connections() == before + 3
    finally:
        for sock in held:
            sock.close()
    assert _wait_until(lambda: pg.connections() == before)


@needs_postgres
def test_postgres_runs_unprivileged_with_room_for_leaky_pools(pool: Services) -> None:
    pg = pool.get("postgres")
    port = urlsplit(pg.url).port
    assert port is not None
    pid = _pid_listening_on(port)
    assert pid is not None
    if os.geteuid() == 0:
        assert os.stat(f"/proc/{pid}").st_uid != 0, "PostgreSQL must not run as root"
    assert int(_pg_value(pg.url, "SHOW max_connections")) >= svc.PG_MAX_CONNECTIONS


@needs_redis
def test_close_stops_the_process_and_removes_its_directory() -> None:
    services = Services(environ={})
    redis = services.get("redis")
    port = urlsplit(redis.url).port
    assert port is not None
    pid = _pid_listening_on(port)
    assert pid is not None
    workdir = _server_dir(pid)
    services.close()
    assert _wait_until(lambda: not _alive(pid))
    assert redis.connections() is None
    assert not workdir.exists()


def test_url_from_environment_wins_and_is_never_stopped() -> None:
    closed: list[str] = []
    with Services(environ={"GOLEAK_REDIS_URL": "redis://127.0.0.1:1/0",
                           "GOLEAK_POSTGRES_URL": "postgres://u@127.0.0.1:1/db"}) as services:
        redis, pg = services.get("redis"), services.get("postgres")
        assert (redis.origin, redis.url) == ("env", "redis://127.0.0.1:1/0")
        assert pg.env == {"DATABASE_URL": "postgres://u@127.0.0.1:1/db"}
        assert redis.connections() is None  # nothing listens on port 1: unknown, not an error
        assert pg.connections() is None
        redis.close()
        closed.append("ok")
    assert closed == ["ok"]


@needs_redis
def test_plain_app_variables_are_not_read() -> None:
    """REDIS_URL / DATABASE_URL often point at a real database: only GOLEAK_* are read."""
    with Services(environ={"REDIS_URL": "redis://203.0.113.1:6379/0"}) as services:
        assert services.get("redis").origin == "local"


def test_unavailable_says_how_to_provide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(providers, "_local", lambda name, bind=None: None)
    monkeypatch.setattr(DockerProvider, "start", lambda self, name: None)
    with Services(environ={}) as services, pytest.raises(ServiceUnavailable) as err:
        services.get("postgres")
    message = str(err.value)
    assert "GOLEAK_POSTGRES_URL=" in message
    assert "apt-get install postgresql" in message
    assert "Docker image postgres:" in message


def test_unknown_service_is_a_value_error() -> None:
    with Services(environ={}) as services, pytest.raises(ValueError, match="unknown service"):
        services.get("mysql")


def test_service_close_is_idempotent() -> None:
    calls: list[int] = []
    service = Service("redis", "redis://127.0.0.1:1/0", stop=lambda: calls.append(1))
    service.close()
    service.close()
    assert calls == [1]


# ---------------------------------------------------------------------------------------------
# the Python process ending abruptly: Ctrl-C and SIGKILL

_CHILD = textwrap.dedent("""
    import sys, time
    from pytest_goleak.services import Services
    with Services(environ={}) as services:
        service = services.get(sys.argv[1])
        print(service.url, flush=True)
        time.sleep(60)
""")


def _server_dir(pid: int) -> Path:
    """The private temporary directory of a server started by services.py (it runs inside it)."""
    cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    return cwd if cwd.name.startswith("goleak-") else cwd.parent


def _start_child(name: str) -> tuple[subprocess.Popen[str], int]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, name], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])
    assert child.stdout is not None
    url = child.stdout.readline().strip()
    port = urlsplit(url).port
    assert port is not None, f"child printed {url!r}"
    pid = _pid_listening_on(port)
    assert pid is not None
    return child, pid


@pytest.mark.parametrize("name", [
    pytest.param("redis", marks=needs_redis),
    pytest.param("postgres", marks=needs_postgres),
])
def test_ctrl_c_stops_the_server(name: str) -> None:
    child, pid = _start_child(name)
    workdir = _server_dir(pid)
    assert workdir.name.startswith(f"goleak-{name}-")
    child.send_signal(signal.SIGINT)
    child.wait(30)
    assert _wait_until(lambda: not _alive(pid), 15)
    assert not workdir.exists()


@pytest.mark.parametrize("name", [
    pytest.param("redis", marks=needs_redis),
    pytest.param("postgres", marks=needs_postgres),
])
def test_killed_parent_takes_the_server_with_it(name: str) -> None:
    child, pid = _start_child(name)
    workdir = _server_dir(pid)
    child.kill()
    child.wait(10)
    assert _wait_until(lambda: not _alive(pid), 15), "parent-death signal did not stop the server"
    assert workdir.exists()  # nobody was left to remove it ...
    with Services(environ={}) as services:
        services.get(name)  # ... so the next start sweeps it
    assert not workdir.exists()


# ---------------------------------------------------------------------------------------------
# a Docker-provided service whose run is SIGKILLed: the next run's sweep removes its container

_DOCKER_CHILD = textwrap.dedent("""
    import sys, time
    from pytest_goleak.run.runtime.docker import connect
    from pytest_goleak.services import Services
    services = Services(environ={"GOLEAK_SERVICE_PROVIDERS": "docker"}, docker_client=connect(timeout=30))
    print(services.get("redis").url, flush=True)
    time.sleep(120)
""")


def _redis_image(client, tag: str) -> None:
    """A redis image made here from the host's redis-server and its libraries (no pull)."""
    import io
    import tarfile

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30, check=True).stdout
    files = {binary} | {p for line in ldd.splitlines() for p in line.split() if p.startswith("/")}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in sorted(files):
            tar.add(os.path.realpath(path), arcname="rootfs" + path)
        dockerfile = (b"FROM scratch\nCOPY rootfs/ /\nUSER 65534:65534\nEXPOSE 6379\n"
                      b'ENTRYPOINT ["' + binary.encode() + b'", "--protected-mode", "no", "--save", ""]\n')
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    buf.seek(0)
    client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True, forcerm=True, timeout=120,
                        labels={"pytest-goleak.test": "1"})


@needs_redis
@pytest.mark.docker
def test_sigkilled_run_leaves_a_service_container_the_next_run_sweeps(docker_client, tmp_path) -> None:
    from pytest_goleak.options import Settings
    from pytest_goleak.session import GoleakSession

    tag = f"redis:goleak-test-{os.getpid()}"
    _redis_image(docker_client, tag)
    child = None
    try:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        child = subprocess.Popen([sys.executable, "-c", _DOCKER_CHILD], stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("redis://:") and "@127.0.0.1:" in url, f"child printed {url!r}"
        mine = {"ancestor": tag}  # found by its image, not by the labels under test
        found = docker_client.containers.list(all=True, filters=mine)
        assert [c.labels.get("pytest-goleak.service") for c in found] == ["redis"]
        child.kill()  # no atexit, no finally: only the labels are left to find the container by
        child.wait(10)
        assert [c.status for c in docker_client.containers.list(all=True, filters=mine)] == ["running"]
        gs = GoleakSession(Settings(enabled=True, runtime="docker", report_dir=tmp_path), is_worker=False)
        try:
            gs.start()  # the next run: connects and sweeps what dead owners left
        finally:
            gs.close()
        assert docker_client.containers.list(all=True, filters=mine) == []
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait(10)
        for c in docker_client.containers.list(all=True, filters={"ancestor": tag}):
            c.remove(force=True, v=True)
        docker_client.images.remove(tag, force=True)
