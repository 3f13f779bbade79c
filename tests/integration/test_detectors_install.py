"""Static detectors installed for real from the Go module proxy and run on the shipped twins."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.detectors import CommandDetector, Target, run_detector
from pytest_goleak.detectors.spec import BUILTIN
from pytest_goleak.detectors.vet import relate, run_vet
from pytest_goleak.judge import culprit
from tests.conftest import REPO

pytestmark = pytest.mark.integration
FIXTURES = REPO / "go_fixtures"
SPECS = {s.name: s for s in BUILTIN}


def http_body_culprit(variant: str) -> list[dict[str, object]]:
    main = str(FIXTURES / "http_body" / variant / "main.go")
    return [{"function": "main.fetchStatus", "file": main, "line": 24,
             "stack": [{"function": "main.fetchStatus", "file": main, "line": 24},
                       {"function": "main.handleWork", "file": main, "line": 32}]}]


@pytest.fixture(scope="module")
def cache_dir(go_toolchain) -> Path:
    import os

    return Path(os.environ.get("GOLEAK_CACHE_DIR", str(Path.home() / ".cache" / "pytest-goleak")))


def test_bodyclose_flags_the_leaky_http_body_twin_at_the_culprit_and_not_the_fixed_one(cache_dir):
    det = CommandDetector(SPECS["bodyclose"], cache_dir)
    leaky = run_detector(det, Target("http_body_leaky", FIXTURES / "http_body" / "leaky", http_body_culprit("leaky")))
    assert (leaky.status, leaky.flagged) == ("ran", True), leaky.reason
    assert leaky.where is not None
    assert (Path(leaky.where.file).name, leaky.where.line, leaky.where.function) == ("main.go", 24, "main.fetchStatus")
    assert "response body must be closed" in leaky.where.message and leaky.where.points_at_leak
    fixed = run_detector(det, Target("http_body_fixed", FIXTURES / "http_body" / "fixed"))
    assert (fixed.status, fixed.flagged, fixed.findings) == ("ran", False, ())
    assert (cache_dir / "detectors").is_dir() and det.install() == det.install()  # installed once, reused


def test_vet_misses_the_http_body_leak(go_toolchain):
    main = str(FIXTURES / "http_body" / "leaky" / "main.go")
    stack = (culprit.Frame("main.fetchStatus", main, 24), culprit.Frame("main.handleWork", main, 32))
    top = culprit.Culprit("heap", "main.fetchStatus", main, 24, None, 1.0, 1.0, None, stack)
    findings = run_vet(FIXTURES / "http_body" / "leaky")
    assert not any(f.error for f in findings), findings
    assert not any(f.points_at_leak for f in relate(findings, [top])), findings


def test_sqlclosecheck_is_silent_on_the_pool_leak(cache_dir):
    result = run_detector(CommandDetector(SPECS["sqlclosecheck"], cache_dir),
                          Target("sql_pool_leaky", FIXTURES / "sql_pool" / "leaky"))
    assert (result.status, result.flagged) == ("ran", False), result.reason


def test_a_module_that_is_not_a_command_is_absent_with_the_reason(cache_dir):
    from pytest_goleak.detectors.spec import parse_declaration

    spec = parse_declaration("contextlib = github.com/kkHAIKE/contextcheck@v1.1.6")  # the library, not cmd/
    result = run_detector(CommandDetector(spec, cache_dir), Target("x", FIXTURES / "http_body" / "leaky"))
    assert result.status == "absent" and "is not a main package" in (result.reason or "")
