"""Live stage lines under ``-v`` on a terminal, silence under ``-q`` and in CI logs, and a run
without the terminal plugin: a real ``pytest --goleak`` subprocess (local runtime, real Go)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import copy_scenario, pytest_cmd, strays

pytestmark = pytest.mark.integration
SMALL = {"requests: 1500": "requests: 600", "snapshots: 6": "snapshots: 4"}
# Makes pytest believe its output is a terminal, as when a developer runs it by hand.
TTY_CONFTEST = """\
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    tr = config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.isatty = lambda: True
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, go_toolchain: str) -> dict[str, object]:
    root = tmp_path_factory.mktemp("progress")
    copy_scenario(REPO / "scenarios" / "goroutine_chan_fixed.yaml", root / "scenarios", **SMALL)
    env = {**os.environ, "GOLEAK_CACHE_DIR": str(root / "cache")}
    return {"root": root, "env": env}


def run(project: dict[str, object], *args: str, tty: bool = False) -> subprocess.CompletedProcess[str]:
    root = project["root"]
    assert isinstance(root, os.PathLike)
    conftest = root / "conftest.py"  # type: ignore[operator]
    conftest.write_text(TTY_CONFTEST if tty else "")
    env = project["env"]
    assert isinstance(env, dict)
    return subprocess.run(pytest_cmd("scenarios", "--goleak-runtime=local", "--goleak-report", "rep", *args),
                          cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_verbose_terminal_shows_each_stage_as_it_happens(project: dict[str, object]) -> None:
    done = run(project, "-v", tty=True)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    stages = [line for line in out.splitlines() if line.startswith("    goleak: ")]
    assert re.fullmatch(r"    goleak: build (cached|compiled) \(\d+\.\d+s\)", stages[0]), stages
    snaps = [s for s in stages if " snapshot " in s or s.startswith("    goleak: snapshot")]
    # At the near-floor heap budget a clean service's noise may send it on to the extension: its
    # snapshots are shown too, one line each, as many as results.json records.
    root = project["root"]
    assert isinstance(root, Path)
    taken = len(json.loads((root / "rep" / "results.json").read_text())["scenarios"][0]["snapshots"])
    assert taken >= 4
    assert [re.sub(r" at \d+ requests", "", s) for s in snaps] == [
        f"    goleak: snapshot {k}/4" for k in range(1, 5)] + [
        f"    goleak: extension snapshot {k}" for k in range(5, taken + 1)]
    assert re.fullmatch(r"    goleak: verdict clean \(pass, \d+\.\d+s\)", stages[-1]), stages
    # the header, before any item
    header = next(line for line in out.splitlines() if line.startswith("goleak: "))
    assert re.fullmatch(r"goleak: go\S+, runtime local, engine local, memprofilerate 4096, report \S+rep", header)
    # pytest re-prints the item's name before its outcome
    assert re.search(r"goroutine_chan_fixed PASSED", out)


def test_pprof_commands_run_where_pytest_was_started(project: dict[str, object], go_toolchain: str) -> None:
    root = project["root"]
    assert isinstance(root, Path)
    done = run(project, "-q")
    assert done.returncode == 0, done.stdout[-3000:]
    scenario = json.loads((root / "rep" / "results.json").read_text())["scenarios"][0]
    for key, flag in (("pprof_command", " -base rep/"), ("pprof_diff_base_command", " -diff_base rep/")):
        command = scenario[key]
        assert flag in command, command
        argv = shlex.split(command)
        assert argv[:3] == ["go", "tool", "pprof"]
        env = {**os.environ, "PPROF_BINARY_PATH": "/nonexistent", "PPROF_TMPDIR": str(root)}
        pprof = subprocess.run([go_toolchain, *argv[1:]], cwd=root, env=env, capture_output=True, text=True,
                               timeout=120, check=False)
        assert pprof.returncode == 0 and "Showing nodes accounting for" in pprof.stdout, pprof.stderr


def test_quiet_and_non_tty_runs_stay_quiet(project: dict[str, object]) -> None:
    for args, tty in ((("-q",), True), (("-v",), False)):
        done = run(project, *args, tty=tty)
        assert done.returncode == 0, done.stdout[-3000:]
        assert "goleak: snapshot" not in done.stdout and "goleak: build" not in done.stdout, args


def test_without_the_terminal_plugin(project: dict[str, object]) -> None:
    done = run(project, "-p", "no:terminal", tty=True)  # -v is the terminal plugin's own option
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "goleak: snapshot" not in done.stdout
    assert (project["root"] / "rep" / "results.json").is_file()  # type: ignore[operator]
    assert strays(project["root"] / "cache") == []  # type: ignore[operator]
