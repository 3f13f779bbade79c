#!/usr/bin/env python3
"""Generate README's detector x corpus table from a real run's results.json.

    python scripts/detector_table.py goleak-report/results.json            # print the table
    python scripts/detector_table.py goleak-report/results.json --write README.md

The table sits between the markers ``<!-- detector-table:start -->`` and ``<!-- detector-table:end -->``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _markers as markers  # noqa: E402

START, END = "<!-- detector-table:start -->", "<!-- detector-table:end -->"


def _pct(v: object) -> str:
    return "—" if not isinstance(v, (int, float)) else f"{100 * v:.0f}%"


def table(results: dict) -> str:
    cells = (results.get("detectors") or {}).get("cells") or []
    lines = ["| corpus | detector | tp | fn | fp | tn | absent / error | recall | false alarms | right place |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in cells:
        lines.append(f"| {c['corpus']} | `{c['detector']}` | {c['tp']} | {c['fn']} | {c['fp']} | {c['tn']} | "
                     f"{c['absent']} / {c['error']} | {_pct(c.get('recall'))} | {_pct(c.get('false_alarm_rate'))} | "
                     f"{_pct(c.get('right_place_rate'))} |")
    return "\n".join(lines)


def main() -> int:
    return markers.main(__doc__ or "", table, START, END)


if __name__ == "__main__":
    sys.exit(main())
