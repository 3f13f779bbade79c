"""A hostile service cannot get out, hang the run or flood it (issue 18; README "Threat model").

Each attack is a small Go program under go_fixtures/hostile/ with a scenario under
tests/data/hostile_scenarios/. All of them run in ONE real ``pytest --goleak`` subprocess (a
module fixture) with GitHub reporting on, a secret planted in its environment, a world-writable
marker directory and a listener on the host's loopback that no one may reach; each test below
fails when its attack got through.
"""

from __future__ import annotations

import json
import os
import re
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_goleak.run import gotool
from tests.conftest import REPO
from tests.integration.test_faults import containers_of, copy_scenario, pytest_cmd

pytestmark = pytest.mark.integration
HOSTILE = REPO / "tests" / "data" / "hostile_scenarios"
SECRET = "goleak-hostile-secret-7f3a9c"
METADATA = "goleak-hostile-metadata-answer"
FLOOD_MIB = 1024
RUN_TIMEOUT = 420

# pytest's own peak memory, written by the run it measures (children such as go build excluded)
_MAXRSS_CONFTEST = """
import pathlib, resource
def pytest_unconfigure(config):
    pathlib.Path("maxrss_kib.txt").write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


class _Listener(socketserver.ThreadingTCPServer):
    """Counts every connection; answers like a cloud metadata endpoint."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.seen: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Answer)


class _Answer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(2)
        try:
            data = self.request.recv(4096)
        except OSError:
            data = b""
        self.server.seen.append(data)  # type: ignore[attr-defined]
        body = METADATA.encode()
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _escalate_scenario(work: Path) -> None:
    """A dockerfile: scenario whose image asks for root (the binary is built here: no registry)."""
    ctx = work / "escalate_ctx"
    gotool.build_static(REPO / "go_fixtures" / "hostile" / "escalate", ctx / "app")
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY app /app\nUSER 0:0\nENTRYPOINT ["/app"]\n')
    (work / "scenarios" / "escalate.yaml").write_text(
        f"description: image that asks for root\ndockerfile: {ctx / 'Dockerfile'}\nexpect: clean\n"
        "load: {path: /work, requests: 50, warmup_requests: 0}\nsnapshots: 4\n")


FOREIGN_TAG = f"pytest-goleak-hostile-foreign:{os.getpid()}"


def _plant_containers(client: Any, ctx: Path) -> dict[str, str]:
    """Created, never started: one of a live job on another host sharing the engine, one of a
    dead owner on this host, one of a recycled pid (this test's own pid, another start time)."""
    client.images.build(path=str(ctx), tag=FOREIGN_TAG, rm=True, forcerm=True, timeout=120,
                        labels={"pytest-goleak.test": "1"})
    gone = _a_dead_pid()
    owners = {"foreign-live": ("ci-runner-elsewhere-7", str(os.getpid()), "1"),
              "dead-owner": (socket.gethostname(), str(gone), ""),
              "recycled-pid": (socket.gethostname(), str(os.getpid()), "1")}
    planted = {}
    for role, (host, pid, start) in owners.items():
        c = client.containers.create(FOREIGN_TAG, labels={
            "pytest-goleak": "1", "pytest-goleak.owner-host": host, "pytest-goleak.owner-pid": pid,
            "pytest-goleak.owner-start": start, "pytest-goleak.scenario": f"planted-{role}"})
        planted[role] = c.id
    return planted


def _a_dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _collect_planted(client: Any, planted: dict[str, str]) -> dict[str, bool]:
    """Which planted containers the run's sweep left; then they and the image are removed."""
    import docker.errors

    kept = {}
    for role, cid in planted.items():
        try:
            client.containers.get(cid).remove(force=True)
            kept[role] = True
        except docker.errors.NotFound:
            kept[role] = False
    client.images.remove(FOREIGN_TAG, force=True)
    return kept


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, docker_client, go_toolchain) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("hostile")
    marker = Path(tempfile.mkdtemp(prefix="goleak-hostile-marker-"))
    marker.chmod(0o777)  # the databases' user must be able to write here, if an attack gets through
    listener = _Listener()
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    names = sorted(p.stem for p in HOSTILE.glob("*.yaml"))
    for name in names:
        copy_scenario(HOSTILE / f"{name}.yaml", work / "scenarios", **{
            "@MARKER_DIR@": str(marker), "@LISTENER@": f"127.0.0.1:{listener.server_address[1]}",
            "@FLOOD_MIB@": str(FLOOD_MIB)})
    _escalate_scenario(work)
    names.append("escalate")
    (work / "conftest.py").write_text(_MAXRSS_CONFTEST)
    summary = work / "summary.md"
    env = {**os.environ, "GOLEAK_HOSTILE_TEST_SECRET": SECRET, "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary), "GOLEAK_CACHE_DIR": str(work / "cache")}
    t0 = time.monotonic()
    try:
        done = subprocess.run(pytest_cmd("scenarios", "--goleak-report", "rep", "-rA"), cwd=work, env=env,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
        out, ret = done.stdout, done.returncode
        err = done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err, ret = f"(timed out after {RUN_TIMEOUT}s)", None
    seconds = time.monotonic() - t0
    listener.shutdown()
    listener.server_close()
    results_file = work / "rep" / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"scenarios": []}
    left = containers_of(docker_client, set(names))
    planted = sorted(p.name for p in marker.iterdir())
    for p in marker.iterdir():
        p.unlink()
    marker.rmdir()
    maxrss = work / "maxrss_kib.txt"
    return {"out": out, "err": err, "ret": ret, "seconds": seconds, "left": left, "names": names,
            "by_name": {s["name"]: s for s in results["scenarios"]}, "work": work, "planted": planted,
            "listener": list(listener.seen), "summary": summary.read_text() if summary.exists() else "",
            "maxrss_mib": int(maxrss.read_text()) / 1024 if maxrss.exists() else None}


def _log(run: dict[str, Any], name: str) -> str:
    path = run["work"] / "rep" / name / "container.log"
    return path.read_text(errors="replace") if path.exists() else ""


def test_every_hostile_scenario_ran_in_time_and_left_nothing(hostile_run):
    assert hostile_run["ret"] is not None, f"the run hung: {hostile_run['out'][-2000:]}"
    assert set(hostile_run["by_name"]) == set(hostile_run["names"]), hostile_run["out"][-3000:]
    assert hostile_run["left"] == []
    assert "Traceback" not in hostile_run["out"] + hostile_run["err"]


def test_databases_refuse_host_commands_files_and_replication(hostile_run):
    r = hostile_run["by_name"]["dbescape"]
    assert r["verdict"] != "skipped", r["message"]
    assert hostile_run["planted"] == []  # COPY TO PROGRAM / TO file, CONFIG SET dir + SAVE wrote nothing
    log = _log(hostile_run, "dbescape")
    attempts = dict(re.findall(r"ATTEMPT (\S+): (ok|denied)", log))
    assert "pg-copy-to-program" in attempts and "redis-shutdown" in attempts, log[-3000:]
    allowed = {"redis-ping"}
    assert {k for k, v in attempts.items() if v == "ok"} == allowed, log[-3000:]
    # REPLICAOF would have made the host's Redis connect to a host-only listener
    assert hostile_run["listener"] == []
    # the service itself reached its databases over the bridge, not the host network
    assert r["container"]["network"] == "bridge"
    assert r["verdict"] == "clean", r["message"]  # and the run went on: Redis was not shut down


def test_culprit_source_is_named_not_read_from_outside_the_build(hostile_run):
    r = hostile_run["by_name"]["environ"]
    assert r["verdict"] == "leak", r["message"]
    assert any(c.get("file") == "/proc/self/environ" for c in r["culprits"]), r["culprits"]
    rep = hostile_run["work"] / "rep"
    for path in [rep / "results.json", *rep.rglob("*.html")]:
        assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in hostile_run["out"]


def test_slowloris_health_is_an_error_within_its_timeout(hostile_run):
    r = hostile_run["by_name"]["slowloris"]
    assert r["verdict"] == "error", r["message"]
    assert "did not become healthy within 3s" in r["message"]
    assert r["duration_s"] < 30, r["duration_s"]


def test_log_flood_is_capped_in_memory_and_on_disk(hostile_run):
    r = hostile_run["by_name"]["flood"]
    assert r["verdict"] == "clean", r["message"]
    assert hostile_run["maxrss_mib"] is not None and hostile_run["maxrss_mib"] < 400, hostile_run["maxrss_mib"]
    size = _folder_size(hostile_run["work"] / "rep") / 2**20
    assert size < 64, f"report folder {size:.0f} MiB"
    assert "cut" in _log(hostile_run, "flood")[:400]  # the kept log says it was cut
    results = (hostile_run["work"] / "rep" / "results.json").stat().st_size
    assert results < 8 * 2**20


def test_redirects_are_errors_and_never_followed(hostile_run):
    r = hostile_run["by_name"]["redirect"]
    assert r["verdict"] == "error", r["message"]
    assert "redirect" in (r["error"] or "").lower() and "/latest/meta-data/" in (r["error"] or ""), r["error"]
    assert hostile_run["listener"] == []
    assert METADATA not in json.dumps(r) + hostile_run["out"]


def test_dockerfile_image_that_asks_for_root_runs_hardened(hostile_run):
    r = hostile_run["by_name"]["escalate"]
    assert r["verdict"] == "clean", r["message"]
    log = _log(hostile_run, "escalate")
    assert "IDENTITY uid=65532 gid=65532" in log, log[-2000:]
    assert "IDENTITY CapEff: 0000000000000000" in log and "IDENTITY NoNewPrivs: 1" in log, log[-2000:]
    attempts = dict(re.findall(r"ATTEMPT (\S+): (ok|denied)", log))
    assert attempts == {"write-root-fs": "denied", "write-etc": "denied"}, log[-2000:]


def test_sweep_spares_live_jobs_of_other_hosts_and_removes_dead_owners(hostile_run, docker_client):
    """On the real engine, right after planting (other sessions on a shared engine sweep too)."""
    from pytest_goleak.run.runtime.docker import sweep

    planted = _plant_containers(docker_client, hostile_run["work"] / "escalate_ctx")
    sweep(docker_client)
    assert _collect_planted(docker_client, planted) == {"foreign-live": True, "dead-owner": False,
                                                         "recycled-pid": False}


def test_service_text_cannot_start_a_workflow_command(hostile_run):
    r = hostile_run["by_name"]["logcmd"]
    assert r["verdict"] == "error", r["message"]
    assert "hostile annotation" in hostile_run["out"]  # the log lines are shown ...
    lines = hostile_run["out"].splitlines()
    ours = re.compile(r"^::(error|notice) (file=[^,]*,)?(line=\d+,)?title=goleak%3A ")
    assert [ln for ln in lines if ln.startswith("::") and not ours.match(ln)] == []  # ... but never obeyed
