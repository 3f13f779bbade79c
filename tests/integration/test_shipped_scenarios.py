"""The ground truth: every shipped scenario through `pytest --goleak`, as the main job runs it.

Each known leak must be detected, with its stated culprit on top, and each fixed twin must pass.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pytest_goleak.scenario.parse import load_scenario
from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory, docker_client, go_toolchain):
    report = tmp_path_factory.mktemp("shipped") / "report"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goleak", "scenarios/", "--goleak-report", str(report),
                           "-p", "no:cacheprovider", "-q"], cwd=REPO, capture_output=True, text=True, timeout=1500,
                          check=False, stdin=subprocess.DEVNULL)
    results = json.loads((report / "results.json").read_text())
    return proc, {s["name"]: s for s in results["scenarios"]}, results


SHIPPED = sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))


def test_at_least_fourteen_scenarios_with_twins():
    assert len(SHIPPED) >= 14
    leaky = {n.removesuffix("_leaky") for n in SHIPPED if n.endswith("_leaky")}
    fixed = {n.removesuffix("_fixed") for n in SHIPPED if n.endswith("_fixed")}
    assert leaky == fixed and len(leaky) >= 7


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_verdict_matches_truth(shipped_run, name):
    _, by_name, _ = shipped_run
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    got = by_name[name]
    assert got["verdict"] == scenario.expect, got["message"]
    assert got["passed"], got["message"]
    if scenario.expect == "leak" and scenario.culprit:
        assert got["culprits"][0]["function"] == scenario.culprit


def test_shipped_run_exit_code_summary_and_cleanup(shipped_run, docker_client):
    proc, by_name, results = shipped_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "validation against known truth" in proc.stdout
    assert results["validation"]["overall"]["fn"] == 0 and results["validation"]["overall"]["fp"] == 0
    assert our_containers(docker_client, *by_name) == []


def test_vet_is_clean_on_fixed_twins_and_flags_lostcancel(shipped_run):
    _, by_name, _ = shipped_run
    for name, s in by_name.items():
        if name.endswith("_fixed"):
            assert s["vet"] == [], (name, s["vet"])
    assert any(f["analyzer"] == "lostcancel" and f["points_at_leak"] for f in by_name["context_cancel_leaky"]["vet"])
