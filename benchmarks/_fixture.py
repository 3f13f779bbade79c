"""Start a go_fixtures program as a local process for a benchmark, and stop it afterwards."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytest_goleak.run import gotool

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def local_fixture(package: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Build ``go_fixtures/<package>`` and serve it on an ephemeral loopback port; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="goleak-bench-") as tmp:
        binary = Path(tmp) / "app"
        gotool.build_static(REPO / "go_fixtures" / package, binary)
        log = Path(tmp) / "log"
        with log.open("wb") as fh:
            proc = subprocess.Popen([str(binary)], env={**os.environ, "GOLEAK_LISTEN": "127.0.0.1:0", **(env or {})},
                                    stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 30
            while not (m := re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read_text())):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"fixture {package} did not start: {log.read_text()}")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{m.group(1)}"
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
