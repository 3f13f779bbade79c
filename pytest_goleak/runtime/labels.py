"""The labels on everything the plugin creates in Docker; the sweep (runtime/docker.py) filters on
``pytest-goleak`` and spares what a live process on this host still owns."""

from __future__ import annotations

import os
import socket

from ..build import LABEL


def owner_labels() -> dict[str, str]:
    return {LABEL: "1", f"{LABEL}.owner-pid": str(os.getpid()), f"{LABEL}.owner-host": socket.gethostname()}
