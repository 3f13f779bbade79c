"""Run a fixture binary as a local subprocess in its own process group (no Docker needed)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..procutil import die_with_parent
from .base import InstanceInfo, RuntimeFailure, Status

_LISTEN_RE = re.compile(r"listening on (?:\[::\]|[0-9.]+|\S+?):(\d+)")
START_TIMEOUT_S = 30.0
_APP_URL_ENV = ("REDIS_URL", "DATABASE_URL")


class LocalInstance:
    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path, base_url: str, pprof_url: str,
                 info: InstanceInfo) -> None:
        self.proc = proc
        self.log_path = log_path
        self.base_url = base_url
        self.pprof_url = pprof_url
        self.info = info

    def host_pid(self) -> int | None:
        return self.proc.pid

    def cgroup_memory(self) -> int | None:
        return None  # no cgroup of our own: the local runtime has every signal but this one

    def status(self) -> Status:
        code = self.proc.poll()
        return Status(running=code is None, exit_code=code, oom_killed=False)

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything the fixture itself spawned
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        shutil.rmtree(self.log_path.parent, ignore_errors=True)  # the log and the placed files:


class LocalRuntime:
    name = "local"

    def start(self, binary: Path, *, port_env: str, env: Mapping[str, str], args: Sequence[str] = (),
              files: Mapping[str, Path] | None = None, port: int | None = None,
              pprof_port: int | None = None) -> LocalInstance:
        logdir = Path(tempfile.mkdtemp(prefix="goleak-local-"))
        log_path = logdir / "fixture.log"
        root = logdir / "root"  # stands in for the container's "/": the working directory, and files: go here
        tmp = root / "tmp"  # the container's private /tmp, removed with the process
        tmp.mkdir(parents=True)
        moved = place_files(files or {}, root)
        # A developer's own REDIS_URL / DATABASE_URL must not reach a fixture: only services we provide.
        inherited = {k: v for k, v in os.environ.items() if k not in _APP_URL_ENV}
        full_env = {**inherited, "TMPDIR": str(tmp), **{k: rewrite(v, moved, tmp) for k, v in env.items()},
                    "GOLEAK_LISTEN": "127.0.0.1:0", port_env: "0"}
        argv = [str(binary), *(rewrite(a, moved, tmp) for a in args)]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                    env=full_env, start_new_session=True, preexec_fn=die_with_parent(signal.SIGKILL))
        info = InstanceInfo("local", {"binary": str(binary), "pid": proc.pid, "process_group": proc.pid,
                                      "args": argv[1:], "files": {t: str(p) for t, p in moved.items()}})
        instance = LocalInstance(proc, log_path, "", "", info)
        try:
            port = _wait_for_port(instance, port)
            if pprof_port and pprof_port != port:
                _wait_for_listener(instance, pprof_port)
        except BaseException:
            instance.close()
            raise
        instance.base_url = instance.pprof_url = f"http://127.0.0.1:{port}"
        if pprof_port and pprof_port != port:
            instance.pprof_url = f"http://127.0.0.1:{pprof_port}"
        return instance


def place_files(files: Mapping[str, Path], root: Path) -> dict[str, Path]:
    """Copy each ``files:`` entry to ``root`` + its container path, read-only; container path -> copy."""
    moved: dict[str, Path] = {}
    for target, source in files.items():
        dest = root / target.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        dest.chmod(0o444)
        moved[target] = dest
    return moved


def rewrite(value: str, moved: Mapping[str, Path], tmp: Path | None = None) -> str:
    """An argument or env value naming a mounted container path names its local copy instead,
    and one naming ``/tmp`` or a path below it (the container's private tmpfs) names ``tmp``.

    A path counts where it stands alone or after ``=`` / ``:`` / ``,`` (``--config=/etc/a.conf``),
    never inside a longer path (``/etc/a.conf.d``, ``/tmpfiles``).
    """
    local = {target: str(path) for target, path in moved.items()}
    alternatives = [rf"{re.escape(t)}(?![^=:,\s])" for t in sorted(local, key=len, reverse=True)]
    if tmp is not None:
        local["/tmp"] = str(tmp)
        alternatives.append(r"/tmp(?=/|[=:,\s]|$)")
    if not alternatives:
        return value
    # One pass, so that a replacement (itself a path under the host's /tmp) is never rewritten again.
    pattern = re.compile(rf"(?<![^=:,\s])(?:{'|'.join(alternatives)})")
    return pattern.sub(lambda m: local[m.group(0)], value)


def _wait_for_port(instance: LocalInstance, port: int | None = None) -> int:
    """The port the app listens on: the one our fixtures log ("listening on ADDR", an ephemeral
    port), or else ``port`` once the process itself listens on it (a service whose config fixes
    its port, like Caddy's Caddyfile)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        m = _LISTEN_RE.search(instance.logs())
        if m:
            return int(m.group(1))
        if port is not None and port in listening_ports(instance.proc.pid):
            return port
        st = instance.status()
        if not st.running:
            raise RuntimeFailure(f"the fixture exited (code {st.exit_code}) at start", st.exit_code, instance.logs())
        time.sleep(0.02)
    also = f" nor listen on port {port}" if port is not None else ""
    raise RuntimeFailure(f"the fixture did not log 'listening on ADDR'{also} within {START_TIMEOUT_S:.0f}s",
                         None, instance.logs())


def _wait_for_listener(instance: LocalInstance, port: int, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while port not in listening_ports(instance.proc.pid):
        if time.monotonic() > deadline:
            raise RuntimeFailure(f"the fixture did not listen on pprof_port {port} within {timeout:.0f}s",
                                 None, instance.logs())
        if not instance.status().running:
            st = instance.status()
            raise RuntimeFailure(f"the fixture exited (code {st.exit_code}) at start", st.exit_code, instance.logs())
        time.sleep(0.02)


def listening_ports(pid: int) -> set[int]:
    """TCP ports that process ``pid`` itself listens on (its socket inodes in /proc/net/tcp{,6})."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile (listdir's own descriptor, for one)
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
