"""The extension obeys the scenario's limits: it stops a leak before the OOM killer, and a leak
that reaches its memory limit keeps its culprit (judged from the snapshots before the kill)."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import containers_of, pytest_cmd

pytestmark = pytest.mark.integration


def _run_leak(tmp_path, name: str, extra: str) -> tuple[dict, subprocess.CompletedProcess[str]]:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / f"{name}.yaml").write_text(
        f"fixture: {REPO / 'go_fixtures' / 'global_map' / 'leaky'}\nexpect: leak\nculprit: main.remember\n"
        f"limits: {{memory: 24MiB}}\n{extra}")
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-report", "rep", "-q"), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
    return json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"][0], done


def test_the_extension_stops_a_leak_before_the_oom_killer(tmp_path, docker_client, go_toolchain):
    """2 KiB kept per request: ~5 MiB over the measured window fits in 24 MiB, the extension's
    40,000 requests (~80 MiB) do not; the extension stops first (decisive, or at 70% of the limit)."""
    name = f"ext-oom-{uuid.uuid4().hex[:8]}"
    s, done = _run_leak(tmp_path, name, "load: {path: /work, requests: 2000}\nextension: {factor: 20}\n")
    assert s["verdict"] == "leak" and s["passed"], s["message"]
    assert not s.get("oom") and s["extension"]["stopped"] in ("decisive", "memory"), s["extension"]
    assert s["requests"] > 2200  # past the measured window
    assert s["culprits"] and s["culprits"][0]["function"] == "main.remember", s["message"]
    assert s["budgets"]["heap_inuse_bytes_per_1k_requests"]["exceeded"] is True
    assert done.returncode == 0, done.stdout[-2000:]
    assert containers_of(docker_client, {name}) == []


def test_a_leak_killed_at_its_memory_limit_keeps_its_culprit(tmp_path, docker_client, go_toolchain):
    """The same leak over a measured window of 12,000 requests: OOM-killed after about 6,700, with
    6 good snapshots before the kill; judged from them, the culprit is named, not lost."""
    name = f"oom-{uuid.uuid4().hex[:8]}"
    s, done = _run_leak(tmp_path, name, "load: {path: /work, requests: 12000}\nsnapshots: 12\n")
    assert s["verdict"] == "leak" and s["passed"], s["message"]
    assert "OOM-killed at 24.0MiB" in s["message"], s["message"]
    assert s["oom"].startswith("OOM-killed at 24.0MiB") and s["cut_short"] == s["oom"], s
    assert s["culprits"] and s["culprits"][0]["function"] == "main.remember", s["message"]
    assert 4 <= len(s["snapshots"]) < 12 and s["snapshots"][-1]["profiles"].get("heap")
    assert done.returncode == 0, done.stdout[-2000:]
    assert containers_of(docker_client, {name}) == []
