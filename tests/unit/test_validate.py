"""One validator, every entry point: scenario files, pytest options and ini keys, `goleak run`
and the Python API enforce the same rules, each with its own kind of error."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak import validate
from pytest_goleak.api import Goleak
from pytest_goleak.cli import main
from pytest_goleak.scenario.parse import ScenarioError, load_scenario

# --- the validator itself ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 3, "3", "-4"])
def test_fewer_than_four_snapshots_are_refused(value):
    with pytest.raises(validate.InvalidSetting, match="at least 4"):
        validate.snapshot_count(value)


@pytest.mark.parametrize(("name", "value", "error"), [
    ("max_goroutines", -1, ValueError),
    ("max_goroutines", True, TypeError),
    ("max_goroutines", float("nan"), ValueError),
    ("max_goroutines", "lots", ValueError),
    ("max_rss", "-1MiB", ValueError),
    ("max_rss", False, TypeError),
    ("max_rss", -5, ValueError),
    ("max_rss", [1], TypeError),
])
def test_bad_budget_values(name, value, error):
    with pytest.raises(error):
        validate.budget(name, value)


def test_budget_values_and_units():
    assert validate.budget("max_rss", "64KiB") == ("max_rss", 65536.0)
    assert validate.budget("goroutines_per_1k_requests", "2.5") == ("goroutines_per_1k_requests", 2.5)
    assert validate.budget("goroutines_per_1k_requests", 0) == ("goroutines_per_1k_requests", 0.0)


def test_unknown_budget_says_did_you_mean():
    with pytest.raises(validate.InvalidSetting, match="did you mean max_goroutines"):
        validate.budget_name("max_gorutines")
    with pytest.raises(validate.InvalidSetting) as err:
        validate.budget_name("zzz")
    assert "did you mean" not in str(err.value) and "known budgets" in str(err.value)


# --- scenario files: file:line ScenarioError --------------------------------------------------


def _scenario(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    path = tmp_path / "s.yaml"
    path.write_text("fixture: pkg\n" + text)
    return path


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("snapshots: 1\n", 2, "at least 4"),
    ("snapshots: true\n", 2, "whole number"),
    ("budgets:\n  max_gorutines: 5\n", 3, "did you mean max_goroutines"),
    ("budgets:\n  max_goroutines: -5\n", 3, "non-negative"),
    ("budgets:\n  max_goroutines: true\n", 3, "non-negative"),
    ("budgets:\n  max_rss: -1MiB\n", 3, "'budgets.max_rss'"),
    ("limits:\n  memory: -64MiB\n", 3, "'limits.memory'"),
    ("load:\n  requests: 0\n", 3, "'load.requests' must be at least 1"),
])
def test_scenario_errors_name_file_and_line(tmp_path, text, line, fragment):
    path = _scenario(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{line}: "), str(err.value)
    assert fragment in str(err.value)


# --- pytest options and ini keys: pytest.UsageError ------------------------------------------


@pytest.mark.parametrize(("args", "ini", "fragment"), [
    (["--goleak-snapshots", "3"], "", "--goleak-snapshots must be at least 4"),
    (["--goleak-snapshots", "1"], "", "--goleak-snapshots must be at least 4"),
    (["--goleak-snapshots", "six"], "", "--goleak-snapshots must be a whole number"),
    (["--goleak-requests", "0"], "", "--goleak-requests must be at least 1"),
    (["--goleak-budget", "max_goroutines=-1"], "", "non-negative"),
    (["--goleak-budget", "max_gorutines=5"], "", "did you mean max_goroutines"),
    (["--goleak-budget", "max_rss=-1MiB"], "", "--goleak-budget max_rss"),
    ([], "goleak_budgets = max_goroutines = -3", "ini goleak_budgets"),
    ([], "goleak_memprofilerate = 0", "ini goleak_memprofilerate must be at least 1"),
])
def test_bad_options_are_usage_errors(pytester, args, ini, fragment):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest("--goleak", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{fragment}*"])
    assert "Traceback" not in result.stderr.str()


# --- goleak run: one clear line, exit 2, before anything is built -----------------------------


@pytest.mark.parametrize(("args", "fragment"), [
    (["--snapshots", "3"], "--snapshots must be at least 4"),
    (["--snapshots", "1"], "--snapshots must be at least 4"),
    (["--requests", "-5"], "--requests must be at least 1"),
    (["--budget", "heap_objects_per_1k_requests=-1"], "non-negative"),
    (["--budget", "heap_object_per_1k_requests=1"], "did you mean heap_objects_per_1k_requests"),
])
def test_goleak_run_bad_arguments(tmp_path, capsys, args, fragment):
    path = _scenario(tmp_path, "")
    assert main(["run", str(path), "--report", str(tmp_path / "r"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("goleak run: ") and fragment in err and err.count("\n") == 1


# --- the Python API: ValueError / TypeError before anything runs ------------------------------


class _NoSession:
    is_worker = True

    def run(self, scenario: object) -> dict[str, object]:
        raise AssertionError("a bad argument must be refused before the scenario runs")


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"snapshots": 3}, ValueError, "snapshots= must be at least 4"),
    ({"snapshots": True}, TypeError, "whole number"),
    ({"requests": 0}, ValueError, "requests= must be at least 1"),
    ({"budgets": {"max_goroutines": -1}}, ValueError, "non-negative"),
    ({"budgets": {"max_goroutines": True}}, TypeError, "non-negative"),
    ({"budgets": {"max_rss": "-1MiB"}}, ValueError, "max_rss"),
    ({"budgets": {"max_goroutine": 1}}, ValueError, "did you mean max_goroutines"),
])
def test_python_api_bad_arguments(tmp_path, kwargs, error, fragment):
    goleak = Goleak(_NoSession())  # type: ignore[arg-type]
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        goleak.run(_scenario(tmp_path, ""), **kwargs)
