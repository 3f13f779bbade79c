"""Private Redis / PostgreSQL servers from local binaries, on an ephemeral port of 127.0.0.1.

Each runs in a temporary directory marked with this process's pid, gets a parent-death signal
(it ends with the Python process even after a SIGKILL), and is stopped by ``close()`` and atexit.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..run.procutil import die_with_parent, free_port
from .common import (
    APP_USER,
    PG_MAX_CONNECTIONS,
    PROBE_USER,
    START_TIMEOUT,
    Service,
    ServiceUnavailable,
    probe,
    with_host,
)

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


def _private_file(path: Path, user: pwd.struct_passwd | None, text: str) -> None:
    """A file only its owner (the server's user) reads: it holds passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


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
            probe(name, url)
            return
        except (OSError, ValueError) as exc:
            last = exc
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    raise ServiceUnavailable(f"local {name} did not become ready ({last or 'process exited'}): {tail!r}")


def start_local(name: str, bind: str | None = None) -> Service | None:
    """A private server on 127.0.0.1, and also on ``bind`` (the Docker bridge's gateway, so bridge
    containers reach it) when given."""
    starter = _start_local_redis if name == "redis" else _start_local_postgres
    for attempt in range(3):  # the ephemeral port may be taken between choosing and binding
        try:
            return starter(bind)
        except ServiceUnavailable:
            if attempt == 2:
                raise
    return None


def _start_local_redis(bind: str | None = None) -> Service | None:
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if os.access(p, os.X_OK)), None)
    if binary is None:
        return None
    user = _server_user()
    tmp = _private_dir("redis", user)
    port = free_port()
    log = tmp / "redis.log"
    app, probe_pw = secrets.token_hex(16), secrets.token_hex(16)
    # ACL users instead of the password-less default user: the service gets data commands only
    # (no CONFIG, DEBUG, MODULE, SAVE, SHUTDOWN, REPLICAOF, MONITOR, KEYS, FLUSHALL, ...: the
    # @admin and @dangerous categories); the harness's probe gets INFO and PING only.
    conf = tmp / "redis.conf"
    _private_file(conf, user, "\n".join([
        f"port {port}", f"bind 127.0.0.1{' ' + bind if bind else ''}", "protected-mode yes",
        'save ""', "appendonly no", f"dir {tmp}", "maxclients 10000", "daemonize no",
        "enable-debug-command no", "enable-module-command no", "enable-protected-configs no",
        "user default off resetpass -@all",
        f"user {APP_USER} on >{app} ~* &* +@all -@admin -@dangerous",
        f"user {PROBE_USER} on >{probe_pw} -@all +info +ping", ""]))
    proc = _spawn([binary, str(conf)], user, log, signal.SIGTERM)
    stop = _stopper(proc, tmp, signal.SIGTERM)
    url = f"redis://{APP_USER}:{app}@127.0.0.1:{port}/0"
    probe_url = f"redis://{PROBE_USER}:{probe_pw}@127.0.0.1:{port}/0"
    try:
        _wait_ready("redis", probe_url, proc, log)
    except BaseException:
        stop()
        raise
    return Service("redis", url, stop, origin="local", probe_url=probe_url,
                   bridge_url=with_host(url, bind) if bind else None)


def _pg_bindir() -> Path | None:
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _run_as(argv: list[str], user: pwd.struct_passwd | None, what: str, stdin: bytes = b"") -> None:
    kw: dict[str, object] = {}
    if user is not None:
        kw = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    done = subprocess.run(argv, input=stdin, capture_output=True, timeout=120, check=False,
                          **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise ServiceUnavailable(f"{what} failed: {(done.stderr or done.stdout).decode(errors='replace')[-400:]}")


def _pg_init(bindir: Path, data: Path, user: pwd.struct_passwd | None, password: str) -> None:
    """A cluster whose superuser cannot log in at all, and one unprivileged role that owns its
    database and logs in with a SCRAM password: COPY ... TO PROGRAM, pg_read_file, server-side
    file writes and ALTER ROLE ... SUPERUSER are refused to the service."""
    _run_as([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=reject", "--no-sync",
             "-E", "UTF8", "--locale=C"], user, "initdb")
    # Single-user mode: the roles are made before the server listens on any socket.
    sql = (f"CREATE ROLE {APP_USER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
           f"PASSWORD '{password}'\nCREATE DATABASE {APP_USER} OWNER {APP_USER}\n")
    _run_as([str(bindir / "postgres"), "--single", "-D", str(data), "-c", "password_encryption=scram-sha-256",
             "postgres"], user, "postgres --single", sql.encode())
    (data / "pg_hba.conf").write_text(f"host {APP_USER} {APP_USER} all scram-sha-256\n")


def _start_local_postgres(bind: str | None = None) -> Service | None:
    bindir = _pg_bindir()
    if bindir is None:
        return None
    user = _server_user()
    tmp = _private_dir("postgres", user)
    data, log = tmp / "data", tmp / "postgres.log"
    stop: Callable[[], None] = lambda: shutil.rmtree(tmp, ignore_errors=True)  # noqa: E731
    password = secrets.token_hex(16)
    try:
        _pg_init(bindir, data, user, password)
        port = free_port()
        listen = "127.0.0.1" + (f",{bind}" if bind else "")
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                "-c", f"listen_addresses={listen}", "-c", f"unix_socket_directories={tmp}",
                "-c", f"max_connections={PG_MAX_CONNECTIONS}", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "shared_buffers=32MB"]
        # SIGQUIT on parent death is PostgreSQL's "immediate" shutdown: nothing is left to wait for.
        proc = _spawn(argv, user, log, signal.SIGQUIT)
        # SIGINT is PostgreSQL's "fast" shutdown: it ends the backends and exits cleanly.
        stop = _stopper(proc, tmp, signal.SIGINT)
        url = f"postgres://{APP_USER}:{password}@127.0.0.1:{port}/{APP_USER}?sslmode=disable"
        _wait_ready("postgres", url, proc, log)
    except BaseException:
        stop()
        raise
    return Service("postgres", url, stop, origin="local", bridge_url=with_host(url, bind) if bind else None)
