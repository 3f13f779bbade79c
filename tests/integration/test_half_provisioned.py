"""A half-provisioned machine: what `pytest --goleak` says, in one line, for each missing part.

Real parts only: a socket nothing listens on, a socket with mode 000 (as root without
CAP_DAC_OVERRIDE, via setpriv), redis-server hidden by a bind mount in a private mount namespace,
and a module that needs a Go newer than this one (GOTOOLCHAIN=local, so nothing is fetched).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "--goleak"]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (setpriv / unshare)")


def goleak(cwd: Path, *args: str, env: dict[str, str] | None = None, wrap: tuple[str, ...] = ()) -> tuple[int, str]:
    done = subprocess.run([*wrap, *PYTEST, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, check=False)
    out = done.stdout + done.stderr
    assert "Traceback" not in out, out
    return done.returncode, out


def scenario(tmp_path: Path, text: str, name: str = "s.goleak.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def engine_error(out: str) -> str:
    (line,) = [ln for ln in out.splitlines() if ln.startswith("ERROR: pytest-goleak:")]
    return line


def test_dockerd_not_running_socket_is_stale(tmp_path):
    sock = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock))  # bound, never listening: what a dead dockerd leaves behind
        scenario(tmp_path, f"fixture: {REPO / 'go_fixtures' / 'goroutine_chan' / 'fixed'}\n")
        code, out = goleak(tmp_path, "s.goleak.yaml", env={"DOCKER_HOST": f"unix://{sock}"})
    assert code == pytest.ExitCode.USAGE_ERROR
    assert engine_error(out).startswith(f"ERROR: pytest-goleak: no Docker engine answers at unix://{sock} "
                                        "(connection refused: dockerd is not running, or the socket is stale)")


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_socket_permission_denied(tmp_path):
    sock = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock))
        s.listen()
        sock.chmod(0o000)
        scenario(tmp_path, f"fixture: {REPO / 'go_fixtures' / 'goroutine_chan' / 'fixed'}\n")
        drop = ("setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search",
                "--")
        code, out = goleak(tmp_path, "s.goleak.yaml", env={"DOCKER_HOST": f"unix://{sock}"}, wrap=drop)
    assert code == pytest.ExitCode.USAGE_ERROR
    assert engine_error(out).startswith(f"ERROR: pytest-goleak: permission denied on {sock}: add yourself to the "
                                        "group that owns it")


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_no_redis_server_for_a_scenario_that_needs_it(tmp_path):
    fixture = REPO / "go_fixtures" / "redis_client" / "fixed"
    scenario(tmp_path, f"fixture: {fixture}\nservices: [redis]\nload: {{path: /work}}\n")
    hide = " && ".join(f"mount --bind /dev/null {p}" for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
                       if os.path.exists(p))
    argv = " ".join(f"'{a}'" for a in [*PYTEST, "--goleak-runtime=local", "s.goleak.yaml"])
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", f"{hide or 'true'} && exec {argv}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "GOLEAK_SERVICE_PROVIDERS": "local",
                               "PATH": ":".join(p for p in os.environ["PATH"].split(":") if "redis" not in p)})
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in out, out  # a skip, not a failure
    (reason,) = [ln for ln in out.splitlines() if ln.startswith("SKIPPED")]
    assert "needs redis: scenario needs redis, and none could be provided (no redis-server on PATH; " \
           "GOLEAK_SERVICE_PROVIDERS=local rules out the rest)" in reason
    assert "apt-get install redis-server" in reason


def test_a_go_older_than_the_module_needs(tmp_path, go_toolchain):
    (tmp_path / "go.mod").write_text("module example.com/future\n\ngo 1.99\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    scenario(tmp_path, "fixture: .\n")
    code, out = goleak(tmp_path, "s.goleak.yaml", "--goleak-runtime=local", "--goleak-report", "rep",
                       env={"GOTOOLCHAIN": "local"})
    assert code == pytest.ExitCode.TESTS_FAILED
    (result,) = json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"]
    assert result["verdict"] == "error" and "\n" not in result["message"]
    assert result["message"].startswith(f"BuildError: {tmp_path / 'go.mod'} needs Go >= 1.99, and this is Go 1.")
    assert result["message"].endswith("(GOTOOLCHAIN=local): install a newer Go from https://go.dev/dl, or let the go "
                                      "command fetch it (GOTOOLCHAIN=go1.99 or GOTOOLCHAIN=auto)")
