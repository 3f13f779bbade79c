"""The detector x corpus matrix: its HTML page (detectors.html) and its terminal lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..detectors.matrix import Cell
from ..units import rate

BUCKETS = ("tp", "fn", "fp", "tn", "absent", "error")


@dataclass(frozen=True)
class Bucket:
    name: str
    count: int
    links: tuple[tuple[str, str | None], ...]  # (scenario, its page when it has one)


@dataclass(frozen=True)
class CellRow:
    corpus: str
    detector: str
    buckets: tuple[Bucket, ...]
    recall: str
    false_alarms: str
    right_place: str


def rows(cells: Sequence[Cell], scenario_dirs: Mapping[str, str]) -> list[CellRow]:
    """One row per (corpus, detector): counts linking to the scenarios behind them, and the rates."""
    return [CellRow(cell.corpus, cell.detector,
                    tuple(Bucket(b, cell.count(b),
                                 tuple((n, f"{scenario_dirs[n]}/index.html" if n in scenario_dirs else None)
                                       for n in cell.scenarios.get(b, ()))) for b in BUCKETS),
                    rate(cell.recall), rate(cell.false_alarm_rate), rate(cell.right_place_rate))
            for cell in cells]


def write_lines(write_line: Callable[[str], None], cells: Sequence[Cell]) -> None:
    if not cells:
        return
    write_line("")
    write_line("detectors against known truth (per corpus; recall, false-alarm rate, right place of the caught):")
    for c in cells:
        extra = "".join(f" {b}={c.count(b)}" for b in ("absent", "error") if c.count(b))
        write_line(f"  {c.corpus:<10} {c.detector:<14} tp={c.count('tp'):<3} fn={c.count('fn'):<3} "
                   f"fp={c.count('fp'):<3} tn={c.count('tn'):<3} recall {rate(c.recall):>4}  false alarms "
                   f"{rate(c.false_alarm_rate):>4}  right place {rate(c.right_place_rate):>4}{extra}")
