"""Small process and socket helpers shared by the runtimes, the load driver and the services."""

from __future__ import annotations

import ctypes
import socket
from collections.abc import Callable

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
