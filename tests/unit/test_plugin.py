"""The plugin through pytester, with no Docker engine: options, help, bad files, no engine."""

from __future__ import annotations

import pytest


def test_help_shows_the_goleak_group(pytester):
    result = pytester.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([
        "*Go memory and goroutine leak gate (pytest-goleak)*",
        "*--goleak *collect scenario files*",
        "*--goleak-snapshots=N*",
        "*--goleak-budget=NAME=VALUE*",
        "*goleak_budgets (linelist)*",
    ])


def test_a_bad_option_value_is_a_usage_error(pytester):
    result = pytester.runpytest("--goleak", "--goleak-runtime=k8s")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--goleak-runtime: invalid choice: 'k8s'*"])
    result = pytester.runpytest("--goleak", "--goleak-snapshots=2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --goleak-snapshots must be at least 4, got 2*"])


def test_a_malformed_scenario_names_file_and_line(pytester):
    pytester.mkdir("scenarios")
    pytester.mkdir("pkg")
    bad = pytester.path / "scenarios" / "broken.yaml"
    bad.write_text("fixture: ../pkg\nload:\n  path: /x\n  rps: 5\n")
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "-p", "no:cacheprovider",
                                f"--goleak-report={pytester.path / 'report'}", "scenarios")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*{bad}:4: unknown key 'load.rps'*"])
    result.assert_outcomes(errors=1)


def test_an_unreachable_engine_is_one_line(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    pytester.mkdir("scenarios")
    pytester.mkdir("pkg")
    (pytester.path / "scenarios" / "s.yaml").write_text("fixture: ../pkg\nexpect: clean\n")
    result = pytester.runpytest("--goleak", "-p", "no:cacheprovider",
                                f"--goleak-report={pytester.path / 'report'}", "scenarios")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, result.stderr.str()
    assert errors[0].startswith("ERROR: pytest-goleak: no Docker engine: ")
    assert "does not exist (dockerd is not running)" in errors[0] and "--goleak-runtime=local" in errors[0]
    assert "no-engine.sock" in errors[0] and "Traceback" not in result.stdout.str() + result.stderr.str()


def test_two_scenarios_with_one_name_are_refused_naming_both_files(pytester):
    pytester.mkdir("scenarios")
    pytester.mkdir("pkg")
    first, second = pytester.path / "scenarios" / "a.yaml", pytester.path / "scenarios" / "b.yaml"
    for path in (first, second):
        path.write_text("name: same\nfixture: ../pkg\nexpect: clean\n")
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "-p", "no:cacheprovider",
                                f"--goleak-report={pytester.path / 'report'}", "scenarios")
    result.stdout.fnmatch_lines([f"*{second}:1: scenario name 'same' is also the name of {first}*"])


def test_a_partial_run_does_not_replace_the_baseline_and_says_why(pytester):
    pytester.mkdir("scenarios")
    pytester.mkdir("pkg")
    for name in ("one", "two"):
        (pytester.path / "scenarios" / f"{name}.yaml").write_text("fixture: ../pkg\nexpect: clean\n")
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "-p", "no:cacheprovider", "-k", "one",
                                f"--goleak-report={pytester.path / 'report'}", "--goleak-save=base", "scenarios")
    result.stdout.fnmatch_lines(["*baseline NOT saved to base: 1 scenario(s) were deselected*"])
    assert not list(pytester.path.rglob("base.json"))


def test_a_bad_cap_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("GOLEAK_MAX_LOG_BYTES", "lots")
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: GOLEAK_MAX_LOG_BYTES='lots' is not a size*"])
