"""GitHub Actions workflows: this repository's CI and the example for users, linted by actionlint.

actionlint is built from the Go module proxy (its PyPI wrapper downloads a binary from GitHub
releases, which is not always reachable) and cached under ~/.cache/pytest-goleak/tools/.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, _missing

ACTIONLINT_VERSION = "v1.7.7"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml")) + sorted(
    (REPO / "examples" / "github").glob("*.yml")
)
CI = REPO / ".github" / "workflows" / "ci.yml"
EXAMPLE = REPO / "examples" / "github" / "goleak.yml"
SHARDED = REPO / "examples" / "github" / "goleak-shards.yml"


@pytest.fixture(scope="session")
def actionlint(go_toolchain: str) -> str:
    tools = Path.home() / ".cache" / "pytest-goleak" / "tools" / f"actionlint-{ACTIONLINT_VERSION}"
    binary = tools / "actionlint"
    if not binary.exists():
        env = {**os.environ, "GOBIN": str(tools), "GOFLAGS": "-mod=mod"}
        proc = subprocess.run(
            [go_toolchain, "install", f"github.com/rhysd/actionlint/cmd/actionlint@{ACTIONLINT_VERSION}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=tools.parent.parent,
        )
        if proc.returncode != 0 or not binary.exists():
            _missing(
                f"cannot build actionlint {ACTIONLINT_VERSION} from the Go module proxy: {proc.stderr[-500:]}"
            )
    return str(binary)


def lint(actionlint: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint, "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )


def test_both_workflows_exist():
    assert CI in WORKFLOWS and EXAMPLE in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(REPO)))
def test_workflow_passes_actionlint(actionlint, path):
    out = lint(actionlint, path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_rejects_a_broken_workflow(actionlint, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.nonsense_key }}\n      - uses: actions/checkout\n"
    )
    out = lint(actionlint, bad)
    assert out.returncode != 0 and "nonsense_key" in out.stdout


def steps(path: Path) -> list[dict]:
    doc = yaml.safe_load(path.read_text())
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def test_ci_runs_the_readme_commands():
    runs = "\n".join(s.get("run", "") for s in steps(CI))
    for command in ("make lint", "scripts/gen_proto.sh --check", "make unit", "make test", "make goleak"):
        assert command in runs
    assert "redis-server postgresql" in runs
    assert any(s.get("uses", "").startswith("actions/setup-go@") for s in steps(CI))


def test_example_gates_pull_requests_and_saves_baselines_on_main():
    doc = yaml.safe_load(EXAMPLE.read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    text = EXAMPLE.read_text()
    assert "--goleak-compare baseline/baseline.json" in text
    assert "--goleak-compare-fail heap:+20% --goleak-compare-fail goroutines:+0" in text
    assert "--goleak-save baseline.json" in text
    uploads = {
        s["with"]["name"] for s in steps(EXAMPLE) if s.get("uses", "").startswith("actions/upload-artifact")
    }
    assert uploads == {"goleak-report", "goleak-baseline"}


def test_readme_explains_the_example_workflow():
    readme = (REPO / "README.md").read_text()
    assert "examples/github/goleak.yml" in readme


# The majors whose action.yml runs on Node 24 (Node 20 majors are retired on GitHub's runners):
# checkout v7, setup-go v7, setup-python v7, upload-artifact v7, download-artifact v8, cache v6.
CURRENT_MAJORS = {"actions/checkout": "v7", "actions/setup-go": "v7", "actions/setup-python": "v7",
                  "actions/upload-artifact": "v7", "actions/download-artifact": "v8", "actions/cache": "v6"}


def test_example_uses_the_current_action_majors():
    used = [s["uses"] for s in steps(EXAMPLE) if "uses" in s]
    for ref in used:
        name, _, version = ref.partition("@")
        assert CURRENT_MAJORS.get(name) == version, ref
    assert {u.partition("@")[0] for u in used} == set(CURRENT_MAJORS)


def test_example_installs_the_plugin_from_source_not_pypi():
    install = next(s for s in steps(EXAMPLE) if s.get("name") == "install pytest-goleak")["run"]
    assert "pip install pytest-goleak" not in install
    assert 'pip install "$source"' in install and "PYTEST_GOLEAK_SOURCE" in install
    assert "third_party/pytest-goleak" in install


def test_example_caches_go_and_the_harness_builds():
    by_use = {s["uses"].partition("@")[0]: s for s in steps(EXAMPLE) if "uses" in s}
    assert by_use["actions/setup-go"]["with"]["cache"] is True
    assert by_use["actions/cache"]["with"]["path"] == "~/.cache/pytest-goleak"  # README: the build cache
    readme = (REPO / "README.md").read_text()
    assert "~/.cache/pytest-goleak" in readme


def test_sharded_example_splits_the_scenarios_and_merges_the_reports():
    doc = yaml.safe_load(SHARDED.read_text())
    shard, merge = doc["jobs"]["shard"], doc["jobs"]["merge"]
    groups = shard["strategy"]["matrix"]["group"]
    assert groups == list(range(1, len(groups) + 1)) and doc["env"]["SHARDS"] == len(groups)
    runs = "\n".join(s.get("run", "") for s in shard["steps"])
    assert '--splits "$SHARDS" --group "${{ matrix.group }}"' in runs and "--goleak-report" in runs
    assert merge["needs"] == "shard" and "cancelled()" in merge["if"]  # merges even when a shard failed
    merged = "\n".join(s.get("run", "") for s in merge["steps"])
    assert "goleak merge shards/goleak-shard-* --report goleak-report" in merged
    downloads = [s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
    assert downloads and downloads[0]["with"]["pattern"] == "goleak-shard-*"
    for ref in (s["uses"] for job in (shard, merge) for s in job["steps"] if "uses" in s):
        name, _, version = ref.partition("@")
        assert CURRENT_MAJORS.get(name, version) == version, ref
