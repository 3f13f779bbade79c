"""Interrupts: a real SIGINT / SIGTERM to ``pytest --goleak`` mid-scenario leaves nothing behind;
after a SIGKILL, the next run's session-start sweep removes the container that was left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import LABEL, containers_of, copy_scenario, pytest_cmd, strays

pytestmark = pytest.mark.integration
SCENARIOS = REPO / "scenarios"
LONG_LOAD = {"requests: 3000": "requests: 200000", "requests: 1500": "requests: 200000",
             "concurrency: 8": "concurrency: 2\n  rate: 400", "snapshots: 6": "snapshots: 200"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("interrupt-cache")


def start_long_run(work: Path, cache: Path, source: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``pytest --goleak`` on a scenario that would load for minutes; returns (proc, name, log)."""
    name = f"intr-{uuid.uuid4().hex[:8]}"
    copy_scenario(SCENARIOS / f"{source}.yaml", work / "scenarios", name=name, **LONG_LOAD)
    log = work / "pytest.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(pytest_cmd("scenarios", "--goleak-report", "rep"), cwd=work, stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, "GOLEAK_CACHE_DIR": str(cache)})
    return proc, name, log


def wait_until_loading(client: Any, proc: subprocess.Popen[bytes], name: str, cache: Path, log: Path) -> None:
    """Until our container runs AND the load driver is sending to it: mid-scenario for sure."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        running = client.containers.list(filters={"label": f"{LABEL}.scenario={name}"}, ignore_removed=True)
        if running and any("loadgen" in line for line in strays(cache)):
            time.sleep(1.0)
            return
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the scenario never started loading:\n{log.read_text()[-3000:]}")


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below ``pid`` (services, load driver, ...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop()
        try:
            found[p] = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        todo.extend(children.get(p, []))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(("sig", "source"), [
    (signal.SIGINT, "goroutine_chan_fixed"),
    (signal.SIGTERM, "goroutine_chan_fixed"),
    (signal.SIGINT, "redis_client_fixed"),  # a service (redis-server) must stop too
])
def test_signal_mid_scenario_leaves_nothing(tmp_path, cache, docker_client, go_toolchain, sig, source):
    if source.startswith("redis") and shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    proc, name, log = start_long_run(tmp_path, cache, source)
    try:
        wait_until_loading(docker_client, proc, name, cache, log)
        below = descendants(proc.pid)
        assert any("loadgen" in cmd for cmd in below.values()), below
        if source.startswith("redis"):
            assert any("redis-server" in cmd for cmd in below.values()), below
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=60)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log.read_text()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, out[-3000:]
    assert "KeyboardInterrupt" in out
    assert took < 30, f"shutting down took {took:.1f}s"
    print(f"{signal.Signals(sig).name} {source}: pytest exited {took:.1f}s after the signal")
    assert containers_of(docker_client, {name}) == []
    assert [cmd for pid, cmd in below.items() if alive(pid)] == []
    assert strays(cache) == []


def test_sigkill_leaves_a_container_that_the_next_run_sweeps(tmp_path, cache, docker_client, go_toolchain):
    proc, name, log = start_long_run(tmp_path, cache, "goroutine_chan_fixed")
    try:
        wait_until_loading(docker_client, proc, name, cache, log)
        below = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = containers_of(docker_client, {name})
    assert len(left) == 1, "a SIGKILL runs no cleanup: the container must still be there"
    try:
        # The next run, on no scenario at all, sweeps it at session start.
        empty = tmp_path / "next"
        empty.mkdir()
        done = subprocess.run(pytest_cmd("--goleak-report", "rep"), cwd=empty, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout + done.stderr
        assert containers_of(docker_client, {name}) == []
        # Orphaned, the load driver reads EOF on stdin when its phase ends, and exits.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [p for p in below if alive(p)]:
            time.sleep(0.2)
        assert [cmd for pid, cmd in below.items() if alive(pid)] == []
    finally:
        for c in docker_client.containers.list(all=True, filters={"label": f"{LABEL}.scenario={name}"},
                                               ignore_removed=True):
            c.remove(force=True)


def test_sigint_during_the_extension_leaves_nothing(tmp_path, cache, docker_client, go_toolchain):
    """A leak over budget keeps the load going past its measured window; Ctrl-C there stops it all."""
    name = f"intr-ext-{uuid.uuid4().hex[:8]}"
    work = tmp_path
    (work / "scenarios").mkdir()
    (work / "scenarios" / f"{name}.yaml").write_text(
        f"fixture: {REPO / 'go_fixtures' / 'global_map' / 'leaky'}\nexpect: leak\n"
        "load: {path: /work, requests: 500, warmup_requests: 50, concurrency: 2, rate: 300}\n"
        "extension: {factor: 1000, timeout: 10m}\ntimeout: 20m\n")
    log = work / "pytest.log"
    # The progress lines, logged live: the extension's snapshots save no profile to watch for.
    cmd = pytest_cmd("scenarios", "--goleak-report", "rep", "-o", "log_cli=true", "--log-cli-level=INFO")
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "GOLEAK_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"})
    try:
        # Snapshot 8 exists only once the extension (after the 6 of the measured window) runs.
        deadline = time.monotonic() + 240
        while "extension snapshot 8 at" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        below = descendants(proc.pid)
        assert any("loadgen" in cmd for cmd in below.values()), below
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, log.read_text()[-3000:]
    assert containers_of(docker_client, {name}) == []
    assert [cmd for pid, cmd in below.items() if alive(pid)] == []
    assert strays(cache) == []
