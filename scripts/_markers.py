"""The command line both README table generators share: print a table, or write it between markers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(doc: str, table: Callable[[dict[str, Any]], str], start: str, end: str) -> int:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("--write", type=Path, help="replace the table between the markers in this file")
    args = ap.parse_args()
    text = table(json.loads(args.results.read_text()))
    if not args.write:
        print(text)
        return 0
    page = args.write.read_text()
    if start not in page or end not in page:
        print(f"{args.write}: markers {start} / {end} not found", file=sys.stderr)
        return 1
    head, rest = page.split(start, 1)
    _, tail = rest.split(end, 1)
    args.write.write_text(f"{head}{start}\n{text}\n{end}{tail}")
    return 0
