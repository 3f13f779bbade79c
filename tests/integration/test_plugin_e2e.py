"""Black-box: drive `pytest --goleak` through pytester against a real Docker engine and Go."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration
FIXTURES = REPO / "go_fixtures"


def scenario_text(variant: str, expect: str, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        fixture: {FIXTURES / 'goroutine_chan' / variant}
        expect: {expect}
        load: {{path: /work, requests: 1500, warmup_requests: 200, concurrency: 8}}
        snapshots: 5
        budgets: {{goroutines_per_1k_requests: 5}}
        """) + extra


def test_help_lists_the_option_group(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*Go memory and goroutine leak gate (pytest-goleak)*", "*--goleak *",
                                 "*--goleak-report=DIR*"])


def test_plain_pytest_does_not_collect_scenarios(pytester):
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "x.yaml").write_text(scenario_text("leaky", "leak"))
    result = pytester.runpytest_subprocess("scenarios")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_leaky_and_fixed_twins_end_to_end(pytester, docker_client, go_toolchain):
    pytester.mkdir("scenarios")
    leaky = scenario_text("leaky", "leak", "culprit: main.lookup\n")
    (pytester.path / "scenarios" / "chan_leaky.yaml").write_text(leaky)
    (pytester.path / "scenarios" / "chan_fixed.yaml").write_text(scenario_text("fixed", "clean"))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider",
                                           "--junitxml", "junit.xml")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*goleak*", "scenario*expect*verdict*result*",
                                 "chan_leaky*leak*leak*pass*main.lookup*"])
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    by_name = {s["name"]: s for s in data["scenarios"]}
    leaky, fixed = by_name["chan_leaky"], by_name["chan_fixed"]
    assert (leaky["verdict"], leaky["passed"], fixed["verdict"], fixed["passed"]) == ("leak", True, "clean", True)
    assert leaky["budgets"]["goroutines_per_1k_requests"]["measured"] > 500  # one per request (the loser)
    top = leaky["culprits"][0]
    assert top["function"] == "main.lookup" and top["file"].endswith("goroutine_chan/leaky/main.go")
    assert top["state"].startswith("chan send")  # "(leaked)" where the goroutineleak experiment is on
    heap = leaky["snapshots"][-1]["profiles"]["heap"]
    assert (pytester.path / "rep" / heap).read_bytes()[:2] == b"\x1f\x8b"
    assert (pytester.path / "rep" / "index.html").is_file()
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="goleak.verdict" value="leak"' in junit
    assert our_containers(docker_client, "chan_leaky", "chan_fixed") == []


def test_bad_scenario_errors_alone_and_report_is_written(pytester, docker_client, go_toolchain):
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "bad.yaml").write_text(scenario_text("fixed", "clean") + "surprise: 1\n")
    (pytester.path / "scenarios" / "good.yaml").write_text(scenario_text("fixed", "clean"))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*scenarios/bad.yaml:6: unknown key 'surprise'*"])
    result.stdout.no_fnmatch_line("*Traceback*")
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    assert {s["name"]: s["verdict"] for s in data["scenarios"]} == {"bad": "error", "good": "clean"}


def test_build_failure_shows_compiler_output(pytester, docker_client, go_toolchain):
    pkg = pytester.mkdir("broken")
    (pkg / "go.mod").write_text("module broken\n\ngo 1.22\n")
    (pkg / "main.go").write_text("package main\n\nfunc main() {\n\tundefinedThing()\n}\n")
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "broken.yaml").write_text("fixture: ../broken\nexpect: clean\n")
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BuildError*", "*main.go:4:2: undefined: undefinedThing*"])


def test_docker_unreachable_is_one_clear_error(pytester, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/goleak.sock")
    pytester.mkdir("scenarios")
    for name in ("a", "b"):
        (pytester.path / "scenarios" / f"{name}.yaml").write_text(scenario_text("fixed", "clean"))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    out = result.stdout.str() + result.stderr.str()
    assert out.count("no Docker engine: /nonexistent/goleak.sock does not exist (dockerd is not running)") == 1
    assert "Traceback" not in out
    assert json.loads((pytester.path / "rep" / "results.json").read_text())["error"].startswith("no Docker engine")


def test_python_api_with_budgets_written_in_python(pytester, docker_client, go_toolchain):
    pytester.makepyfile(test_api=f"""
        def test_twins(goleak):
            leaky = goleak.run({str(FIXTURES.parent / 'scenarios' / 'goroutine_chan_leaky.yaml')!r},
                               requests=1200, snapshots=4, budgets={{"goroutines_per_1k_requests": 2}})
            assert leaky.verdict == "leak" and leaky.culprit == "main.lookup"
            assert leaky.growth("goroutines") > 500
            # A budget loose enough for a leak of one goroutine per request turns the verdict.
            lenient = goleak.run({str(FIXTURES.parent / 'scenarios' / 'goroutine_chan_leaky.yaml')!r},
                                 requests=1200, snapshots=4,
                                 budgets={{"goroutines_per_1k_requests": 5000,
                                          "heap_inuse_bytes_per_1k_requests": "64MiB",
                                          "heap_objects_per_1k_requests": 1e6}})
            assert lenient.verdict == "clean", lenient.message
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--goleak-report", "rep")
    result.assert_outcomes(passed=1)
    assert our_containers(docker_client, "goroutine_chan_leaky") == []


def test_scenario_whose_service_cannot_be_provided_is_skipped_with_its_reason(pytester, docker_client, go_toolchain,
                                                                               monkeypatch):
    monkeypatch.setenv("GOLEAK_SERVICE_PROVIDERS", "env")
    monkeypatch.delenv("GOLEAK_REDIS_URL", raising=False)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "needs_redis.yaml").write_text(
        f"fixture: {FIXTURES / 'redis_client' / 'fixed'}\nexpect: clean\nservices: [redis]\nload: {{path: /work}}\n")
    (pytester.path / "scenarios" / "plain.yaml").write_text(scenario_text("fixed", "clean"))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", "--goleak-report", "rep", "-p", "no:cacheprovider",
                                           "-rs")
    result.assert_outcomes(passed=1, skipped=1)  # skipped: neither failed nor silently passed
    result.stdout.fnmatch_lines(["*SKIPPED*needs redis*GOLEAK_REDIS_URL*"])
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    verdicts = {s["name"]: s["verdict"] for s in data["scenarios"]}
    assert verdicts == {"needs_redis": "skipped", "plain": "clean"}
    assert our_containers(docker_client, "needs_redis", "plain") == []
