"""scripts/provision.sh on a half-provisioned machine: one line naming what is missing, no apt
and no root when nothing is. The non-root cases run the script as `nobody` (needs root here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPT = REPO / "scripts" / "provision.sh"
TOOLS = ("bash", "awk", "id", "timeout", "stat", "cat", "sleep", "env", "tail", "setsid", "kill", "sh",
         "docker", "dockerd", "apt-get", "sed", "sort", "head", "python3", "go")
as_nobody = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None,
                               reason="needs root (to run the script as nobody)")


@pytest.fixture
def tmp_path():  # noqa: F811 - nobody must be able to reach it (pytest's own is under a 0700 dir)
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="goleak-provision-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def bin_without(tmp_path: Path, *absent: str) -> str:
    """A PATH holding only the tools the script uses, minus ``absent`` (redis-server etc. never)."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool, path="/usr/local/go/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin")  # no shims
        if found and tool not in absent:
            (d / tool).symlink_to(found)
    d.chmod(0o755)
    return str(d)


def run(*args: str, user: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["bash", str(SCRIPT), *args]
    if user:
        cmd = ["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in (env or {}).items()), *cmd]
        env = None
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **(env or {})})


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_a_no_op_is_fast_and_says_ready(docker_client):
    for mode in ("goleak", "test"):
        if mode == "test" and not (shutil.which("chromium") and shutil.which("wrk")):
            continue
        t0 = time.monotonic()
        done = run("--for", mode)
        took = time.monotonic() - t0
        assert done.returncode == 0 and one_line(done).startswith(f"provision: ready for make {mode}")
        assert took < 2.0, f"no-op provision took {took:.2f}s"


def test_bad_arguments():
    assert run("--for", "everything").returncode == 2
    assert run("--bogus").returncode == 2


@as_nobody
def test_missing_packages_without_root(tmp_path):
    done = run(user="nobody", env={"PATH": bin_without(tmp_path)})
    assert done.returncode == 1
    assert one_line(done) == ("provision: missing: redis-server chromium wrk. Installing needs root (no "
                              "password-less sudo here): run: sudo apt-get install -y redis-server chromium wrk")


@as_nobody
def test_goleak_mode_needs_no_browser(tmp_path):
    done = run("--for", "goleak", user="nobody", env={"PATH": bin_without(tmp_path)})
    assert "chromium" not in one_line(done) and "redis-server" in one_line(done)


@as_nobody
def test_not_debian(tmp_path):
    done = run(user="nobody", env={"PATH": bin_without(tmp_path, "apt-get")})
    assert "This script installs with apt-get (Debian/Ubuntu); install redis-server chromium wrk with your " \
           "system's package manager" in one_line(done)


@as_nobody
def test_a_go_older_than_the_fixtures_need(tmp_path):
    path = bin_without(tmp_path, "go")
    fake = Path(path) / "go"
    fake.write_text("#!/bin/sh\necho go1.24.3\n")  # what `go env GOVERSION` of a Go 1.24 prints
    fake.chmod(0o755)
    done = run("--for", "goleak", user="nobody", env={"PATH": path})
    assert done.returncode == 1
    assert one_line(done) == (f"provision: Go 1.24.3 at {fake} is older than the fixtures need (>= 1.25): install a "
                              "newer Go from https://go.dev/dl, or let the go command fetch one (GOTOOLCHAIN=auto, "
                              "the default)")


@as_nobody
def test_dockerd_installed_but_not_running(tmp_path):
    env = {"PATH": os.environ["PATH"], "DOCKER_HOST": f"unix://{tmp_path}/docker.sock"}
    done = run("--for", "goleak", user="nobody", env=env)
    assert done.returncode == 1
    assert one_line(done) == ("provision: dockerd is installed but not running, and starting it needs root: "
                              "sudo systemctl start docker (or: sudo dockerd &)")


@as_nobody
def test_socket_permission_denied(tmp_path):
    import socket

    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        path.chmod(0o000)
        done = run("--for", "goleak", user="nobody", env={"PATH": os.environ["PATH"], "DOCKER_HOST": f"unix://{path}"})
    assert done.returncode == 1
    assert one_line(done).startswith(f"provision: permission denied on {path} (owned by root:root): add yourself")


def test_dry_run_names_the_apt_commands(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("as root the dry run shows apt-get without sudo")
    done = run(env={"PATH": bin_without(tmp_path), "PROVISION_DRY_RUN": "1", "DOCKER_HOST": "unix:///nonexistent"})
    assert "provision: would run: apt-get install -y -qq --no-install-recommends redis-server chromium wrk" \
        in done.stderr, done.stderr
