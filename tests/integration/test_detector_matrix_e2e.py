"""The detector x corpus matrix from a real run: a user's detector declared through the hook shows
up with the right counts; a static command that hangs or crashes, and a hook that raises, become
errored cells with their reasons while the rest of the run passes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration


def scenario(twin: str, expect: str) -> str:
    return (f"fixture: {REPO / 'go_fixtures' / 'global_map' / twin}\nexpect: {expect}\n"
            + ("culprit: main.remember\n" if expect == "leak" else "")
            + "load: {path: /work, requests: 1000}\n")  # the extension clears a bounded cache at the near-floor budget


CONFTEST = '''
import os
from pathlib import Path

from pytest_goleak.detectors import CommandDetector, CommandSpec, DetectorResult, Finding

HERE = Path(__file__).parent


class NameSays:
    """A user's heuristic: a scenario whose name says "leaky" leaks, in main.remember."""
    name = "name_says"

    def detect(self, target):
        leaky = "leaky" in target.scenario
        where = (Finding("main.go", 23, "by name", function="main.remember"),) if leaky else ()
        return DetectorResult(self.name, "ran", flagged=leaky, findings=where, reason="the name says so")


def tool(name, body):
    path = HERE / name
    path.write_text("#!/bin/sh\\n" + body + "\\n")
    path.chmod(0o755)
    return CommandDetector(CommandSpec(name, f"example.com/{name}", "v0.0.1"), HERE / "cache", timeout=2,
                           executable=path)


def pytest_goleak_detectors(config):
    return [NameSays(), tool("hangs", "sleep 60"), tool("crashes", "echo boom >&2; kill -SEGV $$")]
'''

RAISES = '''
def pytest_goleak_detectors(config):
    raise RuntimeError("my detector plugin is broken")
'''


def test_hook_detector_counts_and_broken_detectors_are_errored_cells(pytester, docker_client, go_toolchain):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(broken_plugin=RAISES)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "gm_leaky.yaml").write_text(scenario("leaky", "leak"))
    (pytester.path / "scenarios" / "gm_fixed.yaml").write_text(scenario("fixed", "clean"))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider",
                                           "-p", "broken_plugin")
    result.assert_outcomes(passed=2)  # broken detectors fail no item
    result.stdout.fnmatch_lines(["*detectors against known truth*",
                                 "*shipped*name_says*tp=1*fn=0*fp=0*tn=1*recall 100%*right place 100%*"])
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    cells = {c["detector"]: c for c in data["detectors"]["cells"]}
    assert (cells["name_says"]["tp"], cells["name_says"]["tn"], cells["name_says"]["right_place"]) == (1, 1, 1)
    assert cells["name_says"]["scenarios"]["tp"] == ["gm_leaky"]
    assert (cells["harness"]["tp"], cells["harness"]["tn"], cells["harness"]["fp"]) == (1, 1, 0)
    for broken in ("hangs", "crashes", "hook:broken_plugin"):
        assert cells[broken]["error"] == 2 and cells[broken]["recall"] is None, cells[broken]
    leaky = next(s for s in data["scenarios"] if s["name"] == "gm_leaky")
    why = {d["detector"]: d["reason"] for d in leaky["detectors"]}
    assert "timed out after 2s" in why["hangs"], why
    assert "my detector plugin is broken" in why["hook:broken_plugin"]
    assert why["crashes"], why
    page = (pytester.path / "rep" / "detectors.html").read_text()
    assert "name_says" in page and 'href="gm_leaky/index.html"' in page
    assert our_containers(docker_client, "gm_leaky", "gm_fixed") == []
