"""Human units: sizes like ``64KiB`` / ``1.5MB`` and durations like ``500ms`` / ``2s``."""

from __future__ import annotations

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
