"""The labels on everything the plugin creates in Docker; the sweep (runtime/docker.py) filters on
``pytest-goleak`` and spares what a live process on this host still owns, and what another host
owns unless it is stale (see :func:`runtime.docker.sweep`)."""

from __future__ import annotations

import os
import socket

from ..build import LABEL


def owner_labels() -> dict[str, str]:
    return {LABEL: "1", f"{LABEL}.owner-pid": str(os.getpid()), f"{LABEL}.owner-host": socket.gethostname(),
            f"{LABEL}.owner-start": process_start(os.getpid()) or ""}


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22): with the
    pid, it tells the owner from a later process that was given the same pid."""
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115 - one short read
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None
