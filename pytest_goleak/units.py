"""Human units: sizes like ``64KiB`` / ``1.5MB`` and durations like ``500ms`` / ``2s``, read and written.

The one place where sizes, counts, slopes, seconds and percentages become text, for the verdict's
message, the terminal, the baseline comparison and the HTML report alike. ``figure`` is the
compact form (``1.5KiB``, ``12.0``); the ``fmt_*`` functions the report's (``1.5 KiB``, ``12``, a dash
for what is missing).
"""

from __future__ import annotations

import math
import re

_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3,
}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "": 1.0}


def parse_size(value: object) -> float:
    """Bytes from ``1024``, ``"64KiB"``, ``"1.5MB"``; raises ValueError naming the value."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 64KiB, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a size cannot be negative: {value!r}")
        return float(value)
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m and m.group(2).lower() in _SIZE_UNITS:
            return float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]
    raise ValueError(f"expected a size such as 64KiB or 1.5MB, got {value!r}")


def parse_duration(value: object) -> float:
    """Seconds from ``5``, ``"500ms"``, ``"2s"``, ``"1m"``; raises ValueError naming the value."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 5s, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return float(value)
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m and m.group(2).lower() in _DURATION_UNITS:
            return float(m.group(1)) * _DURATION_UNITS[m.group(2).lower()]
    raise ValueError(f"expected a duration such as 500ms or 5s, got {value!r}")


def format_bytes(n: float) -> str:
    """Binary units with one decimal, keeping the sign: ``-1.5KiB``, ``12.0MiB``."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{sign}{n:.0f}{unit}" if unit == "B" else f"{sign}{n:.1f}{unit}"
        n /= 1024
    raise AssertionError("unreachable")


def figure(value: float | None, unit: str, missing: str = "-") -> str:
    """The compact form: ``format_bytes`` for bytes, one decimal for the rest."""
    if value is None:
        return missing
    return format_bytes(value) if unit == "bytes" else f"{value:.1f}"


def figure_grouped(value: float | None, unit: str, missing: str = "-") -> str:
    """:func:`figure` with thousands grouped (``12,000.0``), as the baseline table prints counts."""
    if value is None:
        return missing
    return format_bytes(value) if unit == "bytes" else f"{value:,.1f}"


def percent_change(fraction: float) -> str:
    """``0.2`` -> ``+20%``."""
    return f"{100 * fraction:+.0f}%"


def percent(part: float, whole: float, missing: str = "\u2014") -> str:
    """``part`` of ``whole`` in whole percent: ``3, 4`` -> ``75%``."""
    return f"{100 * part / whole:.0f}%" if whole else missing


def rate(value: object, missing: str = "\u2014") -> str:
    """A rate between 0 and 1 in whole percent; ``missing`` for anything that is not a number."""
    return missing if isinstance(value, bool) or not isinstance(value, (int, float)) else f"{100 * value:.0f}%"


def kilo(n: float) -> str:
    """``4200`` -> ``4.2k``, ``420`` -> ``420``."""
    return f"{n / 1000:.1f}k" if n >= 1000 else f"{n:.0f}"


# ---------------------------------------------------------------- the HTML report's forms

_BINARY = (("GiB", 1024.0**3), ("MiB", 1024.0**2), ("KiB", 1024.0), ("B", 1.0))
DASH = "\u2014"


def num(v: object) -> float | None:
    """A finite number, or None for anything else (bools, strings, NaN, missing)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def unit_scale(unit: str, magnitude: float) -> tuple[str, float]:
    """Display unit and divisor: bytes become KiB/MiB/GiB by size, counts stay plain."""
    if unit == "bytes":
        for name, div in _BINARY:
            if magnitude >= div:
                return name, div
        return "B", 1.0
    return unit or "", 1.0


def delta_label(value: float, unit: str) -> str:
    """A signed change with its unit: ``+1.0 MiB``, ``\u22128 KiB``, ``+998.2``."""
    sign = "+" if value >= 0 else "\u2212"
    if unit == "bytes":
        disp, div = unit_scale(unit, abs(value))
        return f"{sign}{abs(value) / div:.1f} {disp}" if div > 1 else f"{sign}{abs(value):.0f} B"
    # Whole numbers from 1,000 up (65,575 \u2014 never 6.558e+04), one decimal below, two below one.
    v = abs(value)
    if v >= 1000:
        return f"{sign}{v:,.0f}"
    return f"{sign}{v:.1f}".removesuffix(".0") if v >= 1 else f"{sign}{v:.2g}"


def bytes_label(value: float) -> str:
    """Bytes with a space before the unit and no grouping, for chart labels: ``1.5 KiB``, ``512 B``."""
    disp, div = unit_scale("bytes", abs(value))
    return f"{value / div:.1f} {disp}" if div > 1 else f"{value:.0f} B"


def slope_label(slope: float, unit: str) -> str:
    """``+1.0 MiB/1k req`` or ``+998.2/1k req``."""
    return f"{delta_label(slope, unit)}/1k req"


def fmt_count(v: object) -> str:
    f = num(v)
    if f is None:
        return DASH
    if f == int(f):
        return f"{int(f):,}"
    return f"{f:,.2f}" if abs(f) < 10 else f"{f:,.1f}"


def fmt_bytes(v: object) -> str:
    f = num(v)
    if f is None:
        return DASH
    disp, div = unit_scale("bytes", abs(f))
    return f"{f / div:,.1f} {disp}" if div > 1 else f"{f:,.0f} B"


def fmt_seconds(v: object) -> str:
    f = num(v)
    if f is None:
        return DASH
    return f"{f:.1f} s" if f < 120 else f"{f / 60:.1f} min"


def fmt_value(v: object, unit: object = "count") -> str:
    if unit == "seconds":
        return fmt_seconds(v)
    return fmt_bytes(v) if unit == "bytes" else fmt_count(v)


def fmt_slope(v: object, unit: object = "count") -> str:
    f = num(v)
    return DASH if f is None else slope_label(f, "bytes" if unit == "bytes" else "")


def fmt_delta(v: object, unit: object = "count") -> str:
    f = num(v)
    return DASH if f is None else delta_label(f, "bytes" if unit == "bytes" else "")
