"""The baseline comparison's values: a baseline's saved figures, the rules, and the comparison.

Plain frozen data; :mod:`.baseline` makes them, :mod:`.results` turns them into JSON and back
(results.json's ``comparison``, the baseline file), the terminal and the HTML report show them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..units import percent_change


@dataclass(frozen=True)
class Rule:
    """``heap:+20%`` -> Rule("heap:+20%", "heap_inuse_bytes", relative=True, amount=0.2)."""

    expr: str
    signal: str
    relative: bool
    amount: float  # a fraction of the baseline slope when relative, else per 1k requests

    def margin(self, baseline_slope: float) -> float:
        return self.amount * abs(baseline_slope) if self.relative else self.amount


@dataclass(frozen=True)
class Figures:
    """What a baseline keeps of one signal's trend; ``slope_per_1k`` None: not measured."""

    unit: str
    slope_per_1k: float | None
    ci: tuple[float, float]
    p_value: float | None
    decision: str | None


@dataclass(frozen=True)
class SavedScenario:
    verdict: str
    requests: int
    signals: Mapping[str, Figures]


@dataclass(frozen=True)
class Baseline:
    """A baseline file (or a results.json read as one): the growth figures of a run."""

    commit: str | None
    created: str | None
    scenarios: Mapping[str, SavedScenario]


@dataclass(frozen=True)
class Row:
    """How one signal of one scenario stands against the baseline."""

    scenario: str
    signal: str
    unit: str
    baseline: Figures | None
    current: Figures | None
    delta_per_1k: float | None
    change: float | None  # relative to the baseline slope; None when that is 0
    limit_per_1k: float | None
    rule: str | None
    status: str  # regression | filled | higher | same | lower | new signal | not measured


@dataclass(frozen=True)
class Comparison:
    """A run against a baseline; ``error`` says why there was nothing to compare against."""

    path: str
    rules: tuple[Rule, ...]
    alpha: float
    passed: bool
    failures: tuple[str, ...]
    commit: str | None = None
    created: str | None = None
    rows: tuple[Row, ...] = ()
    new_scenarios: tuple[str, ...] = ()
    missing_scenarios: tuple[str, ...] = ()
    error: str | None = None
    saved_to: str | None = None


#: How a figure is written: (value, unit) -> text (units.figure_grouped for the terminal, units.fmt_value for HTML).
Number = Callable[[float, str], str]


def trend_text(fig: Figures | None, unit: str, number: Number, missing: str) -> str:
    """``slope [low..high]`` of saved figures; ``missing`` when not measured."""
    if fig is None or fig.slope_per_1k is None or not math.isfinite(fig.slope_per_1k):
        return missing
    lo, hi = fig.ci
    return f"{number(fig.slope_per_1k, unit)} [{number(lo, unit)}..{number(hi, unit)}]"


def change_text(row: Row, delta: Number, missing: str) -> str:
    """The change against the baseline: relative when the baseline slope is not 0, else the difference."""
    if row.change is not None:
        return percent_change(row.change)
    return missing if row.delta_per_1k is None else delta(row.delta_per_1k, row.unit)
