"""Filling is not leaking: decide on a series extended past a signal's budget (pure; no I/O).

A leak grows without end; a cache, a pool or a free list grows until it is full. When a slope
budget is exceeded over the scenario's measured window, the runner keeps the load going (more
phases, more snapshots, up to a bound) and this module decides on the whole series:

- the *trailing window* is the last ``window`` snapshots, as many as the main run had, so it spans
  about as many requests as the main run did;
- a budget whose signal still rises significantly above its limit over the trailing window kept
  its pace: a leak;
- otherwise the growth stopped: a ``plateau``, clean, and the request count at which the signal
  reached its final level is reported ("filled at about N requests, then flat").

A rise counts only when it is larger than the signal's noise floor (``Signal.noise``: how far a
series that keeps nothing drifts over a window), so a budget near the floor does not turn noise
into a leak. The runner stops early:

- on a plateau only once the signal has been flat for as long as it took to fill, from the
  service's start (``flat_enough``):
  a map or a slice that leaks grows in steps whose spacing grows with its size (a map's tables all
  split at once when it doubles), so a fixed trailing window would take the gap between two steps
  for a plateau;
- on a leak when the evidence is decisive (``decisive``): past ``DECISIVE_SPAN`` times the measured
  window, the trailing window (at least ``DECISIVE_POINTS`` snapshots) rose at Mann-Kendall
  ``STRONG_ALPHA``, not in one step (``one_step``: its largest clean step under ``STEP_SHARE`` of
  its rise), and it and its last half both kept at least half the measured
  pace, at ``DECISIVE_FACTOR`` times the budget or more;
- when the service nears its memory or pids limit (the runner, run/drive.py): never into the OOM killer.

At the bound the evidence may still be weak: still over, but only by a trend at ``LATE_ALPHA``, by
one clean step (most of the window's rise), or at under ``DECISIVE_PACE`` of the measured window's
pace (a fill that slows down). A connection pool that opens one more connection (64 KiB of go-redis buffers)
late and a map leak that doubles there look alike over one trailing window; they part
over more requests (the pool stops, the map doubles again). So an undecided bound (``conclusive``
false) moves once to ``UNDECIDED_FACTOR`` times itself, within the timeout, and the decision is
taken there (``ExtensionInfo.undecided_at`` says where it was undecided).

Goroutines over their budget that the runtime's goroutine leak profile proves blocked for ever
(``BudgetCheck.proven_by``, judge/verdict.py) are not extended either: nothing can wake them, so
there is no plateau to wait for (``over_slope_budgets``).

Per-minute budgets (time as a second axis) are not extended: they are judged on the idle window,
growth with no request sent, which no request-driven cache can explain (verdict.py).

A rise after a fill that is under ``TAIL_BAND`` times the budget and under ``TAIL_SHARE`` of the
measured window's pace is the fill's tail (a full map rehashing its churn once), not a leak.

What it cannot tell apart: a cache that is still filling when the bound is reached (one larger
than about ``factor - 1`` times the scenario's requests) looks like a leak; a leak that stops for
longer than the trailing window looks like a plateau; and a small leak (under twice the budget)
beside a fill four times faster in the measured window reads as the fill's tail.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from .. import signals
from ..run.capture import Snapshot
from .analysis import mann_kendall, theil_sen
from .verdict import BudgetCheck, Verdict, fmt, reason

#: The share of the rise (from the first snapshot to the final level) at which a signal counts
#: as filled.
FILLED_SHARE = 0.9
#: Significance for "still rising" over the trailing window. Growth was already shown over the
#: measured window; here the question is whether it has stopped, so the burden of proof is on
#: the plateau. A leak that grows in steps (a slice's backing array, reallocated 1.25x at a time)
#: shows one step in a 6-snapshot window, and Mann-Kendall cannot pass p = 0.066 on one step.
LATE_ALPHA = 0.2
#: A plateau stops the extension only once flat for this share of the requests it took to fill,
#: counted from the service's start: a map that leaks doubles again at twice the entries it held
#: at its last doubling, and every request since the start (warm-up included) added one.
FLAT_SHARE = 1.1
#: Significance that ends the extension as a leak before its bound (``decisive``) or at it without
#: more load (``conclusive``): a rise at every snapshot, not one step. A pool that opens one more
#: connection late is one step (redis_client_fixed at 3,400 requests in CI: p = 0.03).
STRONG_ALPHA = 0.01
#: Undecided at the bound: the load goes on once to this multiple of the bound.
UNDECIDED_FACTOR = 2.0
#: Decisive leak: past this multiple of the measured window's span ...
DECISIVE_SPAN = 3.0
#: ... over a trailing window of at least this many snapshots (Mann-Kendall on fewer cannot
#: reach STRONG_ALPHA) ...
DECISIVE_POINTS = 6
#: ... still growing at this multiple of the budget or more, at half the measured pace or more.
DECISIVE_FACTOR = 4.0
DECISIVE_PACE = 0.5
#: A leak ends the extension (``decisive``, or ``conclusive`` at the bound) only when the trailing
#: window's largest clean step is under this share of its rise (``one_step``): a steady leak rises a
#: little at every snapshot (a seventh of the window's rise per step on eight snapshots); a pool's
#: new connection is one step that is most of the rise.
STEP_SHARE = 0.5
#: The fill's tail: a late rise under TAIL_BAND times the budget and under TAIL_SHARE of the
#: measured window's pace is what a full cache still does (a map rehashing its churn once), not the
#: pace of a leak, which keeps about the same pace from the measured window on.
TAIL_BAND = 2.0
TAIL_SHARE = 0.25
#: The extension stops when the service's memory (cgroup, else RSS) or threads reach this share of
#: its memory or pids limit: a leak is never run into the OOM killer.
LIMIT_SHARE = 0.7


#: Why the extension stopped: its bound, a plateau, a decisive leak, near a limit, out of time, or
#: the run was cut short in it (the fixture died; judged from the snapshots before).
Stop = Literal["bound", "plateau", "decisive", "memory", "pids", "timeout", "cut_short"]
#: What the extension found, once judged.
ExtensionOutcome = Literal["leak", "plateau"]


@dataclass(frozen=True)
class ExtensionInfo:
    """What the extension did (the runner's drive loop) and, once judged, what it found."""

    reason: str
    budgets: tuple[str, ...]  # the per-1k budgets that were over at the end of the measured window
    from_snapshot: int
    requests_at_start: int
    requests_at_end: int
    bound_requests: int
    stopped: Stop
    snapshots: int
    seconds: float
    undecided_at: int | None = None  # requests at the first bound, when the evidence there was weak
    outcome: ExtensionOutcome | None = None  # once judged
    plateaus: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LateTrend:
    """The raw trend of the trailing window: no plateau rule inside it (a step would read as one)."""

    slope_per_1k: float
    p_value: float
    span_requests: float
    step_per_1k: float = 0.0  # the window's cleanest step up, as a rate over its span (see step_rate)

    @property
    def rising(self) -> bool:
        return self.p_value < LATE_ALPHA and self.slope_per_1k > 0

    def above_noise(self, rate: float, noise: float) -> bool:
        """A rate over the window's span adds up to more than the signal's noise floor."""
        return rate * self.span_requests / 1000.0 > noise


def step_rate(points: Sequence[tuple[float, float]]) -> float:
    """The largest clean step up in a window, per 1,000 requests of the window's span.

    A split of the window is clean when every value after it is above every value before it; its
    step is the gap between the two. A leak that grows in steps (a slice's backing array,
    reallocated 1.25x at a time) shows a step whose values on either side drift a little down as
    garbage is collected, and Mann-Kendall counts those drifts against it (p = 0.5 on a real one);
    a filled cache's noise goes both ways, so a clean gap of a budget's worth is not noise. One
    step, or one high last value (a spike or a new level), keeps a plateau from being called but
    does not end the extension as a leak (``conclusive``).
    """
    ys = [y for _, y in points]
    span = (points[-1][0] - points[0][0]) / 1000.0 if len(points) >= 2 else 0.0
    if span <= 0:
        return 0.0
    gaps = [min(ys[k:]) - max(ys[:k]) for k in range(1, len(ys))]
    return max(max(gaps, default=0.0), 0.0) / span


def over_slope_budgets(verdict: Verdict) -> list[BudgetCheck]:
    """The per-1k budgets to extend for: exceeded, or over with a rise that already looks like a
    plateau in the measured window (a leak in steps shows one step and a flat top there, so the
    extension, not the measured window, decides). None when something else is exceeded (a crossed
    cap, an OOM-kill or a growth the goroutine leak profile proves is a leak whatever happens next,
    so there is nothing to extend for)."""
    exceeded = verdict.exceeded
    if any(not _is_slope(c.name) or c.proven_by for c in exceeded):
        return []
    if len(verdict.reasons) != len(exceeded):  # an OOM-kill or another reason beside the budgets
        return []
    return [c for c in verdict.checks if _is_slope(c.name) and (c.exceeded or c.over_in_plateau)]


def _is_slope(name: str) -> bool:
    """A per-1k budget: the extension's business (a per-minute one is judged on the idle window)."""
    b = signals.budgets().get(name)
    return b is not None and b.kind == "slope" and b.axis == "requests"


def noise_of(check: BudgetCheck, points: Sequence[tuple[float, float]]) -> float:
    """The run's own noise floor for a signal: its fixed floor (``Signal.noise``), or twice the
    largest fall between two consecutive snapshots when that is more. A leak does not give memory
    back, so what a series drops by is what noise can add (a pool's buffers, the GC's timing), up
    and down: a spike and its return."""
    s = signals.get(check.signal)
    falls = [a - b for (_, a), (_, b) in zip(points, points[1:], strict=False) if b < a]
    return max(s.noise if s else 0.0, 2 * max(falls, default=0.0))


def axis_points(snapshots: Sequence[Snapshot], check: BudgetCheck) -> list[tuple[float, float]]:
    """The check's series: (requests, value)."""
    return [(float(s.requests), v) for s in snapshots if (v := s.value(check.signal)) is not None]


def trailing(points: Sequence[tuple[float, float]], window: int) -> int:
    """How many snapshots the trailing window holds: as many as the measured window had, or the
    last half of the extension when that is more (a small leak rises above the noise floor only
    over a longer span; a cache that filled before the extension's middle is flat over it)."""
    return max(window, (len(points) - window) // 2 + 1)


def _late(points: Sequence[tuple[float, float]], window: int) -> LateTrend | None:
    return _trend_of(points[-trailing(points, window):])


def _trend_of(points: Sequence[tuple[float, float]]) -> LateTrend | None:
    if len(points) < 4:
        return None
    xs, ys = [x / 1000.0 for x, _ in points], [y for _, y in points]
    return LateTrend(theil_sen(xs, ys), mann_kendall(ys), points[-1][0] - points[0][0], step_rate(points))


def late_trend(snapshots: Sequence[Snapshot], check: BudgetCheck, window: int) -> LateTrend | None:
    return _late(axis_points(snapshots, check), window)


def still_over(check: BudgetCheck, late: LateTrend | None, noise: float, pace: float = 0.0) -> bool:
    """Still rising above the budget over the trailing window, by more than the noise floor: a
    significant trend, or a clean step; not the tail of a fill whose measured pace was ``pace``."""
    if late is None or is_tail(check, late, pace):
        return False
    trend = late.rising and late.slope_per_1k > check.limit and late.above_noise(late.slope_per_1k, noise)
    step = late.step_per_1k > check.limit and late.above_noise(late.step_per_1k, noise)
    return trend or step


def is_tail(check: BudgetCheck, late: LateTrend, pace: float) -> bool:
    """A rise just over the budget after a fill many times faster: the full cache's own drift."""
    rate = max(late.slope_per_1k, late.step_per_1k)
    return rate < TAIL_BAND * check.limit and rate < TAIL_SHARE * pace


def measured_pace(points: Sequence[tuple[float, float]], window: int) -> float:
    """The measured window's slope per 1k (0 when it has too few snapshots)."""
    trend = _trend_of(points[:window])
    return trend.slope_per_1k if trend else 0.0


def flat_enough(points: Sequence[tuple[float, float]], window: int) -> bool:
    """Flat since it filled for at least FLAT_SHARE of the requests it took to fill, counted
    from the service's start (request counts are since the start, warm-up included).

    Counted from the first snapshot instead, request_ids_leaky (a set that doubled at 1,792 ids)
    was called a plateau at 3,400 requests, just before its next doubling at 3,584."""
    at = filled_at(points, window)
    if at is None:
        return True
    return points[-1][0] - at >= FLAT_SHARE * at


def plateau_reached(checks: Sequence[BudgetCheck], snapshots: Sequence[Snapshot], window: int) -> bool:
    """Every budget that was over has stopped rising over the trailing window, and for long
    enough: stop extending."""
    for c in checks:
        points = axis_points(snapshots, c)
        late = _late(points, window)
        if still_over(c, late, noise_of(c, points), measured_pace(points, window)) or not flat_enough(points, window):
            return False
    return True


def near_limit(snap: Snapshot, memory_limit: int | None,
               pids_limit: int | None) -> Literal["memory", "pids"] | None:
    """``"memory"`` or ``"pids"`` when the snapshot is at LIMIT_SHARE of that limit, else None."""
    memory = snap.value("cgroup_memory_bytes") or snap.value("rss_bytes")
    if memory_limit and memory is not None and memory >= LIMIT_SHARE * memory_limit:
        return "memory"
    threads = snap.value("threads")
    if pids_limit and threads is not None and threads >= LIMIT_SHARE * pids_limit:
        return "pids"
    return None


def decisive(checks: Sequence[BudgetCheck], snapshots: Sequence[Snapshot], window: int) -> bool:
    """Every budget that was over kept growing, past DECISIVE_SPAN times the measured window, at
    DECISIVE_FACTOR times its budget or more and at DECISIVE_PACE of the measured window's pace or
    more, over the trailing window and over its last half: a leak, stop extending.

    A cache that fills within the span is flat over the trailing window's last half, so it is
    never decisive; one that fills later is the limit the module docstring states."""
    for c in checks:
        points = axis_points(snapshots, c)
        main = points[:window]
        if len(points) < 2 * window or len(main) < 4:
            return False
        span = main[-1][0] - main[0][0]
        if points[-1][0] - points[0][0] < DECISIVE_SPAN * span:
            return False
        measured = _trend_of(main)
        pace = max(measured.slope_per_1k if measured else 0.0, c.limit)
        need = max(DECISIVE_FACTOR * c.limit, DECISIVE_PACE * pace)
        late = _trend_of(points[-max(window, DECISIVE_POINTS):])
        last_half = _trend_of(points[-max(4, window // 2 + 1):])
        if not (late and last_half and steadily_over(c, late, noise_of(c, points), pace)
                and late.slope_per_1k >= need and last_half.slope_per_1k >= need):
            return False
    return True


def strongly_over(check: BudgetCheck, late: LateTrend | None, noise: float) -> bool:
    """A rise above the budget at nearly every snapshot of the window (STRONG_ALPHA), by more than
    the noise floor: not one step, not a trend that chance gives one time in five."""
    return (late is not None and late.p_value < STRONG_ALPHA and late.slope_per_1k > check.limit
            and late.above_noise(late.slope_per_1k, noise))


def conclusive(checks: Sequence[BudgetCheck], snapshots: Sequence[Snapshot], window: int) -> bool:
    """At the bound: every budget that was over has either stopped (``still_over`` false: a
    plateau) or kept a leak's pace (``steadily_over``). A budget still over only by a weak trend,
    by one step or at a fraction of its measured pace is undecided, and more load decides it
    (module docstring)."""
    for c in checks:
        points = axis_points(snapshots, c)
        late, noise, pace = _late(points, window), noise_of(c, points), measured_pace(points, window)
        if still_over(c, late, noise, pace) and not steadily_over(c, late, noise, pace):
            return False
    return True


def steadily_over(check: BudgetCheck, late: LateTrend | None, noise: float, pace: float) -> bool:
    """Strongly over at a leak's pace: at DECISIVE_PACE of the measured window's pace or more, and
    not mostly one clean step (under STEP_SHARE of the window's rise).

    A fill that slows down, and a pool that opens one more connection beside it, can rise at
    every snapshot of one trailing window: redis_client_fixed in CI (Go 1.27) rose 14.7 KiB/1k
    over the last 1,400 requests at p = 0.009 after 45 KiB/1k in the measured window, and here a
    64 KiB step plus a drift gave p = 0.002. Its heap fills to about 6,000 requests and then
    falls (16,000 requests: benchmarks/README.md), so a bound at 4,200 is inside its fill."""
    return (late is not None and strongly_over(check, late, noise) and not one_step(late)
            and late.slope_per_1k >= DECISIVE_PACE * pace)


def one_step(late: LateTrend) -> bool:
    """The window's largest clean step is STEP_SHARE of its rise or more: a pool's new connection
    (redis_client_fixed at defaults: 880 KiB to 958 KiB at 5,800 requests, after 2,000 flat ones,
    was p = 0.004 over the last six snapshots and no leak), not a rise at every snapshot."""
    return late.step_per_1k >= STEP_SHARE * late.slope_per_1k


def filled_at(points: Sequence[tuple[float, float]], window: int) -> float | None:
    """Requests at which the signal first reached FILLED_SHARE of its rise to the final level."""
    if len(points) < 2:
        return None
    first = points[0][1]
    level = statistics.median(v for _, v in points[-window:])
    rise = level - first
    if rise <= 0:
        return points[0][0]
    for x, v in points:
        if v >= first + FILLED_SHARE * rise:
            return x
    return points[-1][0]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    plateaus: tuple[str, ...]  # budget names judged plateau
    notes: tuple[str, ...]  # one human line per extended budget


def _late_text(c: BudgetCheck, late: LateTrend | None) -> str:
    if late is None:
        return "too few snapshots"
    return (f"{fmt(late.slope_per_1k, c.unit)}/1k over the last {late.span_requests:,.0f} requests, "
            f"p={late.p_value:.3g}, clean step {fmt(late.step_per_1k, c.unit)}/1k")


def decide(verdict: Verdict, snapshots: Sequence[Snapshot], window: int) -> Decision:
    """Re-judge the budgets that sent the run into its extension, on the whole series."""
    checks = list(verdict.checks)
    plateaus, notes = [], []
    for i, c in enumerate(checks):
        if not (c.exceeded or c.over_in_plateau) or not _is_slope(c.name):
            continue
        points = axis_points(snapshots, c)
        late = _late(points, window)
        late_text = _late_text(c, late)
        if still_over(c, late, noise_of(c, points), measured_pace(points, window)):
            notes.append(f"{c.name}: kept its pace to {points[-1][0]:,.0f} requests ({late_text})")
            checks[i] = replace(c, exceeded=True, detail=f"{c.detail}; extended: {late_text}",
                                late_slope_per_1k=late.slope_per_1k if late else None)
            continue
        at = filled_at(points, window)
        where = f"about {at:,.0f} requests" if at is not None else "an unknown point"
        if late is not None and is_tail(c, late, measured_pace(points, window)):
            late_text += f"; under {TAIL_SHARE:.0%} of the fill's pace: its tail"
        notes.append(f"{c.name}: filled at {where}, then flat ({late_text})")
        plateaus.append(c.name)
        checks[i] = replace(c, exceeded=False,
                            detail=f"{c.detail}; plateau: filled at {where}, then flat ({late_text})",
                            late_slope_per_1k=late.slope_per_1k if late else None, plateau_at_requests=at)
    # The measured window's reasons for the budgets still over (the extension's word is in `notes`).
    reasons = tuple(reason(before) for before, after in zip(verdict.checks, checks, strict=True) if after.exceeded)
    new = Verdict("leak" if reasons else "clean", tuple(checks), reasons)
    return Decision(new, tuple(plateaus), tuple(notes))
