"""The detector x corpus matrix: a pure function from known truth and detector answers to cells.

For each (detector, corpus) cell: true and false positives and negatives over the scenarios
that have an expectation, recall ``tp / (tp + fn)``, false-alarm rate ``fp / (fp + tn)``, and how
often a detector that caught a leak named the right place. Scenarios where the detector was
absent or errored are counted apart and enter no rate. Each count keeps the scenario names
behind it, so a report can link a cell to its scenarios.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .base import DetectorResult

Expect = Literal["leak", "clean"]
BUCKETS = ("tp", "fp", "fn", "tn", "absent", "error", "right_place")


@dataclass(frozen=True)
class Truth:
    expect: Expect
    culprits: tuple[str, ...] = ()  # functions any one of which is the right place (empty: unknown)
    corpus: str = "shipped"


@dataclass(frozen=True)
class Cell:
    detector: str
    corpus: str
    scenarios: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # bucket -> scenario names

    def count(self, bucket: str) -> int:
        return len(self.scenarios.get(bucket, ()))

    @property
    def recall(self) -> float | None:
        caught, leaks = self.count("tp"), self.count("tp") + self.count("fn")
        return caught / leaks if leaks else None

    @property
    def false_alarm_rate(self) -> float | None:
        cleans = self.count("fp") + self.count("tn")
        return self.count("fp") / cleans if cleans else None

    @property
    def right_place_rate(self) -> float | None:
        """Of the leaks it caught, the share where it named the right place."""
        return self.count("right_place") / self.count("tp") if self.count("tp") else None


def _within(function: str, expected: str) -> bool:
    """A finding in ``main.handler`` names ``main.handler`` and its closures, and vice versa."""
    return function == expected or expected.startswith(f"{function}.func") or function.startswith(f"{expected}.func")


def named_right_place(result: DetectorResult, truth: Truth) -> bool:
    """The detector pointed at one of the truth's culprit functions (or, without one, at the harness's)."""
    if not truth.culprits:
        return result.named_leak
    places = [f.function for f in result.findings if f.function]
    if result.where is not None and result.where.function:
        places.append(result.where.function)
    return any(_within(p, c) for p in places for c in truth.culprits)


def classify(result: DetectorResult, truth: Truth) -> tuple[str, ...]:
    """The buckets one answer falls in: absent/error, or one of tp/fp/fn/tn (plus right_place)."""
    if result.status != "ran":
        return (result.status,)
    if truth.expect == "leak":
        if not result.flagged:
            return ("fn",)
        return ("tp", "right_place") if named_right_place(result, truth) else ("tp",)
    return ("fp",) if result.flagged else ("tn",)


def matrix(truth: Mapping[str, Truth], answers: Iterable[tuple[str, DetectorResult]]) -> list[Cell]:
    """Cells for every (detector, corpus) pair that has an answer on a scenario with known truth.

    ``answers`` are ``(scenario name, result)`` pairs; a scenario without an entry in ``truth``
    (a user's own service) is left out. Cells come sorted by corpus, then detector.
    """
    buckets: dict[tuple[str, str], dict[str, list[str]]] = {}
    for scenario, result in answers:
        t = truth.get(scenario)
        if t is None:
            continue
        cell = buckets.setdefault((t.corpus, result.detector), {})
        for bucket in classify(result, t):
            cell.setdefault(bucket, []).append(scenario)
    return [Cell(detector, corpus, {b: tuple(sorted(names)) for b, names in cell.items()})
            for (corpus, detector), cell in sorted(buckets.items())]
