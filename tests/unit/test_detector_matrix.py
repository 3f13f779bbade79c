"""The detector x corpus matrix from known truth and detector answers."""

from __future__ import annotations

import pytest

from pytest_goleak.detectors.base import DetectorResult, Finding, absent, errored
from pytest_goleak.detectors.matrix import Truth, classify, matrix
from pytest_goleak.report.results import cells_json, cells_of


def flagged(detector: str, function: str | None = None, points: bool = False) -> DetectorResult:
    return DetectorResult(detector, "ran", flagged=True,
                          findings=(Finding("/src/main.go", 3, "m", function=function, points_at_leak=points),))


def silent(detector: str) -> DetectorResult:
    return DetectorResult(detector, "ran")


TRUTH = {
    "body_leaky": Truth("leak", ("main.fetchStatus",)),
    "body_fixed": Truth("clean"),
    "ctx_leaky": Truth("leak", ("main.requestScope",)),
    "ctx_fixed": Truth("clean"),
    "goker_A": Truth("leak", ("main.A.func2", "main.A.func2.1"), corpus="goker"),
    "goker_B": Truth("leak", (), corpus="goker"),
}


def test_cells_count_and_name_their_scenarios():
    answers = [
        ("body_leaky", flagged("bodyclose", "main.fetchStatus")),
        ("body_fixed", silent("bodyclose")),
        ("ctx_leaky", silent("bodyclose")),
        ("ctx_fixed", silent("bodyclose")),
        ("body_leaky", silent("ctx")),
        ("ctx_leaky", flagged("ctx", "main.handleWork")),  # caught, at the wrong place
        ("ctx_fixed", flagged("ctx", "main.handleWork")),  # a false alarm
        ("body_fixed", errored("ctx", "exit 1")),
        ("goker_A", flagged("ctx", "main.A")),  # main.A holds the closure main.A.func2
        ("goker_B", flagged("ctx", "main.B", points=True)),  # no truth culprit: the harness's relation decides
        ("users_own", flagged("ctx")),  # no truth: left out
    ]
    cells = {(c.corpus, c.detector): c for c in matrix(TRUTH, answers)}
    assert sorted(cells) == [("goker", "ctx"), ("shipped", "bodyclose"), ("shipped", "ctx")]
    body = cells[("shipped", "bodyclose")]
    assert [body.count(b) for b in ("tp", "fp", "fn", "tn")] == [1, 0, 1, 2]
    assert (body.recall, body.false_alarm_rate, body.right_place_rate) == (0.5, 0.0, 1.0)
    assert body.scenarios["tp"] == ("body_leaky",) and body.scenarios["tn"] == ("body_fixed", "ctx_fixed")
    ctx = cells[("shipped", "ctx")]
    assert [ctx.count(b) for b in ("tp", "fp", "fn", "tn", "error", "right_place")] == [1, 1, 1, 0, 1, 0]
    assert (ctx.recall, ctx.false_alarm_rate, ctx.right_place_rate) == (0.5, 1.0, 0.0)
    assert ctx.scenarios["error"] == ("body_fixed",)
    goker = cells[("goker", "ctx")]
    assert (goker.count("tp"), goker.count("right_place"), goker.false_alarm_rate) == (2, 2, None)
    as_json = cells_json([goker])["cells"][0]
    assert as_json["tp"] == 2 and as_json["scenarios"]["tp"] == ["goker_A", "goker_B"] and as_json["recall"] == 1.0
    assert cells_of(cells_json(list(cells.values()))) == tuple(cells.values())  # read back as it was


def test_absent_answers_enter_no_rate():
    cells = matrix(TRUTH, [("body_leaky", absent("x", "not installable")), ("body_fixed", absent("x", "n/a"))])
    (cell,) = cells
    assert cell.count("absent") == 2 and cell.recall is None and cell.false_alarm_rate is None
    assert cell.right_place_rate is None


@pytest.mark.parametrize(("result", "truth", "buckets"), [
    (silent("d"), Truth("leak"), ("fn",)),
    (silent("d"), Truth("clean"), ("tn",)),
    (flagged("d"), Truth("clean"), ("fp",)),
    (flagged("d", "main.f"), Truth("leak", ("main.f.func1",)), ("tp", "right_place")),
    (flagged("d", "main.g"), Truth("leak", ("main.f",)), ("tp",)),
    (errored("d", "x"), Truth("leak"), ("error",)),
])
def test_classify(result, truth, buckets):
    assert classify(result, truth) == buckets


def test_hook_detectors_and_a_hanging_command_compose_into_cells(pytester):
    """A user's detector from the hook fills its cells with the right counts; a command that hangs
    is an errored cell with its reason, and does not stop the other cells from filling."""
    pytester.makeconftest('''
from pytest_goleak.detectors import DetectorResult, Finding

class NamesLeaky:
    name = "names-leaky"

    def detect(self, target):
        hit = target.scenario.endswith("_leaky")
        findings = (Finding("/src/main.go", 3, "looks leaky", function="main.work"),) if hit else ()
        return DetectorResult(self.name, "ran", flagged=hit, findings=findings)

def pytest_goleak_detectors(config):
    return [NamesLeaky()]
''')
    pytester.makepyfile('''
import stat
from pytest_goleak.detectors import Target, run_all
from pytest_goleak.detectors.command import CommandDetector
from pytest_goleak.detectors.matrix import Truth, matrix
from pytest_goleak.detectors.spec import CommandSpec

def test_cells(pytestconfig, tmp_path):
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\\nsleep 60\\n")
    hang.chmod(0o755)
    hanging = CommandDetector(CommandSpec("hang", "example.com/t/hang", "v1.0.0"), tmp_path, timeout=0.5,
                              executable=hang)
    hooked = [d for ds in pytestconfig.hook.pytest_goleak_detectors(config=pytestconfig) for d in ds]
    truth = {"a_leaky": Truth("leak", ("main.work",)), "b_leaky": Truth("leak", ("main.other",)),
             "a_fixed": Truth("clean")}
    answers = [(name, r) for name in truth for r in run_all([*hooked, hanging], Target(name, tmp_path))]
    cells = {c.detector: c for c in matrix(truth, answers)}
    mine = cells["names-leaky"]
    assert [mine.count(b) for b in ("tp", "fp", "fn", "tn", "right_place")] == [2, 0, 0, 1, 1]
    assert mine.scenarios["right_place"] == ("a_leaky",)
    assert cells["hang"].count("error") == 3 and cells["hang"].recall is None
    assert all("timed out" in r.reason for n, r in answers if r.detector == "hang")
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
