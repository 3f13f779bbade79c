"""Judge stage: budgets + trends -> a verdict, and whether the item passes (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .. import signals
from ..run.capture import IdleWindow, Snapshot
from ..units import figure, format_bytes
from .analysis import Trend

#: What the budgets say of a measured series.
Judged = Literal["leak", "clean"]
#: A scenario's verdict: judged, or not measured (an error), or not run here (a missing service).
VerdictName = Literal["leak", "clean", "error", "skipped"]


@dataclass(frozen=True)
class BudgetCheck:
    name: str
    signal: str
    limit: float
    measured: float | None
    exceeded: bool
    unit: str
    detail: str = ""
    late_slope_per_1k: float | None = None  # over the trailing window, when the run was extended
    plateau_at_requests: float | None = None  # where the growth stopped, when judged a plateau
    over_in_plateau: bool = False  # over the budget with a significant rise that reads as a plateau
    proven_by: str | None = None  # a signal that proves the growth a leak whatever follows (see _proven)


@dataclass(frozen=True)
class Verdict:
    verdict: Judged
    checks: tuple[BudgetCheck, ...]
    reasons: tuple[str, ...] = field(default=())

    @property
    def exceeded(self) -> list[BudgetCheck]:
        return [c for c in self.checks if c.exceeded]


def fmt(value: float | None, unit: str) -> str:
    return figure(value, unit, missing="n/a")


#: The request rate a leak's size per day is said at, unless --goleak-rate-per-second says otherwise.
RATE_PER_SECOND = 1000.0


def leak_size(per_1k: float, rate_per_second: float = RATE_PER_SECOND) -> str:
    """A heap growth per 1,000 requests as an operator thinks of it: per request, per 1,000 and
    per day at a request rate."""
    per_day = per_1k / 1000.0 * rate_per_second * 86400.0
    return (f"{format_bytes(per_1k / 1000.0)} a request, {format_bytes(per_1k)} per 1k, "
            f"{format_bytes(per_day)} a day at {rate_per_second:,.0f} requests/s")


def reason(c: BudgetCheck) -> str:
    """One exceeded budget, as the verdict's message says it."""
    return f"{c.name} = {fmt(c.measured, c.unit)} exceeds budget {fmt(c.limit, c.unit)}: {c.detail}"


#: The signal that proves growth of a budget's signal a leak: goroutines the runtime's goroutine
#: leak profile (Go 1.26 with GOEXPERIMENT=goroutineleakprofile, every Go 1.27 build) found blocked
#: on a channel, mutex or wait group that no runnable goroutine can reach. Nothing can wake them,
#: so no cache, pool or queue is holding them for later: there is no plateau to wait for.
PROOF = {"goroutines": "goroutineleak"}


def _proven(b: signals.Budget, limit: float, trends: Mapping[str, Trend]) -> Trend | None:
    """The proof's trend when it alone is over the budget: rising significantly, with the lower end
    of its slope's confidence interval above the limit. None when there is no proof."""
    proof = trends.get(PROOF.get(b.signal, ""))
    if proof is None or proof.decision != "growing" or proof.ci[0] <= limit:
        return None
    return proof


def _slope_check(b: signals.Budget, limit: float, t: Trend | None, rate: float,
                 trends: Mapping[str, Trend] | None = None) -> BudgetCheck:
    """A per-1k budget against the slope per 1,000 requests; it needs a significant rise (a plateau
    does not count). Exceeded and proven (``_proven``): a leak whatever the extension would see."""
    if t is None:
        return BudgetCheck(b.name, b.signal, limit, None, False, b.unit, "signal not available")
    measured = t.slope_per_1k
    detail = (f"{fmt(measured, b.unit)}/1k requests (95% CI {fmt(t.ci[0], b.unit)}..{fmt(t.ci[1], b.unit)}, "
              f"p={t.p_value:.3g}, {t.decision})")
    if b.is_bytes and measured > 0:
        detail += f"; {leak_size(measured, rate)}"
    exceeded = t.decision == "growing" and measured > limit
    proof = _proven(b, limit, trends or {}) if exceeded else None
    if proof is not None:
        detail += (f"; proven: {fmt(proof.slope_per_1k, proof.unit)}/1k of them blocked for ever "
                   f"(the runtime's goroutine leak profile, p={proof.p_value:.3g})")
    return BudgetCheck(b.name, b.signal, limit, measured, exceeded, b.unit, detail,
                       over_in_plateau=t.decision == "plateau" and measured > limit,
                       proven_by=PROOF[b.signal] if proof is not None else None)


def _time_check(b: signals.Budget, limit: float, idle: IdleWindow | None) -> BudgetCheck:
    """A per-minute budget against the idle window: growth with time while no request is sent,
    by more than the signal's noise floor."""
    rise = idle.rise(b.signal) if idle else None
    if idle is None or rise is None:
        return BudgetCheck(b.name, b.signal, limit, None, False, b.unit, "no idle window")
    measured = rise * 60.0 / idle.seconds
    sig = signals.get(b.signal)
    exceeded = measured > limit and rise > (sig.noise if sig else 0.0)
    detail = (f"{fmt(measured, b.unit)}/minute with no traffic "
              f"({fmt(rise, b.unit)} over a {idle.seconds:.1f} s idle window)")
    return BudgetCheck(b.name, b.signal, limit, measured, exceeded, b.unit, detail)


def judge(budgets: Mapping[str, float], trends: Mapping[str, Trend],
          snapshots: Sequence[Snapshot], oom: str | None = None, rate: float = RATE_PER_SECOND,
          idle: IdleWindow | None = None) -> Verdict:
    """Leak when any budget is exceeded: a per-1k slope that rises significantly above its limit (a
    plateau does not count), a per-minute growth over the idle window above its limit, or an
    absolute cap crossed in any snapshot, or an OOM-kill."""
    checks = []
    known = signals.budgets()
    for name, limit in budgets.items():
        b = known.get(name)
        if b is None:
            continue
        unit, signal = b.unit, b.signal
        if b.kind == "slope" and b.axis == "time":
            checks.append(_time_check(b, limit, idle))
        elif b.kind == "slope":
            checks.append(_slope_check(b, limit, trends.get(signal), rate, trends))
        else:
            values = [v for s in snapshots if (v := s.value(signal)) is not None]
            peak = max(values) if values else None
            exceeded = peak is not None and peak > limit
            checks.append(BudgetCheck(name, signal, limit, peak, exceeded, unit, f"peak {fmt(peak, unit)}"))
    reasons = tuple(reason(c) for c in checks if c.exceeded)
    if oom:
        reasons = (oom, *reasons)
    return Verdict("leak" if reasons else "clean", tuple(checks), reasons)


def culprit_matches(found: str | None, truth: str) -> bool:
    """``main.lookup`` matches itself and the closures inside it (``main.lookup.func1``)."""
    return found is not None and (found == truth or found.startswith(truth + ".func"))


def outcome(verdict: VerdictName, expect: str | None, culprit_truth: str | None,
            top_culprit: str | None) -> tuple[bool, str]:
    """Whether the item passes, and a one-line why. A detected known leak passes: it validates the
    detector. A scenario without ``expect`` is a user's service and must stay within budget."""
    if verdict == "error":
        return False, "the scenario could not be measured"
    if expect is None:
        return verdict == "clean", "within budget" if verdict == "clean" else "budget exceeded"
    if verdict != expect:
        return False, f"expected {expect}, measured {verdict}"
    if expect == "leak" and culprit_truth and not culprit_matches(top_culprit, culprit_truth):
        return False, f"leak detected, but the top culprit is {top_culprit or 'unknown'}, not {culprit_truth}"
    return True, f"expected {expect}, measured {verdict}"
