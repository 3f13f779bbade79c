"""Baselines end to end, on the goroutine_chan twins: a scenario named ``chan`` pointed at the
fixed twin saves a baseline; the same name pointed at the leaky twin (a leak introduced by a
"PR") compares against it and fails; the clean build against its own baseline passes, every time.

The leaky file says ``expect: leak``, so its item passes: only the comparison can fail the run.
Every results.json written here is validated against the published JSON Schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration
FIXTURES = REPO / "go_fixtures"
SCHEMA = REPO / "pytest_goleak" / "schema" / "results.schema.json"
RULES = ("--compare-fail", "heap:+20%", "--compare-fail", "goroutines:+0")
CLEAN_RUNS = 5


def write_scenario(path: Path, variant: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    expect = "leak" if variant == "leaky" else "clean"
    path.write_text(
        textwrap.dedent(f"""\
        name: chan
        fixture: {FIXTURES / "goroutine_chan" / variant}
        expect: {expect}
        load: {{path: /work, requests: 1000, warmup_requests: 200, concurrency: 8}}
        snapshots: 5
        """)
    )
    return path


def goleak(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_goleak.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def validate(results_json: Path) -> dict:
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(results_json.read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    return data


def rows(stdout: str) -> dict[str, str]:
    """signal -> status, from the comparison table."""
    found = {}
    for line in stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["chan"] and len(parts) > 3 and parts[1] in ("goroutines", "heap_inuse_bytes"):
            found[parts[1]] = parts[-1]
    return found


def test_leak_introduced_fails_the_compare_with_a_readable_table(tmp_path, docker_client, go_toolchain):
    fixed = write_scenario(tmp_path / "main" / "chan.goleak.yaml", "fixed")
    leaky = write_scenario(tmp_path / "pr" / "chan.goleak.yaml", "leaky")
    saved = goleak(tmp_path, "run", str(fixed), "--report", "rep-main", "--save", "main")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert (tmp_path / ".goleak" / "baselines" / "main.json").is_file()

    out = goleak(tmp_path, "run", str(leaky), "--report", "rep-pr", "--compare", "main", *RULES)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "scenario  signal" in out.stdout and "baseline/1k [95% CI]" in out.stdout
    assert rows(out.stdout) == {"goroutines": "REGRESSION", "heap_inuse_bytes": "REGRESSION"}
    assert "REGRESSION chan: goroutines regressed against the baseline (goroutines:+0)" in out.stdout
    data = validate(tmp_path / "rep-pr" / "results.json")
    assert data["scenarios"][0]["passed"] is True  # the item passed: the comparison failed the run
    assert data["comparison"]["passed"] is False and len(data["comparison"]["failures"]) == 2
    html = (tmp_path / "rep-pr" / "index.html").read_text()
    assert 'id="comparison"' in html and "REGRESSION" in html
    assert our_containers(docker_client, "chan") == []


def test_clean_build_against_its_own_baseline_passes_every_time(tmp_path, docker_client, go_toolchain):
    fixed = write_scenario(tmp_path / "chan.goleak.yaml", "fixed")
    saved = goleak(tmp_path, "run", str(fixed), "--report", "rep", "--save", "main")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    outcomes = []
    for i in range(CLEAN_RUNS):
        out = goleak(tmp_path, "run", str(fixed), "--report", f"rep{i}", "--compare", "main", *RULES)
        print(f"clean run {i + 1}: exit {out.returncode}", rows(out.stdout))  # the evidence, with -s
        # the figures, not only the statuses, so that a failure says how far over it was
        table = [line for line in out.stdout.splitlines() if line.startswith("chan ")]
        outcomes.append((out.returncode, rows(out.stdout), table))
        validate(tmp_path / f"rep{i}" / "results.json")
    assert [rc for rc, _, _ in outcomes] == [0] * CLEAN_RUNS, outcomes
    assert all("REGRESSION" not in r.values() for _, r, _ in outcomes)


def test_pytest_save_then_compare_fails_the_run(pytester, docker_client, go_toolchain):
    write_scenario(pytester.path / "main" / "chan.goleak.yaml", "fixed")
    write_scenario(pytester.path / "pr" / "chan.goleak.yaml", "leaky")
    saved = pytester.runpytest_subprocess(
        "--goleak", "main", "--goleak-report", "rep-main", "--goleak-save", "main", "-p", "no:cacheprovider"
    )
    saved.assert_outcomes(passed=1)
    assert (pytester.path / ".goleak" / "baselines" / "main.json").is_file()

    pr = pytester.runpytest_subprocess(
        "--goleak",
        "pr",
        "--goleak-report",
        "rep-pr",
        "--goleak-compare",
        "main",
        "--goleak-compare-fail",
        "heap:+20%",
        "--goleak-compare-fail",
        "goroutines:+0",
        "-p",
        "no:cacheprovider",
    )
    pr.assert_outcomes(passed=1)  # the item passes (a known leak); the comparison fails the run
    assert pr.ret == pytest.ExitCode.TESTS_FAILED
    pr.stdout.fnmatch_lines(
        ["*scenario*signal*baseline/1k*current/1k*change*status*", "chan*goroutines*REGRESSION*"]
    )
    data = validate(pytester.path / "rep-pr" / "results.json")
    assert data["comparison"]["passed"] is False

    again = pytester.runpytest_subprocess(
        "--goleak",
        "main",
        "--goleak-report",
        "rep-again",
        "--goleak-compare",
        "main",
        "-p",
        "no:cacheprovider",
    )
    assert again.ret == pytest.ExitCode.OK
    assert validate(pytester.path / "rep-again" / "results.json")["comparison"]["passed"] is True


def test_pytest_bad_compare_rule_is_a_usage_error(pytester):
    write_scenario(pytester.path / "main" / "chan.goleak.yaml", "fixed")
    out = pytester.runpytest_subprocess(
        "--goleak", "main", "--goleak-compare", "x.json", "--goleak-compare-fail", "heap:20%"
    )
    assert out.ret == pytest.ExitCode.USAGE_ERROR
    out.stderr.fnmatch_lines(["*bad compare-fail rule 'heap:20%'*"])
