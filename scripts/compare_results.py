#!/usr/bin/env python3
"""Compare two results.json files field by field: keys, types and nested shapes.

    python scripts/compare_results.py BEFORE/results.json AFTER/results.json [SCENARIO ...]

Both documents are first validated against pytest_goleak/schema/results.schema.json (with
jsonschema). Then, for each named scenario (default: every scenario in both), every path is
compared: a key present on one side only, a different JSON type, a list of different length
where lengths are structural (not measurements), or a different value for a field that is not a
measurement. Measured values (numbers, timings, paths with run ids, messages carrying figures)
may differ by noise and are compared by type only. Exit status 1 when any difference is listed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[1] / "pytest_goleak" / "schema" / "results.schema.json"
#: Lists whose length depends on the run (series, stacks, phases, findings): shape of the items only.
_VARIABLE_LISTS = {"series", "snapshots", "phases", "culprits", "stack", "heap_diff_stacks", "goroutine_groups",
                   "inuse_space", "inuse_objects", "gctrace_excerpt", "source_context", "wait_minutes", "notes",
                   "hardening", "plateaus", "ignored_goroutines", "analysis_errors", "vet"}
#: String fields that carry measurements, ids or times.
_NOISY_STRINGS = {"message", "detail", "id", "name", "pprof_command", "pprof_diff_base_command", "first_error",
                  "log", "trace", "gctrace", "source", "hash", "function", "file", "state", "created_by",
                  "reason", "error", "image", "binary", "report_dir"}


def kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return type(v).__name__


def compare(a: Any, b: Any, path: str, out: list[str]) -> None:
    ka, kb = kind(a), kind(b)
    if ka != kb:
        # null against a value is a shape change only where the field is never null by nature
        out.append(f"{path}: type {ka} -> {kb} ({_short(a)} -> {_short(b)})")
        return
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in b:
                out.append(f"{path}.{key}: only before ({_short(a[key])})")
            elif key not in a:
                out.append(f"{path}.{key}: only after ({_short(b[key])})")
            else:
                compare(a[key], b[key], f"{path}.{key}", out)
        return
    if isinstance(a, list):
        last = path.rsplit(".", 1)[-1].split("[")[0]
        if last not in _VARIABLE_LISTS and len(a) != len(b):
            out.append(f"{path}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            compare(x, y, f"{path}[{i}]", out)
        return
    last = path.rsplit(".", 1)[-1].split("[")[0]
    noisy = last in _NOISY_STRINGS or last in _VARIABLE_LISTS
    if ka in ("str", "bool") and a != b and not noisy:
        out.append(f"{path}: value {a!r} -> {b!r}")


def _short(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def validate(doc: dict[str, Any], where: str) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def main(argv: list[str]) -> int:
    before_path, after_path, *names = argv
    before, after = json.loads(Path(before_path).read_text()), json.loads(Path(after_path).read_text())
    problems = validate(before, before_path) + validate(after, after_path)
    print(f"schema: before {'valid' if not validate(before, '') else 'INVALID'}, "
          f"after {'valid' if not validate(after, '') else 'INVALID'}")
    by_a = {s["name"]: s for s in before["scenarios"]}
    by_b = {s["name"]: s for s in after["scenarios"]}
    names = names or sorted(set(by_a) | set(by_b))
    diffs: list[str] = []
    for name in names:
        if name not in by_a or name not in by_b:
            diffs.append(f"{name}: only {'after' if name in by_b else 'before'}")
            continue
        found: list[str] = []
        compare(by_a[name], by_b[name], f"$[{name}]", found)
        diffs += found
        print(f"{name}: {len(found)} difference(s)")
    top: list[str] = []
    compare({k: v for k, v in before.items() if k not in ("scenarios", "created")},
            {k: v for k, v in after.items() if k not in ("scenarios", "created")}, "$", top)
    diffs += [d for d in top if not d.startswith("$.validation")]  # the matrix follows the verdicts
    for line in problems + diffs:
        print(line)
    return 1 if problems or diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
