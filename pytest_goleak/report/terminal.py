"""The compact table printed at the end of ``pytest --goleak``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import signals
from ..units import format_bytes


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


def _verdict(s: Mapping[str, Any]) -> str:
    """The verdict, with what the extension (if any) found: ``clean (plateau @4.2k)``, ``leak (to 8.2k)``."""
    verdict = str(s.get("verdict", "?"))
    ext = s.get("extension") or {}
    if not ext.get("outcome"):
        return verdict
    if ext["outcome"] == "plateau":
        at = [c.get("plateau_at_requests") for c in (s.get("budgets") or {}).values() if c.get("plateau_at_requests")]
        return f"{verdict} (plateau @{_k(max(at))})" if at else f"{verdict} (plateau)"
    return f"{verdict} (to {_k(ext.get('requests_at_end') or 0)})"


def _k(n: float) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else f"{n:.0f}"


def rows(scenarios: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    columns = signals.terminal_columns()
    out = [["scenario", "expect", "verdict", "result", *(c[1] for c in columns), "culprit"]]
    for s in scenarios:
        result = "skip" if s.get("verdict") == "skipped" else "pass" if s.get("passed") else "FAIL"
        out.append([s["name"], s.get("expect") or "-", _verdict(s), result,
                    *(_growth(s, sig, b) for sig, _, b in columns), _culprit(s)])
    return out


def write_summary(write_line: Callable[[str], None], results: Mapping[str, Any], report_path: Path | None) -> None:
    table = rows(results["scenarios"])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        write_line("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1])
    write_line("(* = growing: significant upward trend; figures are Theil-Sen slopes per 1,000 requests over the "
               "measured window; plateau/to: the load went on past a budget to tell filling from leaking)")
    matrix = (results.get("validation") or {}).get("signals") or {}
    if matrix:
        write_line("")
        write_line("validation against known truth (tp fn fp tn per signal):")
        for sig, m in matrix.items():
            write_line(f"  {sig:<22} tp={m['tp']:<3} fn={m['fn']:<3} fp={m['fp']:<3} tn={m['tn']:<3}")
    if report_path:
        write_line(f"report: {report_path}")
