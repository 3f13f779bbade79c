"""``results.json``: the versioned, machine-readable outcome of a run, and the validation matrix."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import __version__

SCHEMA_VERSION = 1
VERDICT_ORDER = {"error": 0, "leak": 1, "clean": 2, "skipped": 3}


def signal_flags(s: Mapping[str, Any]) -> dict[str, bool]:
    """Which signals flagged one scenario: a budget on the signal was exceeded, or, for a signal
    with no budget, its trend was judged ``growing``; ``vet`` flags when a leak finding points at
    the culprit's code."""
    by_budget: dict[str, bool] = {}
    for check in (s.get("budgets") or {}).values():
        sig = check["signal"]
        by_budget[sig] = by_budget.get(sig, False) or bool(check["exceeded"])
    flags = {sig: by_budget.get(sig, trend.get("decision") == "growing")
             for sig, trend in (s.get("signals") or {}).items()}
    if s.get("vet") is not None:
        flags["vet"] = any(f.get("points_at_leak") for f in s["vet"])
    return flags


def validation(scenarios: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per signal, a confusion matrix over scenarios whose truth (``expect``) is known.
    Known leaks are the positives; see :func:`signal_flags` for what flagging means."""
    matrix: dict[str, dict[str, Any]] = {}
    overall = {"tp": 0, "fn": 0, "fp": 0, "tn": 0}
    for s in scenarios:
        if s.get("expect") not in ("leak", "clean") or s.get("verdict") not in ("leak", "clean"):
            continue
        positive = s["expect"] == "leak"
        overall[_cell(positive, s["verdict"] == "leak")] += 1
        for sig, flagged in signal_flags(s).items():
            cell = _cell(positive, flagged)
            m = matrix.setdefault(sig, {"tp": 0, "fn": 0, "fp": 0, "tn": 0, "caught": [], "false_alarms": []})
            m[cell] += 1
            if cell == "tp":
                m["caught"].append(s["name"])
            elif cell == "fp":
                m["false_alarms"].append(s["name"])
    return {"overall": overall, "signals": dict(sorted(matrix.items()))}


def _cell(positive: bool, flagged: bool) -> str:
    if positive:
        return "tp" if flagged else "fn"
    return "fp" if flagged else "tn"


def build(scenarios: list[dict[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    ordered = sorted(scenarios, key=lambda s: (bool(s.get("passed")), VERDICT_ORDER.get(s.get("verdict", ""), 9),
                                               s.get("name", "")))
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "pytest-goleak", "version": __version__},
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "settings": dict(settings),
        "scenarios": ordered,
        "validation": validation(ordered),
        "comparison": None,
    }


def write(report_dir: Path, results: Mapping[str, Any]) -> Path:
    """Write results.json atomically (a reader never sees half a file)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "results.json"
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=False, default=str) + "\n")
    os.replace(tmp, path)
    return path
