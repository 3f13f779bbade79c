#!/usr/bin/env python3
"""Generate README's detector x corpus table from a real run's results.json.

    python scripts/detector_table.py goleak-report/results.json            # print the table
    python scripts/detector_table.py goleak-report/results.json --write README.md

The table sits between the markers ``<!-- detector-table:start -->`` and ``<!-- detector-table:end -->``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--write", type=Path, help="replace the table between the markers in this file")
    args = ap.parse_args()
    text = table(json.loads(args.results.read_text()))
    if not args.write:
        print(text)
        return 0
    doc = args.write.read_text()
    if START not in doc or END not in doc:
        print(f"{args.write}: markers {START} / {END} not found", file=sys.stderr)
        return 2
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    args.write.write_text(f"{head}{START}\n{text}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
