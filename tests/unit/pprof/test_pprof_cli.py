"""`goleak top`: command structure, errors, and a light import path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pprof_testlib import DATA

from pytest_goleak import cli

HEAP = str(DATA / "global_map_leaky.new.heap.pb.gz")


def test_help_lists_top(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    assert "top" in capsys.readouterr().out


def test_subcommand_is_required() -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


def test_commands_registry_is_extensible() -> None:
    assert "top" in cli._COMMANDS
    sub = cli.build_parser()._subparsers
    assert sub is not None


def test_bad_profile_exits_2_with_message(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["top", str(DATA / "regen.py")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("goleak top: ") and "regen.py" in err


def test_unknown_sample_index(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["top", HEAP, "--sample-index", "cpu"]) == 2
    assert "'cpu' is not in this profile" in capsys.readouterr().err


def test_base_of_another_kind(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(DATA / "global_map_leaky.new.goroutine.pb.gz")
    assert cli.main(["top", HEAP, "--base", base]) == 2
    assert "different sample types" in capsys.readouterr().err


def test_top_imports_nothing_heavy() -> None:
    """goleak top is timed as a whole process against go tool pprof: no docker, jinja2, yaml or
    pytest on its import path."""
    code = (f"import sys; from pytest_goleak import cli; cli.main(['top', {HEAP!r}]);"
            "heavy = [m for m in ('docker', 'jinja2', 'yaml', 'pytest', '_pytest', 'hypothesis')"
            " if m in sys.modules];"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "HEAVY []"
    assert "Showing nodes accounting for" in out


def test_base_and_diff_base_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    base = str(DATA / "global_map_leaky.base.heap.pb.gz")
    with pytest.raises(SystemExit) as exc:
        cli.main(["top", "-base", base, "-diff_base", base, HEAP])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_diff_base_total_is_the_base_total(capsys: pytest.CaptureFixture[str]) -> None:
    """pprof's -diff_base: the same rows as -base, percentages relative to the base profile."""
    base = str(DATA / "global_map_leaky.base.heap.pb.gz")
    assert cli.main(["top", HEAP, "-sample_index=inuse_space", "-diff_base", base]) == 0
    diffed = capsys.readouterr().out
    assert cli.main(["top", HEAP, "-sample_index=inuse_space"]) == 0
    new_only = capsys.readouterr().out
    assert cli.main(["top", base, "-sample_index", "inuse_space"]) == 0
    base_only = capsys.readouterr().out

    def total(text: str) -> str:
        return text.split(" of ", 1)[1].split(" total", 1)[0]

    assert total(diffed) == total(base_only) != total(new_only)
