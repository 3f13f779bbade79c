"""Collection rules (pytest_goleak/scenario/collect.py), black-box through pytester with --collect-only.

The local runtime needs no engine, so these run anywhere; nothing is built or started.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.scenario import collect

SCENARIO = "fixture: .\nexpect: clean\n"
K6 = "scenarios:\n  default:\n    executor: constant-vus\n    vus: 10\n"
COMPOSE = "services:\n  web:\n    image: nginx\n"  # `image` is under services, not top-level


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def collected(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, list[str]]:
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "--collect-only", "-q",
                                "-p", "no:cacheprovider", *args)
    items = [line.split("::")[0] for line in result.outlines if "::" in line]
    return result, sorted(items)


def test_goleak_yaml_anywhere_and_scenario_files_under_scenarios(pytester):
    write(pytester.path, "deep/down/svc.goleak.yaml", SCENARIO)
    write(pytester.path, "deep/down/svc.goleak.yml", SCENARIO)
    write(pytester.path, "scenarios/mine.yaml", SCENARIO)
    write(pytester.path, "scenarios/nested/other.yml", "image: my/app:1\n")
    write(pytester.path, "elsewhere/plain.yaml", SCENARIO)  # neither suffix nor scenarios/
    _, items = collected(pytester)
    assert items == ["deep/down/svc.goleak.yaml", "deep/down/svc.goleak.yml", "scenarios/mine.yaml",
                     "scenarios/nested/other.yml"]


def test_k6_and_compose_files_under_scenarios_are_skipped_and_say_why_under_v(pytester):
    write(pytester.path, "scenarios/load.yaml", K6)
    write(pytester.path, "scenarios/docker-compose.yml", COMPOSE)
    write(pytester.path, "scenarios/list.yaml", "- a\n- b\n")
    write(pytester.path, "scenarios/real.yaml", "dockerfile: Dockerfile\n")
    result, items = collected(pytester)
    assert items == ["scenarios/real.yaml"]
    assert "not collected" not in result.stdout.str()  # quiet without -v
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "--collect-only", "-v",
                                "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines_random([
        "goleak: not collected: scenarios/load.yaml: no top-level 'fixture', 'dockerfile' or 'image' key*",
        "goleak: not collected: scenarios/docker-compose.yml: no top-level 'fixture'*",
        "goleak: not collected: scenarios/list.yaml: not a YAML mapping*",
    ])


def test_a_file_that_does_not_parse_under_scenarios_is_collected_to_report_its_line(pytester):
    write(pytester.path, "scenarios/broken.yaml", "fixture: [unclosed\n")
    _, items = collected(pytester)
    assert items == ["scenarios/broken.yaml"]


def test_a_yaml_file_named_on_the_command_line_is_collected_whatever_its_name(pytester):
    write(pytester.path, "path/to/mine.yaml", "expect: leak\n")  # not a scenario: its item says what is wrong
    result, items = collected(pytester, "path/to/mine.yaml")
    assert items == ["path/to/mine.yaml"] and "not found" not in result.stdout.str() + result.stderr.str()
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "-p", "no:cacheprovider", "path/to/mine.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mine.yaml:1: a scenario needs exactly one of 'fixture'*"])


def test_ini_globs_change_the_rules(pytester):
    pytester.makeini("[pytest]\ngoleak_scenario_globs =\n    perf/*.yaml\n    *.leak.yml\n")
    write(pytester.path, "perf/a.yaml", SCENARIO)
    write(pytester.path, "perf/k6.yaml", K6)  # matched by a glob, but still must look like a scenario
    write(pytester.path, "x/b.leak.yml", SCENARIO)
    write(pytester.path, "scenarios/c.yaml", SCENARIO)  # no longer a default
    write(pytester.path, "d.goleak.yaml", SCENARIO)  # nor this
    result, items = collected(pytester)
    assert items == ["perf/a.yaml", "x/b.leak.yml"]
    result = pytester.runpytest("--goleak", "--goleak-runtime=local", "--collect-only", "-v", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines_random(["goleak: not collected: scenarios/c.yaml: matches none of "
                                        "goleak_scenario_globs (perf/*.yaml, *.leak.yml)"])


def test_plain_pytest_collects_no_yaml(pytester):
    write(pytester.path, "svc.goleak.yaml", SCENARIO)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_classify_units(tmp_path):
    assert collect.classify(tmp_path / "main.go") is None
    named = write(tmp_path, "anything.yml", K6)
    assert collect.classify(named, named=True) == collect.Decision(True, "named on the command line")
    assert collect.matches(Path("a/scenarios/x.yaml"), collect.DEFAULT_GLOBS) == "scenarios/*.yaml"
    assert collect.matches(Path("a/scenariosx/x.yaml"), collect.DEFAULT_GLOBS) is None
    assert collect.globs_from_ini([]) == collect.DEFAULT_GLOBS
    assert collect.globs_from_ini(["a/*.yaml b/*.yaml", "c.yml"]) == ("a/*.yaml", "b/*.yaml", "c.yml")
