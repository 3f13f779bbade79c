"""The user-style known-truth set: services nobody here wrote the harness for, at the defaults.

Every service in corpora/userstyle/ is a plain net/http program with stock net/http/pprof and a
scenario of only fixture, expect and load.path. Each leak must be detected with the culprit that
truth.yaml names on top, and each clean service must pass.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from pytest_goleak.judge.verdict import culprit_matches
from pytest_goleak.scenario.parse import load_scenario
from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration

CORPUS = REPO / "corpora" / "userstyle"
SERVICES = sorted(p.parent.name for p in CORPUS.glob("*/*.goleak.yaml"))
TRUTH = yaml.safe_load((CORPUS / "truth.yaml").read_text())


@pytest.fixture(scope="module")
def userstyle_run(tmp_path_factory, docker_client, go_toolchain):
    report = tmp_path_factory.mktemp("userstyle") / "report"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goleak", str(CORPUS), "--goleak-report", str(report),
                           "-p", "no:cacheprovider", "-q"], cwd=REPO, capture_output=True, text=True, timeout=1800,
                          check=False, stdin=subprocess.DEVNULL)
    results = json.loads((report / "results.json").read_text())
    return proc, {s["name"]: s for s in results["scenarios"]}


def test_the_set_has_ten_services_or_more_with_leaks_and_clean_ones():
    assert len(SERVICES) >= 10
    expects = {n: load_scenario(CORPUS / n / f"{n}.goleak.yaml").expect for n in SERVICES}
    assert {"leak", "clean"} == set(expects.values())
    assert set(TRUTH) == {n for n, e in expects.items() if e == "leak"}


@pytest.mark.parametrize("name", SERVICES)
def test_userstyle_verdict_matches_truth(userstyle_run, name):
    _, by_name = userstyle_run
    scenario = load_scenario(CORPUS / name / f"{name}.goleak.yaml")
    got = by_name[scenario.name]
    assert got["verdict"] == scenario.expect, got["message"]
    assert got["passed"], got["message"]
    if scenario.expect == "leak":
        top = got["culprits"][0]["function"] if got["culprits"] else None
        assert culprit_matches(top, TRUTH[name]), (top, TRUTH[name], got["message"])


def test_userstyle_run_leaves_no_containers(userstyle_run, docker_client):
    proc, by_name = userstyle_run
    names = {load_scenario(CORPUS / n / f"{n}.goleak.yaml").name for n in SERVICES}
    assert set(by_name) == names, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert our_containers(docker_client, *by_name) == []
