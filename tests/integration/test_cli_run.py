"""`goleak run SCENARIO`: one scenario outside pytest, same results.json, report and exit codes."""

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


def goleak(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_goleak.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def scenario(path: Path, variant: str, name: str = "chan", extra: str = "") -> Path:
    path.write_text(
        textwrap.dedent(f"""\
        name: {name}
        fixture: {FIXTURES / "goroutine_chan" / variant}
        load: {{path: /work, requests: 1000, warmup_requests: 200, concurrency: 8}}
        snapshots: 5
        """)
        + extra
    )
    return path


def test_run_help_lists_the_options():
    out = goleak(REPO, "run", "--help")
    assert out.returncode == 0
    for option in (
        "--report DIR",
        "--runtime",
        "--save NAME|PATH",
        "--compare FILE|NAME",
        "--compare-fail EXPR",
    ):
        assert option in out.stdout


def test_clean_service_passes_with_the_same_reports(tmp_path, docker_client, go_toolchain):
    out = goleak(tmp_path, "run", str(scenario(tmp_path / "chan.yaml", "fixed")), "--report", "rep")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[0].split()[:4] == ["scenario", "expect", "verdict", "result"]
    assert out.stdout.splitlines()[1].split()[:4] == ["chan", "-", "clean", "pass"]
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert data["schema_version"] == 1 and [s["name"] for s in data["scenarios"]] == ["chan"]
    assert (tmp_path / "rep" / "index.html").is_file() and (
        tmp_path / "rep" / "chan" / "index.html"
    ).is_file()
    assert our_containers(docker_client, "chan") == []


def test_leak_in_a_users_service_exits_1(tmp_path, docker_client, go_toolchain):
    out = goleak(tmp_path, "run", str(scenario(tmp_path / "chan.yaml", "leaky")), "--report", "rep")
    assert out.returncode == 1, out.stdout + out.stderr
    # the verdict column may say how far the extension ran: "leak (to 8.2k)"
    row = out.stdout.splitlines()[1]
    assert row.split()[:3] == ["chan", "-", "leak"] and " FAIL " in row, row
    assert "main.lookup" in out.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["missing.yaml"], "cannot read scenario"),
        (["bad.yaml"], "bad.yaml:5: unknown key 'surprise'"),
        (["good.yaml", "--compare-fail", "heap:20"], "bad compare-fail rule 'heap:20'"),
        (
            ["good.yaml", "--compare", "nothing-saved"],
            "does not exist (saved with --goleak-save nothing-saved)",
        ),
        (["good.yaml", "--budget", "nonsense=1"], "--budget nonsense: unknown budget 'nonsense'"),
        (["good.yaml", "--snapshots", "3"], "--snapshots must be at least 4"),
    ],
)
def test_bad_input_exits_2_and_says_why(tmp_path, args, says):
    scenario(tmp_path / "good.yaml", "fixed")
    scenario(tmp_path / "bad.yaml", "fixed", extra="surprise: 1\n")
    out = goleak(tmp_path, "run", *args)
    assert out.returncode == 2, out.stdout + out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr


def test_top_stays_light():
    """`goleak run` imports the harness lazily: the `top` path still imports no docker or jinja2."""
    code = (
        "import sys; from pytest_goleak import cli; cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'jinja2', 'yaml', 'pytest')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
