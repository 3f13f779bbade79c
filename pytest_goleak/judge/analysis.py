"""Analyse stage: a time series of snapshots -> per-signal trends (pure; no I/O).

Growth is a Theil–Sen slope (median of pairwise slopes: one wild snapshot cannot move it), with
Sen's confidence interval, and a one-sided Mann–Kendall test says whether the series really
rises. A *plateau* — growth that stops, as a bounded cache that has filled — is told apart from a
leak by comparing the slope of the last half of the series with the slope over the whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from .. import signals

if TYPE_CHECKING:
    from ..run.capture import Snapshot

ALPHA = 0.05
#: A series whose late slope is under this share of its overall slope has stopped growing.
PLATEAU_RATIO = 0.2


#: What a series does: rises significantly, rose and stopped (a filled cache), or neither.
TrendDecision = Literal["growing", "flat", "plateau"]


@dataclass(frozen=True)
class Trend:
    unit: str
    slope_per_1k: float  # growth per 1,000 requests
    ci: tuple[float, float]  # Sen's confidence interval at 1 - ALPHA (per 1,000 requests)
    p_value: float  # one-sided Mann–Kendall: probability of this much rise by chance
    decision: TrendDecision
    late_slope_per_1k: float  # slope over the last half of the series
    series: tuple[tuple[float, float], ...]
    slope_per_minute: float | None = None  # the same series against wall time (time as a second axis)


def _pairwise_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    slopes = []
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if xs[j] != xs[i]:
                slopes.append((ys[j] - ys[i]) / (xs[j] - xs[i]))
    return sorted(slopes)


def _median(values: Sequence[float]) -> float:
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> float:
    slopes = _pairwise_slopes(xs, ys)
    return _median(slopes) if slopes else 0.0


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def _mk_variance(ys: Sequence[float]) -> float:
    n = len(ys)
    var = n * (n - 1) * (2 * n + 5)
    counts: dict[float, int] = {}
    for y in ys:
        counts[y] = counts.get(y, 0) + 1
    for t in counts.values():
        if t > 1:
            var -= t * (t - 1) * (2 * t + 5)
    return var / 18.0


def mann_kendall(ys: Sequence[float]) -> float:
    """One-sided p-value that ``ys`` is increasing (continuity-corrected normal approximation)."""
    n = len(ys)
    if n < 3:
        return 1.0
    s = sum((ys[j] > ys[i]) - (ys[j] < ys[i]) for i in range(n) for j in range(i + 1, n))
    var = _mk_variance(ys)
    if var <= 0 or s <= 0:
        return 1.0 if s <= 0 else 0.0
    return _normal_sf((s - 1) / math.sqrt(var))


def sen_interval(xs: Sequence[float], ys: Sequence[float], alpha: float = ALPHA) -> tuple[float, float]:
    """Sen's distribution-free confidence interval for the Theil–Sen slope."""
    slopes = _pairwise_slopes(xs, ys)
    if not slopes:
        return (0.0, 0.0)
    n_slopes = len(slopes)
    z = 1.959963984540054 if alpha == 0.05 else _z(1 - alpha / 2)
    c = z * math.sqrt(max(_mk_variance(ys), 0.0))
    # Sen (1968) eq. 2.6: the bounds are the M1-th and (M2 + 1)-th smallest slopes (1-based),
    # M1 = (N - C) / 2 and M2 = (N + C) / 2, rounded to the nearest rank; 0-based below.
    lo = round((n_slopes - c) / 2) - 1
    hi = round((n_slopes + c) / 2)
    return slopes[max(lo, 0)], slopes[min(hi, n_slopes - 1)]


def _z(p: float) -> float:
    lo, hi = -10.0, 10.0
    for _ in range(100):  # bisection on the normal CDF; only used for non-default alphas
        mid = (lo + hi) / 2
        if 1 - _normal_sf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def trend(series: Sequence[tuple[float, float]], unit: str, alpha: float = ALPHA) -> Trend:
    """The trend of ``(requests, value)`` points, slopes expressed per 1,000 requests."""
    xs = [p[0] / 1000.0 for p in series]
    ys = [p[1] for p in series]
    slope = theil_sen(xs, ys)
    lo, hi = sen_interval(xs, ys, alpha)
    p = mann_kendall(ys)
    half = len(xs) // 2
    late = theil_sen(xs[half:], ys[half:]) if len(xs) - half >= 3 else slope
    decision: TrendDecision
    if p < alpha and slope > 0:
        decision = "plateau" if late <= PLATEAU_RATIO * slope else "growing"
    else:
        decision = "flat"
    return Trend(unit, slope, (lo, hi), p, decision, late, tuple((float(a), float(b)) for a, b in series))


def per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Theil–Sen slope of ``(seconds, value)`` points, per minute of wall time."""
    return theil_sen([t / 60.0 for t, _ in points], [v for _, v in points])


def trends(snapshots: Sequence[Snapshot], alpha: float = ALPHA) -> dict[str, Trend]:
    """One Trend per signal present in every snapshot (a signal missing anywhere is left out),
    per 1,000 requests, with the slope per minute of wall time beside it."""
    out: dict[str, Trend] = {}
    for name, unit in signals.units().items():
        values = [s.value(name) for s in snapshots]
        if len(values) >= 3 and all(v is not None for v in values):
            vs = [float(v) for v in values if v is not None]
            t = trend([(float(s.requests), v) for s, v in zip(snapshots, vs, strict=True)], unit, alpha)
            out[name] = replace(t, slope_per_minute=per_minute([(s.t, v) for s, v in zip(snapshots, vs, strict=True)]))
    return out


# --- GODEBUG=gctrace=1 -----------------------------------------------------------------------

# gc 12 @3.456s 2%: 0.021+1.2+0.003 ms clock, ..., 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P
_GC_LINE = re.compile(r"^gc (\d+) @([0-9.]+)s \d+%: .*?, (\d+)->(\d+)->(\d+) (MB|KB|B), (\d+) (MB|KB|B) goal")
_UNIT = {"B": 1, "KB": 1024, "MB": 1024 * 1024}


@dataclass(frozen=True)
class GCEvent:
    number: int
    at_s: float  # seconds since the process started
    heap_before: int
    heap_after: int
    live_heap: int  # marked live heap after this GC (the third figure)
    goal: int


def parse_gctrace(log: str) -> list[GCEvent]:
    events = []
    for line in log.splitlines():
        m = _GC_LINE.search(line.strip())
        if m:
            u = _UNIT[m.group(6)]
            events.append(GCEvent(int(m.group(1)), float(m.group(2)), int(m.group(3)) * u, int(m.group(4)) * u,
                                  int(m.group(5)) * u, int(m.group(7)) * _UNIT[m.group(8)]))
    return events
