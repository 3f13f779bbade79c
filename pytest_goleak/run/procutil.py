"""Small process and socket helpers shared by the runtimes, the load driver, the services, the
builds and the detectors."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int) -> Callable[[], None]:
    """A ``preexec_fn``: the kernel sends ``sig`` to the child when the thread that started it
    ends, so nothing we start outlives a pytest that was SIGKILLed. Processes are started from
    pytest's main thread, so in practice: when the Python process ends."""

    def preexec() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def free_port() -> int:
    """An ephemeral loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Completed:
    returncode: int | None  # None: killed at the timeout
    output: str  # stdout and stderr, as the tool wrote them
    seconds: float


def run_bounded(cmd: Sequence[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Completed:
    """Run ``cmd`` in a session of its own; at the timeout the whole process group is killed.

    (``subprocess.run(timeout=...)`` kills only the child: a grandchild that holds the pipes
    open, such as a shell script's ``sleep``, would keep it waiting.) OSError when it cannot start.
    """
    t0 = time.monotonic()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return Completed(proc.returncode, out.decode("utf-8", errors="replace"), time.monotonic() - t0)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        return Completed(None, out.decode("utf-8", errors="replace"), time.monotonic() - t0)
    finally:
        if proc.poll() is None:
            _kill_group(proc)
            proc.wait()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
