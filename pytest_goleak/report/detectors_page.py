"""The detector x corpus matrix: its HTML page (detectors.html) and its terminal lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

BUCKETS = ("tp", "fn", "fp", "tn", "absent", "error")


def _pct(v: object) -> str:
    return "—" if not isinstance(v, (int, float)) else f"{100 * v:.0f}%"


def rows(detectors: Mapping[str, Any], scenario_dirs: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per (corpus, detector): counts linking to the scenarios behind them, and the rates."""
    out = []
    for cell in detectors.get("cells") or ():
        names = cell.get("scenarios") or {}
        out.append({
            "corpus": cell["corpus"], "detector": cell["detector"],
            "buckets": [{"name": b, "count": cell.get(b, 0),
                         "links": [(n, f"{scenario_dirs[n]}/index.html" if n in scenario_dirs else None)
                                   for n in names.get(b, ())]} for b in BUCKETS],
            "recall": _pct(cell.get("recall")), "false_alarms": _pct(cell.get("false_alarm_rate")),
            "right_place": _pct(cell.get("right_place_rate")),
        })
    return out


def write_lines(write_line: Callable[[str], None], detectors: Mapping[str, Any] | None) -> None:
    cells: Sequence[Mapping[str, Any]] = (detectors or {}).get("cells") or ()
    if not cells:
        return
    write_line("")
    write_line("detectors against known truth (per corpus; recall, false-alarm rate, right place of the caught):")
    for c in cells:
        extra = "".join(f" {b}={c[b]}" for b in ("absent", "error") if c.get(b))
        write_line(f"  {c['corpus']:<10} {c['detector']:<14} tp={c['tp']:<3} fn={c['fn']:<3} fp={c['fp']:<3} "
                   f"tn={c['tn']:<3} recall {_pct(c.get('recall')):>4}  false alarms "
                   f"{_pct(c.get('false_alarm_rate')):>4}  right place {_pct(c.get('right_place_rate')):>4}{extra}")
