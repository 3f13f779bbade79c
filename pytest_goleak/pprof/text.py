"""The ``go tool pprof -top`` table, character for character: header lines, unit selection
(one unit for the whole table, chosen from the smallest shown value and the total, as pprof's
``-unit=minimum`` default does), ``%.2f`` values with ``.00`` trimmed, and pprof's percentages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from .aggregate import TopResult
from .model import Profile

# (canonical name, aliases, factor) per unit family, as pprof's measurement package knows them.
_UNIT_FAMILIES: tuple[tuple[tuple[str, tuple[str, ...], float], ...], ...] = (
    (("B", ("b", "byte"), 1), ("kB", ("kb", "kbyte", "kilobyte"), 1 << 10),
     ("MB", ("mb", "mbyte", "megabyte"), 1 << 20), ("GB", ("gb", "gbyte", "gigabyte"), 1 << 30),
     ("TB", ("tb", "tbyte", "terabyte"), 1 << 40), ("PB", ("pb", "pbyte", "petabyte"), 1 << 50)),
    (("ns", ("ns", "nanosecond"), 1), ("us", ("μs", "us", "microsecond"), 1e3),
     ("ms", ("ms", "millisecond"), 1e6), ("s", ("s", "sec", "second"), 1e9),
     ("hrs", ("hour", "hr"), 3600e9)),
)
_DEFAULT_UNIT = {0: ("B", 1.0), 1: ("s", 1e9)}
_UNITLESS = ("count", "sample", "unit", "minimum", "auto")


def _sniff(unit: str) -> tuple[int, float] | None:
    u = unit.lower()
    if len(u) > 2:
        u = u.removesuffix("s")
    for fam, units in enumerate(_UNIT_FAMILIES):
        for _, aliases, factor in units:
            if u in aliases:
                return fam, float(factor)
    return None


def scale(value: int, from_unit: str, to_unit: str) -> tuple[float, str]:
    """pprof's measurement.Scale: value in from_unit expressed in to_unit ("minimum"/"auto"
    pick the largest unit the value is at least 1 of)."""
    if value < 0:
        v, u = scale(-value, from_unit, to_unit)
        return -v, u
    src = _sniff(from_unit)
    if src is None:
        return float(value), ("" if to_unit in _UNITLESS else to_unit)
    fam, factor = src
    v = value * factor
    if to_unit in ("minimum", "auto"):
        best_f, best_u = 0.0, ""
        for name, _, f in _UNIT_FAMILIES[fam]:
            if f >= best_f and v / f >= 1.0:
                best_f, best_u = float(f), name
        if best_f:
            return v / best_f, best_u
        name, f = _DEFAULT_UNIT[fam]
        return v / f, name
    dst = _sniff(to_unit)
    if dst is None or dst[0] != fam:
        name, f = _DEFAULT_UNIT[fam]
        return v / f, name
    canonical = next(n for n, a, f in _UNIT_FAMILIES[fam] if float(f) == dst[1])
    return v / dst[1], canonical


def scaled_label(value: int, from_unit: str, to_unit: str) -> str:
    """``512.02kB``, ``1.50MB``, ``604``: two decimals, ``.00`` dropped, zero as ``0``."""
    v, u = scale(value, from_unit, to_unit)
    sv = f"{v:.2f}".removesuffix(".00")
    if sv in ("0", "-0"):
        return "0"
    return sv + u


def percentage(value: int, total: int) -> str:
    ratio = abs(value / total) * 100 if total else 0.0
    if 99.95 <= ratio <= 100.05:
        return "  100%"
    if ratio >= 1.0:
        return f"{ratio:5.2f}%"
    return f"{ratio:5.2g}%"


def output_unit(res: TopResult, sample_unit: str) -> str:
    """pprof's selectOutputUnit: the smallest non-zero shown value decides, unless the total
    is over 100x bigger in a different unit, then 1/100 of the way up."""
    if not res.rows:
        return "minimum"
    min_value = 0
    for r in res.rows:
        v = abs(r.flat) or abs(r.cum)
        if v and (min_value == 0 or v < min_value):
            min_value = v
    max_value = res.total
    if min_value == 0:
        min_value = max_value
    _, min_unit = scale(min_value, sample_unit, "minimum")
    _, max_unit = scale(max_value, sample_unit, "minimum")
    unit = min_unit
    if min_unit != max_unit and min_value * 100 < max_value:
        _, unit = scale(100 * min_value, sample_unit, "minimum")
    return unit or sample_unit


def profile_labels(profile: Profile, sample_index: int, total: int, fmt: Callable[[int], str]) -> list[str]:
    """File, Build ID, comments, Type, Time and Duration lines, as pprof heads its reports."""
    sample_type, sample_unit = profile.sample_types[sample_index]
    labels = []
    if profile.mappings:
        m = profile.mappings[0]
        if m.file:
            labels.append("File: " + os.path.basename(m.file))
        if m.build_id:
            labels.append("Build ID: " + m.build_id)
    labels.extend(c for c in profile.comments if not c.startswith("#"))
    labels.append("Type: " + sample_type)
    if profile.time_nanos:
        t = time.localtime(profile.time_nanos // 1_000_000_000)
        labels.append("Time: " + time.strftime("%Y-%m-%d %H:%M:%S %Z", t))
    if profile.duration_nanos:
        ratio = ""
        total_ns, unit = scale(total, sample_unit, "nanoseconds")
        if unit == "ns" and total_ns:
            ratio = "(" + percentage(int(total_ns), profile.duration_nanos) + ")"
        duration = scaled_label(profile.duration_nanos, "nanoseconds", "auto")
        labels.append(f"Duration: {duration}, Total samples = {fmt(total)} {ratio}")
    return labels


def render_top(profile: Profile, sample_index: int, res: TopResult,
               filters: list[str] | None = None) -> str:
    """The complete ``go tool pprof -top`` output for an aggregated profile."""
    sample_unit = profile.sample_types[sample_index][1]
    unit = output_unit(res, sample_unit)

    def fmt(v: int) -> str:
        return scaled_label(v, sample_unit, unit)

    lines = profile_labels(profile, sample_index, res.total, fmt)
    if filters:
        lines.append("Active filters:")
        lines.extend("   " + (f[:80] + "…" if len(f) > 80 else f) for f in filters)
    shown = sum(r.flat for r in res.rows)
    lines.append(f"Showing nodes accounting for {fmt(shown)}, {percentage(shown, res.total).strip()} "
                 f"of {fmt(res.total)} total")
    if res.total:
        if res.dropped_nodes:
            plural = "s" if res.dropped_nodes > 1 else ""
            cut = fmt(abs(int(res.total * res.node_fraction)))
            lines.append(f"Dropped {res.dropped_nodes} node{plural} (cum <= {cut})")
        if 0 < len(res.rows) < res.orig_count:
            lines.append(f"Showing top {len(res.rows)} nodes out of {res.orig_count}")
    lines.append(f"{'flat':>10} {'flat':>5}% {'sum':>5}% {'cum':>10} {'cum':>5}%")
    flat_sum = 0
    for r in res.rows:
        flat_sum += r.flat
        inl = " " + r.inline if r.inline else ""
        lines.append(f"{fmt(r.flat):>10} {percentage(r.flat, res.total)} {percentage(flat_sum, res.total)} "
                     f"{fmt(r.cum):>10} {percentage(r.cum, res.total)}  {r.name}{inl}")
    return "\n".join(lines) + "\n"
