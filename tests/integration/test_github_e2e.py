"""``--goleak-github`` / GITHUB_ACTIONS=true from a real ``pytest --goleak`` run (local runtime,
real Go, two xdist workers): one ``::error`` at the culprit, the summary appended to a fake
GITHUB_STEP_SUMMARY, written once by the controller; an unwritable summary costs one warning."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import copy_scenario, pytest_cmd

pytestmark = pytest.mark.integration
SMALL = {"requests: 3000": "requests: 1200", "snapshots: 6": "snapshots: 4"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, go_toolchain: str) -> Path:
    root = tmp_path_factory.mktemp("github")
    # a user's own service: no `expect`, so its leak fails the item
    copy_scenario(REPO / "scenarios" / "goroutine_chan_leaky.yaml", root / "scenarios", name="orders",
                  **SMALL, **{"expect: leak\n": "", "culprit: main.lookup\n": ""})
    copy_scenario(REPO / "scenarios" / "goroutine_chan_fixed.yaml", root / "scenarios", **SMALL)
    return root


def run(root: Path, summary: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "GOLEAK_CACHE_DIR": str(root / "cache"), "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "f00d",
                "GITHUB_WORKSPACE": str(REPO), **env}
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env)
    return subprocess.run(pytest_cmd("scenarios", "--goleak-runtime=local", "--goleak-report", "rep", *args),
                          cwd=root, env=full_env, capture_output=True, text=True, timeout=600, check=False)


def test_github_actions_gets_annotations_and_a_summary(project: Path) -> None:
    summary = project / "summary.md"
    done = run(project, summary, "-n", "2", GITHUB_ACTIONS="true")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # the leak fails the job
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1, done.stdout[-3000:]  # the controller only, not each worker
    assert errors[0].startswith("::error file=go_fixtures/goroutine_chan/leaky/main.go,line=")
    assert ",title=goleak%3A orders leaks::" in errors[0]
    text = summary.read_text()
    assert text.count("## pytest-goleak: FAILED") == 1
    assert "(https://github.com/acme/shop/blob/f00d/go_fixtures/goroutine_chan/leaky/main.go#L" in text
    assert "| goroutine_chan_fixed | clean | clean | pass |" in text


def test_option_without_actions_and_an_unwritable_summary(project: Path) -> None:
    summary = project / "missing-dir" / "summary.md"
    done = run(project, summary, "--goleak-github", "-k", "fixed")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    warnings = [line for line in done.stderr.splitlines() if "cannot write the job summary" in line]
    assert len(warnings) == 1 and "Traceback" not in done.stderr + done.stdout
    assert "::error" not in done.stdout


def test_off_by_default_outside_actions(project: Path) -> None:
    summary = project / "off.md"
    done = run(project, summary, "-k", "fixed")
    assert done.returncode == 0, done.stdout[-3000:]
    assert not summary.exists()
