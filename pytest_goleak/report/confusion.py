"""The validation matrix: per signal, how its flags stand against the scenarios' known truth."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..record import ScenarioResult


@dataclass(frozen=True)
class Confusion:
    """True and false positives and negatives; known leaks are the positives."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    caught: tuple[str, ...] = ()  # the scenarios behind tp
    false_alarms: tuple[str, ...] = ()  # the scenarios behind fp

    @property
    def total(self) -> int:
        return self.tp + self.fn + self.fp + self.tn

    @property
    def correct(self) -> int:
        return self.tp + self.tn


@dataclass(frozen=True)
class Validation:
    overall: Confusion | None = None  # the verdicts (None: a results.json that has no matrix)
    signals: Mapping[str, Confusion] = field(default_factory=dict)  # by signal name, sorted


def _bucket(positive: bool, flagged: bool) -> str:
    if positive:
        return "tp" if flagged else "fn"
    return "fp" if flagged else "tn"


def _count(counts: dict[str, int], names: dict[str, list[str]]) -> Confusion:
    return Confusion(counts["tp"], counts["fn"], counts["fp"], counts["tn"], tuple(names["tp"]), tuple(names["fp"]))


def validation(scenarios: Iterable[ScenarioResult]) -> Validation:
    """Per signal, a confusion matrix over scenarios whose truth (``expect``) is known.
    Known leaks are the positives; see :meth:`ScenarioResult.signal_flags` for what flagging means."""
    overall = dict.fromkeys(("tp", "fn", "fp", "tn"), 0)
    counts: dict[str, dict[str, int]] = {}
    names: dict[str, dict[str, list[str]]] = {}
    for s in scenarios:
        if s.expect not in ("leak", "clean") or s.verdict not in ("leak", "clean"):
            continue
        positive = s.expect == "leak"
        overall[_bucket(positive, s.verdict == "leak")] += 1
        for sig, flagged in s.signal_flags().items():
            bucket = _bucket(positive, flagged)
            counts.setdefault(sig, dict.fromkeys(("tp", "fn", "fp", "tn"), 0))[bucket] += 1
            names.setdefault(sig, {"tp": [], "fp": []}).get(bucket, []).append(s.name)
    return Validation(_count(overall, {"tp": [], "fp": []}),
                      {sig: _count(counts[sig], names[sig]) for sig in sorted(counts)})
