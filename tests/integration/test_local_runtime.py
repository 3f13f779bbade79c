"""``--goleak-runtime=local``: fixtures as host processes in their own process group, no Docker.

Black-box through a real ``pytest --goleak`` subprocess on the goroutine_chan twins (and the
redis_client fixed twin when redis-server is installed): the leak is found, the clean twin is
clean, no fixture process is left, and every signal but the container's cgroup is present.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pytest_goleak import gotool
from pytest_goleak.httpget import get
from pytest_goleak.procutil import free_port
from pytest_goleak.runtime.base import RuntimeFailure
from pytest_goleak.runtime.local import LocalRuntime
from tests.conftest import REPO
from tests.integration.test_faults import copy_scenario, pytest_cmd, strays

pytestmark = pytest.mark.integration
SMALL = {"requests: 3000": "requests: 1200", "requests: 1500": "requests: 900",
         "snapshots: 6": "snapshots: 4"}


def test_local_runtime_end_to_end(tmp_path, go_toolchain, monkeypatch):
    names = ["goroutine_chan_leaky", "goroutine_chan_fixed"]
    if shutil.which("redis-server"):
        names.append("redis_client_fixed")  # a service on 127.0.0.1, reached through REDIS_URL
    for name in names:
        copy_scenario(REPO / "scenarios" / f"{name}.yaml", tmp_path / "scenarios", **SMALL)
    cache = tmp_path / "cache"
    # No Docker at all: an unreachable engine must not matter to the local runtime.
    env = {**os.environ, "GOLEAK_CACHE_DIR": str(cache), "DOCKER_HOST": "unix:///nonexistent/docker.sock",
           "REDIS_URL": "redis://192.0.2.1:6379/0"}  # a developer's own URL must not reach the fixture
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-runtime=local", "--goleak-report", "rep"),
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    by_name = {s["name"]: s for s in json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"]}
    assert {n: by_name[n]["verdict"] for n in names} == {
        n: ("leak" if n.endswith("leaky") else "clean") for n in names}
    assert by_name["goroutine_chan_leaky"]["culprits"][0]["function"] == "main.lookup"
    for name in names:
        r = by_name[name]
        assert r["container"]["runtime"] == "local"
        pgid = r["container"]["process_group"]
        assert pgid == r["container"]["pid"]  # its own process group, killed as a whole
        snaps = r["snapshots"]
        for i, snap in enumerate(snaps):
            assert snap["cgroup_memory_bytes"] is None  # no cgroup of our own
            for present in ("goroutines", "heap_inuse_bytes", "heap_objects", "rss_bytes", "threads", "fds"):
                assert snap[present] is not None, (name, present)
            if snap["phase"] == "main" or i == len(snaps) - 1:
                assert snap["profiles"]["heap"].endswith(".pb.gz")
            else:  # an intermediate extension snapshot keeps its figures, not its files
                assert snap["profiles"] == {}
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
    if "redis_client_fixed" in by_name:
        counts = [n for _, n in by_name["redis_client_fixed"]["server_connections"]["redis"]]
        assert counts and all(n is not None and n >= 1 for n in counts)  # it really talked to our redis
    assert strays(cache) == []


# -- the runtime on its own: a real service that reads $PORT and prints nothing --------------------

SILENT = REPO / "tests" / "data" / "silent_port"


@pytest.fixture(scope="module")
def silent_binary(tmp_path_factory, go_toolchain) -> Path:
    binary = tmp_path_factory.mktemp("silent") / "silent_port"
    gotool.build_static(SILENT, binary)
    return binary


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if item)


def test_a_silent_service_reading_port_is_found_by_its_socket_with_only_its_env(silent_binary, monkeypatch):
    monkeypatch.setenv("GOLEAK_TEST_MARKER", "pytest-secret")  # e.g. a CI token in pytest's environment
    instance = LocalRuntime().start(silent_binary, port_env="PORT", env={"GREETING": "hi"}, timeout=10)
    try:
        pid = instance.host_pid()
        assert pid is not None
        env = _environ(pid)
        assert set(env) == {"PATH", "HOME", "TMPDIR", "GREETING", "PORT", "GOLEAK_LISTEN"}, env
        assert instance.base_url == f"http://127.0.0.1:{env['PORT']}" == instance.pprof_url
        root = instance.log_path.parent
        assert Path(env["HOME"]).parent == root and Path(env["TMPDIR"]).is_relative_to(root)
        assert get(instance.base_url + "/work", timeout=5) == b"ok\n"  # the service's own check of its env
        assert instance.logs() == ""  # it printed nothing: found without a log line
        assert os.getpgid(pid) == pid and os.getsid(pid) == pid  # its own session and process group
        assert "NoNewPrivs:\t1" in Path(f"/proc/{pid}/status").read_text()
    finally:
        instance.close()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert not root.exists()


def test_an_admin_listener_nobody_named_is_found_by_its_pprof_answer(silent_binary):
    instance = LocalRuntime().start(silent_binary, port_env="PORT", env={"GREETING": "hi", "ADMIN_PORT": "0"},
                                    timeout=10)
    try:
        assert instance.base_url != instance.pprof_url
        assert b"goroutine" in get(instance.pprof_url + "/debug/pprof/", timeout=5)
        assert get(instance.base_url + "/work", timeout=5) == b"ok\n"
    finally:
        instance.close()


def test_a_fixed_port_is_found_and_a_second_run_on_it_says_who_holds_it(silent_binary):
    fixed = free_port()  # the service ignores the variable it is told and listens where its config says
    start = functools.partial(LocalRuntime().start, silent_binary, port_env="IGNORED_PORT", port=fixed,
                              env={"GREETING": "hi", "PORT": str(fixed)}, timeout=10)
    first = start()
    try:
        assert first.base_url == f"http://127.0.0.1:{fixed}"
        with pytest.raises(RuntimeFailure) as failed:
            start()
        message = str(failed.value)
        assert "exited (code 1) at start" in message and "listening on nothing" in message, message
        assert f"port {fixed} is held by another process" in message and "it logged nothing" in message
        assert re.search(r"up \d+\.\ds", message), message
    finally:
        first.close()


def test_a_process_listening_on_nothing_fails_at_the_timeout_saying_so(tmp_path):
    script = tmp_path / "quiet.sh"
    script.write_text("#!/bin/sh\necho starting up\nexec sleep 60\n")
    script.chmod(0o755)
    t0 = time.monotonic()
    with pytest.raises(RuntimeFailure) as failed:
        LocalRuntime().start(script, port_env="PORT", env={}, timeout=1.5)
    assert time.monotonic() - t0 < 10  # at the timeout given, not a fixed 30 s
    message = str(failed.value)
    assert "did not listen on any TCP port within its health timeout (2s)" in message, message
    assert re.search(r"up 1\.\ds, listening on nothing", message), message
    assert "--- last log lines ---\nstarting up" in message
