"""Traffic through a real `pytest --goleak` run: a setup step that fails, a mix entry that mostly
fails, a soak by time. ONE subprocess runs all three (the shipped pairs that need the traffic
forms to leak run in test_shipped_scenarios.py); small request counts, since only the load's own
outcome is judged here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, our_containers
from tests.integration.test_faults import copy_scenario

pytestmark = pytest.mark.integration
SCENARIOS = REPO / "scenarios"


@pytest.fixture(scope="module")
def traffic_run(tmp_path_factory, docker_client, go_toolchain):
    tmp = tmp_path_factory.mktemp("traffic")
    files = [
        copy_scenario(SCENARIOS / "login_session_fixed.yaml", tmp, "bad_login",
                      **{'"password": "secret"': '"password": "wrong"', "requests: 3000": "requests: 400"}),
        copy_scenario(SCENARIOS / "rare_export_fixed.yaml", tmp, "broken_export",
                      **{'body: \'{"id": "{uuid}", "format": "csv"}\'': "body: 'id={uuid}'",
                         "requests: 3000": "requests: 800"}),
        copy_scenario(SCENARIOS / "client_cache_fixed.yaml", tmp, "soak",
                      **{"requests: 3000": "duration: 5s\n  rate: 400", "snapshots: 6": "snapshots: 4"}),
    ]
    report = tmp / "report"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goleak", *map(str, files), "--goleak-report", str(report),
                           "-p", "no:cacheprovider", "-q"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False, stdin=subprocess.DEVNULL)
    results = json.loads((report / "results.json").read_text())
    return proc, {s["name"]: s for s in results["scenarios"]}


def test_a_failed_setup_step_is_an_error_naming_it(traffic_run):
    _, by_name = traffic_run
    bad = by_name["bad_login"]
    assert bad["verdict"] == "error" and not bad["passed"]
    assert "setup step 1 (POST /login) answered 401, expected 2xx/3xx: 'bad credentials" in bad["message"], bad


def test_the_error_rule_applies_to_a_rarely_hit_entry(traffic_run):
    _, by_name = traffic_run
    broken = by_name["broken_export"]
    assert broken["verdict"] == "error", broken["message"]
    assert "responses to POST /export (100%) were not 202 (400:" in broken["error"], broken["error"]
    gets, posts = broken["load"]["entries"]
    assert gets["status"] == {"200": gets["requests"]} and posts["status"] == {"400": posts["requests"]}
    assert posts["requests"] < gets["requests"] / 4 and isinstance(broken["load"]["seed"], int)


def test_a_soak_by_time_runs_for_its_duration(traffic_run, docker_client):
    proc, by_name = traffic_run
    soak = by_name["soak"]
    assert soak["verdict"] == "clean", soak["message"]
    measured = soak["load"]["phases"][1:]  # after the warm-up: three timed phases of 5s / 3
    assert len(measured) >= 3
    for phase in measured[:3]:
        assert 1.5 < phase["seconds"] < 2.5 and 500 < phase["requests"] < 700, phase  # 400/s for 1.67s
    assert our_containers(docker_client, *by_name) == [], proc.stdout[-2000:]
