"""Formatting for the HTML report (also its Jinja filters), and the link and name guards.

The values formatted here are numbers the program measured; the guards are for what came from
a profile or a container (paths, names), which is untrusted text.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from urllib.parse import quote

from . import svg

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def num(v: object) -> float | None:
    """A finite number, or None for anything else (bools, strings, NaN, missing)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def fmt_count(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    if f == int(f):
        return f"{int(f):,}"
    return f"{f:,.2f}" if abs(f) < 10 else f"{f:,.1f}"


def fmt_bytes(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    disp, div = svg.unit_scale("bytes", abs(f))
    return f"{f / div:,.1f} {disp}" if div > 1 else f"{f:,.0f} B"


def fmt_value(v: object, unit: object = "count") -> str:
    if unit == "seconds":
        return fmt_seconds(v)
    return fmt_bytes(v) if unit == "bytes" else fmt_count(v)


def fmt_slope(v: object, unit: object = "count") -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    return svg.slope_label(f, "bytes" if unit == "bytes" else "")


def fmt_delta(v: object, unit: object = "count") -> str:
    f = num(v)
    return "\u2014" if f is None else svg.delta_label(f, "bytes" if unit == "bytes" else "")


def fmt_seconds(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    return f"{f:.1f} s" if f < 120 else f"{f / 60:.1f} min"


def short_path(path: object, keep: int = 2) -> str:
    """The last ``keep`` components of a path: enough to recognise, short enough for a table."""
    text = str(path or "")
    parts = [p for p in re.split(r"[\\/]", text) if p]
    return "/".join(parts[-keep:]) if len(parts) > keep else text


def safe_href(path: object, prefix: str = "") -> str | None:
    """A link target for a report-relative path, or None when it could point outside the report.

    Rejects schemes (``javascript:``), absolute paths, backslashes and ``..`` segments, then
    percent-encodes what is left so it cannot break out of the attribute or the URL.
    """
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ":" in path.split("/", 1)[0] or any(p in ("..", "") for p in path.split("/")):
        return None
    return prefix + quote(str(pure), safe="/-_.~")


def scenario_dir_name(name: object, index: int, taken: set[str]) -> str:
    """Directory for a scenario page: its name when that is a plain file name, else a safe stand-in."""
    text = name if isinstance(name, str) else ""
    if not _SAFE_NAME.fullmatch(text) or text in (".", ".."):
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).lstrip("._-")[:80]
        text = cleaned or f"scenario-{index}"
    candidate, n = text, 2
    while candidate.lower() in taken:
        candidate, n = f"{text}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate
