"""`goleak top` against `go tool pprof -top` outputs stored by tests/data/profiles/regen.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pprof_testlib import CASES, DATA, GOLDEN, SPELLINGS, case_id, golden_name, goleak_args

from pytest_goleak import cli
from pytest_goleak.pprof import diff, load
from pytest_goleak.pprof.aggregate import top, top_report
from pytest_goleak.pprof.text import output_unit, scaled_label

ROW = re.compile(r"^\s*(\S+) +\S+% +\S+% +(\S+) +\S+%  (.*?)( \((?:partial-)?inline\))?$")


def test_cases_cover_every_heap_index_and_goroutines() -> None:
    heap = {c.get("sample_index") for c in CASES if ".heap." in c["profile"] and "nodecount" not in c}
    assert {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"} <= heap
    assert any(".goroutine." in c["profile"] and "base" in c for c in CASES)
    assert any(".goroutine." in c["profile"] and "base" not in c for c in CASES)


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_top_output_equals_go_tool_pprof(case: dict[str, Any], spelling: str, utc: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["top", *goleak_args(case, spelling)]) == 0
    assert capsys.readouterr().out == (GOLDEN / golden_name(case)).read_text()


def test_cases_cover_diff_base_and_cum() -> None:
    assert any("diff_base" in c and ".heap." in c["profile"] for c in CASES)
    assert any("diff_base" in c and ".goroutine." in c["profile"] for c in CASES)
    assert any(c.get("cum") and "nodecount" in c for c in CASES)


def _golden_rows(case: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for line in (GOLDEN / golden_name(case)).read_text().splitlines():
        m = ROW.match(line)
        if m and m.group(1) != "flat":
            rows.append((m.group(3), m.group(1), m.group(2)))
    return rows


@pytest.mark.parametrize("case", [c for c in CASES if "focus" not in c], ids=case_id)
def test_api_rows_and_total_match_golden(case: dict[str, Any]) -> None:
    """The numbers through the Python API (not the renderer): same names, same order, and the
    total pprof prints."""
    prof = load(DATA / case["profile"])
    if "base" in case:
        prof = diff.subtract(prof, load(DATA / case["base"]))
    if "diff_base" in case:
        prof = diff.subtract(prof, load(DATA / case["diff_base"]), diff_base=True)
    idx = prof.index_of(case.get("sample_index"))
    by = "line" if case.get("lines") else "function"
    res = top_report(prof, idx, by, nodecount=case.get("nodecount"), cum=bool(case.get("cum")))
    rows, total = list(res.rows), res.total
    if not case.get("cum"):
        assert (rows, total) == tuple(top(prof, idx, by, nodecount=case.get("nodecount")))
    want = _golden_rows(case)
    assert [r.name for r in rows] == [name for name, _, _ in want]
    unit = output_unit(res, prof.unit_of(idx))

    def fmt(v: int) -> str:
        return scaled_label(v, prof.unit_of(idx), unit)

    assert [(fmt(r.flat), fmt(r.cum)) for r in rows] == [(f, c) for _, f, c in want]
    assert f"of {fmt(total)} total" in (GOLDEN / golden_name(case)).read_text()
    if prof.unit_of(idx) == "count":  # counts print exactly: the integers themselves match
        assert [(str(r.flat), str(r.cum)) for r in rows] == [(f, c) for _, f, c in want]
