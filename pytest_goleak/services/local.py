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
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..procutil import die_with_parent, free_port
from .service import PG_MAX_CONNECTIONS, START_TIMEOUT, Service, ServiceUnavailable, probe

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
            probe(name, url)
            return
        except (OSError, ValueError) as exc:
            last = exc
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
    raise ServiceUnavailable(f"local {name} did not become ready ({last or 'process exited'}): {tail!r}")


def start_local(name: str) -> Service | None:
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
