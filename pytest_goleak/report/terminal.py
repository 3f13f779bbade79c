"""The compact table printed at the end of ``pytest --goleak``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..units import format_bytes

_COLUMNS = (("goroutines", "goroutines/1k", False), ("heap_inuse_bytes", "heap/1k", True), ("fds", "fds/1k", False))


def _growth(s: Mapping[str, Any], signal: str, is_bytes: bool) -> str:
    t = (s.get("signals") or {}).get(signal)
    if not t:
        return "-"
    v = float(t["slope_per_1k"])
    text = format_bytes(v) if is_bytes else f"{v:.1f}"
    return text + ("*" if t.get("decision") == "growing" else "")


def _culprit(s: Mapping[str, Any]) -> str:
    if s.get("verdict") != "leak" or not s.get("culprits"):
        if s.get("verdict") not in ("error", "skipped"):
            return ""
        return ((s.get("message") or s.get("error") or "").splitlines() or [""])[0][:60]
    c = s["culprits"][0]
    return f"{c['function']} ({Path(c['file']).name}:{c['line']})" if c.get("file") else c["function"]


def _extension(s: Mapping[str, Any]) -> str:
    """What the extension (if any) found, one token: ``plateau@4.2k`` (filled there, then flat) or
    ``growing@8.2k`` (still growing at the bound)."""
    ext = s.get("extension") or {}
    if not ext.get("outcome"):
        return "-"
    if ext["outcome"] == "plateau":
        at = [c.get("plateau_at_requests") for c in (s.get("budgets") or {}).values() if c.get("plateau_at_requests")]
        return f"plateau@{_k(max(at))}" if at else "plateau"
    return f"growing@{_k(ext.get('requests_at_end') or 0)}"


def _k(n: float) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else f"{n:.0f}"


def rows(scenarios: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    out = [["scenario", "expect", "verdict", "result", *(c[1] for c in _COLUMNS), "extension", "culprit"]]
    for s in scenarios:
        result = "skip" if s.get("verdict") == "skipped" else "pass" if s.get("passed") else "FAIL"
        out.append([s["name"], s.get("expect") or "-", str(s.get("verdict", "?")), result,
                    *(_growth(s, sig, b) for sig, _, b in _COLUMNS), _extension(s), _culprit(s)])
    return out


def write_summary(write_line: Callable[[str], None], results: Mapping[str, Any], report_path: Path | None) -> None:
    table = rows(results["scenarios"])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        write_line("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1])
    write_line("(* = growing: significant upward trend; figures are Theil-Sen slopes per 1,000 requests over the "
               "measured window; extension: the load went on past a budget to tell filling from leaking)")
    matrix = (results.get("validation") or {}).get("signals") or {}
    if matrix:
        write_line("")
        write_line("validation against known truth (tp fn fp tn per signal):")
        for sig, m in matrix.items():
            write_line(f"  {sig:<22} tp={m['tp']:<3} fn={m['fn']:<3} fp={m['fp']:<3} tn={m['tn']:<3}")
    from .detectors_page import write_lines

    write_lines(write_line, results.get("detectors"))
    if report_path:
        write_line(f"report: {report_path}")
