"""pytest-xdist: scenarios run in parallel with no port or name collisions, and only the
controller writes the one report."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import containers_of, copy_scenario, pytest_cmd, strays

pytestmark = pytest.mark.integration
pytest.importorskip("xdist")
SMALL = {"requests: 3000": "requests: 1200", "snapshots: 6": "snapshots: 4"}


def test_two_workers_four_scenarios_one_report(tmp_path, docker_client, go_toolchain):
    names = {}
    tag = uuid.uuid4().hex[:6]  # our own scenario names: other runs may share this engine
    for copy in (f"a{tag}", f"b{tag}"):
        for variant in ("leaky", "fixed"):
            name = f"chan_{variant}_{copy}"
            copy_scenario(REPO / "scenarios" / f"goroutine_chan_{variant}.yaml", tmp_path / "scenarios",
                          name=name, **SMALL)
            names[name] = "leak" if variant == "leaky" else "clean"
    cache = tmp_path / "cache"
    done = subprocess.run(pytest_cmd("scenarios", "-n", "2", "--goleak-report", "rep"), cwd=tmp_path,
                          env={**os.environ, "GOLEAK_CACHE_DIR": str(cache)}, capture_output=True, text=True,
                          timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "2 workers" in out and "4 passed" in out
    results = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert len(results["scenarios"]) == 4
    assert {s["name"]: s["verdict"] for s in results["scenarios"]} == names
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("results.json")) == [
        tmp_path.joinpath("rep", "results.json").relative_to(tmp_path)]
    # one index, plus one page per scenario (by design), written once by the controller
    pages = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("index.html"))
    assert pages == sorted(["rep/index.html", *(f"rep/{n}/index.html" for n in names)])
    ids = [s["container"]["id"] for s in results["scenarios"]]
    assert len(set(ids)) == 4  # a container each (their bridge addresses may be reused one after another)
    assert containers_of(docker_client, set(names)) == []
    assert strays(cache) == []
