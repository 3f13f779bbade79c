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
              files: Mapping[str, Path] | None = None) -> LocalInstance:
        logdir = Path(tempfile.mkdtemp(prefix="goleak-local-"))
        log_path = logdir / "fixture.log"
        root = logdir / "root"  # stands in for the container's "/": the working directory, and files: go here
        root.mkdir()
        moved = place_files(files or {}, root)
        # A developer's own REDIS_URL / DATABASE_URL must not reach a fixture: only services we provide.
        inherited = {k: v for k, v in os.environ.items() if k not in _APP_URL_ENV}
        full_env = {**inherited, **{k: rewrite(v, moved) for k, v in env.items()},
                    "GOLEAK_LISTEN": "127.0.0.1:0", port_env: "0"}
        argv = [str(binary), *(rewrite(a, moved) for a in args)]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                    env=full_env, start_new_session=True, preexec_fn=die_with_parent(signal.SIGKILL))
        info = InstanceInfo("local", {"binary": str(binary), "pid": proc.pid, "process_group": proc.pid,
                                      "args": argv[1:], "files": {t: str(p) for t, p in moved.items()}})
        instance = LocalInstance(proc, log_path, "", "", info)
        try:
            port = _wait_for_port(instance)
        except BaseException:
            instance.close()
            raise
        instance.base_url = instance.pprof_url = f"http://127.0.0.1:{port}"
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


def rewrite(value: str, moved: Mapping[str, Path]) -> str:
    """An argument or env value naming a mounted container path names its local copy instead.

    A path counts where it stands alone or after ``=`` / ``:`` / ``,`` (``--config=/etc/a.conf``),
    never inside a longer path (``/etc/a.conf.d``).
    """
    for target in sorted(moved, key=len, reverse=True):
        local = str(moved[target]).replace("\\", "\\\\")  # a replacement template, not a regex
        value = re.sub(rf"(?<![^=:,\s]){re.escape(target)}(?![^=:,\s])", local, value)
    return value


def _wait_for_port(instance: LocalInstance) -> int:
    """Our fixtures log the address they bound; that is how an ephemeral port is learned."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        m = _LISTEN_RE.search(instance.logs())
        if m:
            return int(m.group(1))
        st = instance.status()
        if not st.running:
            raise RuntimeFailure(f"the fixture exited (code {st.exit_code}) at start", st.exit_code, instance.logs())
        time.sleep(0.02)
    raise RuntimeFailure(f"the fixture did not log 'listening on ADDR' within {START_TIMEOUT_S:.0f}s",
                         None, instance.logs())
