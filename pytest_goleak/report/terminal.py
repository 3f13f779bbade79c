"""The compact table printed at the end of ``pytest --goleak``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .. import signals
from ..detectors.matrix import Cell
from ..judge.verdict import RATE_PER_SECOND
from ..record import ScenarioResult
from ..units import figure, format_bytes, kilo
from .confusion import Validation
from .detectors_page import write_lines


def _growth(s: ScenarioResult, signal: str, is_bytes: bool) -> str:
    t = s.signals.get(signal)
    if not t:
        return "-"
    return figure(t.slope_per_1k, "bytes" if is_bytes else "count") + ("*" if t.decision == "growing" else "")


def _culprit(s: ScenarioResult) -> str:
    culprits = s.culprits.culprits
    if s.verdict != "leak" or not culprits:
        if s.verdict not in ("error", "skipped"):
            return ""
        return ((s.message or s.error or "").splitlines() or [""])[0][:60]
    c = culprits[0]
    return f"{c.function} ({Path(c.file).name}:{c.line})" if c.file else c.function


def _extension(s: ScenarioResult) -> str:
    """What the extension (if any) found, one token: ``plateau@4.2k`` (filled there, then flat) or
    ``growing@8.2k`` (still growing at the bound)."""
    ext = s.extension
    if ext is None or not ext.outcome:
        return "-"
    if ext.outcome == "plateau":
        at = [c.plateau_at_requests for c in s.budgets if c.plateau_at_requests]
        return f"plateau@{kilo(max(at))}" if at else "plateau"
    return f"growing@{kilo(ext.requests_at_end or 0)}"


def _per_day(s: ScenarioResult, rate: float) -> str:
    """A leak's heap growth per day at ``rate`` requests/s (per request in the failure message)."""
    grows = [c.measured for c in s.budgets if c.exceeded and c.unit == "bytes" and c.measured
             and c.name.endswith("_per_1k_requests")]
    if s.verdict != "leak" or not grows:
        return "-"
    return format_bytes(max(grows) / 1000.0 * rate * 86400.0)


def rows(scenarios: Sequence[ScenarioResult], rate: float = RATE_PER_SECOND) -> list[list[str]]:
    columns = signals.terminal_columns()
    out = [["scenario", "expect", "verdict", "result", *(c[1] for c in columns), "heap/day", "extension", "culprit"]]
    for s in scenarios:
        result = "skip" if s.verdict == "skipped" else "pass" if s.passed else "FAIL"
        out.append([s.name, s.expect or "-", s.verdict, result,
                    *(_growth(s, sig, b) for sig, _, b in columns), _per_day(s, rate), _extension(s), _culprit(s)])
    return out


def write_summary(write_line: Callable[[str], None], scenarios: Sequence[ScenarioResult],
                  validation: Validation, report_path: Path | None,
                  detectors: Sequence[Cell] = (), rate: float = RATE_PER_SECOND) -> None:
    """The table, then the validation matrix, then the detector matrix, then where the report is."""
    table = rows(scenarios, rate)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        write_line("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1])
    write_line("(* = growing: significant upward trend; figures are Theil-Sen slopes per 1,000 requests over the "
               f"measured window; heap/day: a leak's heap growth per day at {rate:,.0f} requests/s "
               "(--goleak-rate-per-second); extension: the load went on past a budget to tell filling from leaking)")
    if validation.signals:
        write_line("")
        write_line("validation against known truth (tp fn fp tn per signal):")
        for sig, m in validation.signals.items():
            write_line(f"  {sig:<22} tp={m.tp:<3} fn={m.fn:<3} fp={m.fp:<3} tn={m.tn:<3}")
    write_lines(write_line, detectors)
    if report_path:
        write_line(f"report: {report_path}")
