"""The extension obeys the scenario's limits: an OOM-kill in it is a leak with its evidence, and
a leak that reaches its memory limit keeps its culprit (judged from the snapshots before the kill)."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import containers_of, pytest_cmd

pytestmark = pytest.mark.integration


def test_oom_kill_during_the_extension_is_a_leak_with_evidence(tmp_path, docker_client, go_toolchain):
    name = f"ext-oom-{uuid.uuid4().hex[:8]}"
    (tmp_path / "scenarios").mkdir()
    # 2 KiB kept per request: ~5 MiB over the measured window fits in 24 MiB, the extension's
    # 40,000 requests (~80 MiB) do not.
    (tmp_path / "scenarios" / f"{name}.yaml").write_text(
        f"fixture: {REPO / 'go_fixtures' / 'global_map' / 'leaky'}\nexpect: leak\nculprit: main.remember\n"
        "load: {path: /work, requests: 2000}\nlimits: {memory: 24MiB}\nextension: {factor: 20}\n")
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-report", "rep", "-q"), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
    s = json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"][0]
    assert s["verdict"] == "leak" and s["passed"], s["message"]
    assert "OOM-killed at 24.0MiB" in s["message"], s["message"]
    assert s["requests"] > 2200  # past the measured window: it died in the extension
    # judged from the good snapshots before the kill: the culprit is named, not lost
    assert s["oom"].startswith("OOM-killed at 24.0MiB") and s["cut_short"] == s["oom"], s
    assert s["culprits"] and s["culprits"][0]["function"] == "main.remember", s["message"]
    assert len(s["snapshots"]) >= 6 and s["snapshots"][-1]["profiles"].get("heap")
    assert s["budgets"]["heap_inuse_bytes_per_1k_requests"]["exceeded"] is True
    assert done.returncode == 0, done.stdout[-2000:]
    assert containers_of(docker_client, {name}) == []
