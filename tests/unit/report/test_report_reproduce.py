"""The pprof commands in the report: both spellings, paths from where pytest was started."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytest_goleak.judge.reproduce import pprof_commands

DATA = Path(__file__).resolve().parents[2] / "data" / "profiles"


def test_both_commands_with_paths_relative_to_the_invocation_dir(tmp_path: Path) -> None:
    got = pprof_commands(tmp_path / "goleak-report", "chan/heap-0.pb.gz", "chan/heap-5.pb.gz", cwd=tmp_path)
    assert got == {
        "pprof_command": "go tool pprof -top -sample_index=inuse_space "
                         "-base goleak-report/chan/heap-0.pb.gz goleak-report/chan/heap-5.pb.gz",
        "pprof_diff_base_command": "go tool pprof -top -sample_index=inuse_space "
                                   "-diff_base goleak-report/chan/heap-0.pb.gz goleak-report/chan/heap-5.pb.gz",
    }


def test_a_report_elsewhere_is_named_absolutely_and_quoted(tmp_path: Path) -> None:
    report = tmp_path / "my report"
    got = pprof_commands(report, "c/heap-0.pb.gz", "c/heap-5.pb.gz", cwd=tmp_path / "elsewhere")
    assert f"-base '{report}/c/heap-0.pb.gz' '{report}/c/heap-5.pb.gz'" in str(got["pprof_command"])


def test_no_profiles_no_commands(tmp_path: Path) -> None:
    assert pprof_commands(tmp_path, None, "x") == {"pprof_command": None, "pprof_diff_base_command": None}


def test_the_commands_run_from_the_invocation_dir(tmp_path: Path) -> None:
    """Pasted where the run was typed, each command opens the profiles (through `goleak top`,
    which takes pprof's spelling; the live pprof tests prove its output is go tool pprof's)."""
    report = tmp_path / "goleak-report" / "chan"
    report.mkdir(parents=True)
    for name, src in (("heap-0.pb.gz", "global_map_leaky.base.heap.pb.gz"),
                      ("heap-5.pb.gz", "global_map_leaky.new.heap.pb.gz")):
        (report / name).write_bytes((DATA / src).read_bytes())
    cmds = pprof_commands(tmp_path / "goleak-report", "chan/heap-0.pb.gz", "chan/heap-5.pb.gz", cwd=tmp_path)
    for cmd in cmds.values():
        assert cmd is not None
        argv = [sys.executable, "-m", "pytest_goleak.cli", "top", *cmd.split()[3:]]  # after "go tool pprof"
        out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True).stdout
        assert "Showing nodes accounting for" in out and "main.remember" in out
