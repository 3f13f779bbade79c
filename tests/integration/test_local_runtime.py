"""``--goleak-runtime=local``: services as host processes in their own process group, no Docker.

Parity: the shipped scenarios, the user-style corpus and the orders example run in ONE real
``pytest --goleak --goleak-runtime=local`` subprocess, and each must get the verdict and culprit
its Docker run is held to (the scenario's expect/culprit, corpora/userstyle/truth.yaml), with
every signal but the container's cgroup, its own process group, and nothing left behind.
Then the runtime on its own, with a real service that reads $PORT and prints nothing
(tests/data/silent_port): found by its sockets, given only its environment, failures that say why.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_goleak.judge.verdict import culprit_matches
from pytest_goleak.run import gotool
from pytest_goleak.run.httpget import get
from pytest_goleak.run.procutil import free_port
from pytest_goleak.run.runtime.base import RuntimeFailure
from pytest_goleak.run.runtime.local import LOG_TAIL_BYTES, LocalInstance, LocalRuntime, PortHeld
from pytest_goleak.scenario.parse import load_scenario
from tests.conftest import REPO
from tests.integration.test_faults import pytest_cmd, strays

pytestmark = pytest.mark.integration

SILENT = REPO / "tests" / "data" / "silent_port"
USERSTYLE = REPO / "corpora" / "userstyle"
TRUTH = yaml.safe_load((USERSTYLE / "truth.yaml").read_text())
ORDERS = REPO / "examples" / "orders_service"
SHIPPED = sorted(REPO.glob("scenarios/*.yaml"))
USER_STYLE = sorted(USERSTYLE.glob("*/*.goleak.yaml"))
EXAMPLES = [ORDERS / "orders.goleak.yaml", REPO / "examples" / "notes_api" / "notes.goleak.yaml",
            REPO / "examples" / "grpc_service" / "inventory.goleak.yaml"]
CORPUS = [*SHIPPED, *USER_STYLE, *EXAMPLES, SILENT / "silent_port.goleak.yaml"]
NAMES = [load_scenario(p).name for p in CORPUS]
MARKER = "GOLEAK_TEST_MARKER"  # in pytest's environment; the silent service answers 418 if it sees it


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, go_toolchain) -> dict[str, Any]:
    """Every corpus that can run without Docker, in ONE ``pytest --goleak --goleak-runtime=local``
    (the Docker runs of the same corpora are test_shipped_scenarios.py, test_userstyle.py and
    test_examples.py; examples/caddy runs locally in test_examples.py, and examples/github is a
    workflow, not a service)."""
    work = tmp_path_factory.mktemp("local_parity")
    cache = work / "cache"  # binaries built here, so a stray process of this run is findable by path
    # No Docker at all: an unreachable engine must not matter to the local runtime.
    env = {**os.environ, "GOLEAK_CACHE_DIR": str(cache), "DOCKER_HOST": "unix:///nonexistent/docker.sock",
           "REDIS_URL": "redis://192.0.2.1:6379/0",  # a developer's own URL must not reach the service
           MARKER: "a-ci-secret"}
    done = subprocess.run(pytest_cmd(*(str(p) for p in CORPUS), "--goleak-runtime=local", "--goleak-report",
                                     str(work / "rep"), "-q"), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1800, check=False, stdin=subprocess.DEVNULL)
    results = json.loads((work / "rep" / "results.json").read_text())
    return {"out": done.stdout + done.stderr, "ret": done.returncode, "stray": strays(cache),
            "by_name": {s["name"]: s for s in results["scenarios"]}}


def _top(result: dict[str, Any]) -> str | None:
    return result["culprits"][0]["function"] if result["culprits"] else None


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_agrees_with_docker(local_run, path):
    """The same verdict and culprit as the Docker run of test_shipped_scenarios.py asserts."""
    scenario = load_scenario(path)
    got = local_run["by_name"][scenario.name]
    assert (got["verdict"], got["passed"]) == (scenario.expect, True), got["message"] + str(got.get("error"))
    if scenario.expect == "leak" and scenario.culprit:
        assert _top(got) == scenario.culprit, got["message"]


@pytest.mark.parametrize("path", USER_STYLE, ids=lambda p: p.parent.name)
def test_userstyle_service_agrees_with_docker(local_run, path):
    """The same verdict and culprit as the Docker run of test_userstyle.py asserts (truth.yaml)."""
    scenario = load_scenario(path)
    got = local_run["by_name"][scenario.name]
    assert (got["verdict"], got["passed"]) == (scenario.expect, True), got["message"] + str(got.get("error"))
    if scenario.expect == "leak":
        assert culprit_matches(_top(got), TRUTH[path.parent.name]), (_top(got), got["message"])


@pytest.mark.parametrize("path", EXAMPLES[1:], ids=lambda p: p.parent.name)
def test_example_is_clean_as_under_docker(local_run, path):
    """notes_api (login in setup, a mix) and grpc_service (gRPC API, admin port): clean and passed,
    as test_examples.py and test_grpc.py hold their Docker runs."""
    got = local_run["by_name"][load_scenario(path).name]
    assert (got["verdict"], got["passed"], got["error"]) == ("clean", True, None), got["message"]


def test_orders_example_and_the_silent_service_pass_with_only_their_env(local_run):
    orders, silent = local_run["by_name"]["orders"], local_run["by_name"]["silent_port"]
    assert (orders["verdict"], orders["passed"]) == ("clean", True), orders["message"] + str(orders.get("error"))
    assert orders["container"]["reached_at"] != orders["container"]["pprof_at"]  # ORDERS_PORT, admin 6060
    assert orders["load"]["phases"][-1]["status"] == {"201": orders["load"]["phases"][-1]["requests"]}
    assert (silent["verdict"], silent["passed"]) == ("clean", True), silent["message"] + str(silent.get("error"))
    statuses = {k: v for phase in silent["load"]["phases"] for k, v in phase["status"].items()}
    assert set(statuses) == {"200"}, statuses  # 418: the marker (or no GREETING) reached the service
    assert MARKER not in silent["container"]["env"] and "GREETING" in silent["container"]["env"]


def test_every_local_run_has_its_signals_its_own_group_and_left_nothing(local_run):
    by_name = local_run["by_name"]
    assert set(by_name) == set(NAMES), local_run["out"][-3000:]
    assert local_run["ret"] == 0, local_run["out"][-4000:]
    for name, r in by_name.items():
        assert r["container"]["runtime"] == "local"
        pgid = r["container"]["process_group"]
        assert pgid == r["container"]["pid"]  # its own process group, killed as a whole
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
        snaps = r["snapshots"]
        for i, snap in enumerate(snaps):
            assert snap["cgroup_memory_bytes"] is None  # no cgroup of our own
            for present in ("goroutines", "heap_inuse_bytes", "heap_objects", "rss_bytes", "threads", "fds"):
                assert snap[present] is not None, (name, present)
            if snap["phase"] == "main" or i == len(snaps) - 1:
                assert snap["profiles"]["heap"].endswith(".pb.gz")
            else:  # an intermediate extension snapshot keeps its figures, not its files
                assert snap["profiles"] == {}
    for name in ("redis_client_fixed", "sql_pool_fixed"):
        kind = "redis" if name.startswith("redis") else "postgres"
        counts = [n for _, n in by_name[name]["server_connections"][kind]]
        assert counts and all(n is not None and n >= 1 for n in counts)  # it really talked to our server
    assert local_run["stray"] == []


# -- the runtime on its own: a real service that reads $PORT and prints nothing --------------------

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


def _fixed_port_starter(binary: Path, fixed: int, **kw: Any) -> functools.partial[LocalInstance]:
    """A service that ignores the variable it is told and listens where its own config says."""
    return functools.partial(LocalRuntime().start, binary, port_env="IGNORED_PORT", port=fixed,
                             env={"GREETING": "hi", "PORT": str(fixed)}, timeout=10, **kw)


def test_a_fixed_port_is_found_and_a_second_run_waits_for_it(silent_binary):
    fixed = free_port()
    start = _fixed_port_starter(silent_binary, fixed)
    first = start()
    try:
        assert first.base_url == f"http://127.0.0.1:{fixed}"
        with pytest.raises(PortHeld) as failed:
            start(port_wait=0.5)  # the first one holds it for longer than that
        message = str(failed.value)
        assert "exited (code 1) at start" in message and "listening on nothing" in message, message
        assert f"port {fixed} is held by pid {first.host_pid()}, another service this harness runs" in message
        assert re.search(r"up \d+\.\ds", message) and "address already in use" in message, message
        # Started from this thread: a service dies with the thread that started it (PR_SET_PDEATHSIG).
        closer = threading.Timer(1.0, first.close)
        closer.start()
        t0 = time.monotonic()
        again = start(port_wait=30)
        closer.join()
        assert time.monotonic() - t0 >= 1.0  # it waited for the port
        try:
            assert again.base_url == f"http://127.0.0.1:{fixed}" and get(again.base_url + "/work", timeout=5) == b"ok\n"
        finally:
            again.close()
    finally:
        first.close()


def test_a_fixed_port_held_by_another_program_fails_at_once_naming_it(silent_binary):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        fixed = other.getsockname()[1]
        t0 = time.monotonic()
        with pytest.raises(PortHeld) as failed:
            _fixed_port_starter(silent_binary, fixed)(port_wait=60)
        assert time.monotonic() - t0 < 10  # not waited for: it is not ours, it may never go
    assert f"port {fixed} is held by pid {os.getpid()} (" in str(failed.value)
    assert "not one of ours" in str(failed.value)


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


def test_a_flooding_service_is_read_only_as_a_bounded_tail(tmp_path):
    """9 MiB of output before it listens: logs() (the failure message, container.log, gctrace)
    holds only the last LOG_TAIL_BYTES, says what was cut, and ends with the newest line."""
    flood = ("import os, sys, http.server\n"
             "for i in range(9 * 1024):\n"
             "    sys.stdout.write(f'{i:08d} ' + 'x' * 1014 + '\\n')\n"
             "print('newest line', flush=True)\n"
             "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), http.server.BaseHTTPRequestHandler)"
             ".serve_forever()\n")
    instance = LocalRuntime().start(Path(sys.executable), port_env="PORT", env={}, args=["-c", flood], timeout=30)
    try:
        assert instance.log_path.stat().st_size > LOG_TAIL_BYTES
        logs = instance.logs()
        assert len(logs) <= LOG_TAIL_BYTES + 200
        first, second = logs.splitlines()[:2]
        assert "of this log were cut" in first and re.fullmatch(r"\d{8} x{1014}", second), (first, second[:40])
        assert logs.rstrip().endswith("newest line")
    finally:
        instance.close()
