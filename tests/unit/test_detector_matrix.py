"""The detector x corpus matrix from known truth and detector answers."""

from __future__ import annotations

import pytest

from pytest_goleak.detectors.base import DetectorResult, Finding, absent, errored
from pytest_goleak.detectors.matrix import Truth, classify, matrix


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
    as_json = goker.to_json()
    assert as_json["tp"] == 2 and as_json["scenarios"]["tp"] == ["goker_A", "goker_B"] and as_json["recall"] == 1.0


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
