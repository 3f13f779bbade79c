"""Flat/cum semantics on hand-built profiles, where the right answer is obvious."""

from __future__ import annotations

import pytest
from pprof_testlib import loc, profile

from pytest_goleak.pprof import ProfileError
from pytest_goleak.pprof.aggregate import top, top_report

MAIN, HANDLER = loc(1, "main.main"), loc(2, "main.handler")
ALLOC, RECURSE = loc(3, "main.alloc"), loc(4, "main.walk")


def rows_of(prof, **kw):  # type: ignore[no-untyped-def]
    rows, total = top(prof, 0, **kw)
    return {r.name: (r.flat, r.cum) for r in rows}, total


def test_flat_goes_to_leaf_cum_to_every_frame() -> None:
    p = profile([((5,), (ALLOC, HANDLER, MAIN)), ((3,), (HANDLER, MAIN))])
    rows, total = rows_of(p)
    assert total == 8
    assert rows == {"main.alloc": (5, 5), "main.handler": (3, 8), "main.main": (0, 8)}


def test_recursion_counts_once_in_cum() -> None:
    p = profile([((7,), (RECURSE, RECURSE, RECURSE, MAIN))])
    rows, _ = rows_of(p)
    assert rows["main.walk"] == (7, 7)
    assert rows["main.main"] == (0, 7)


def test_inlined_frames_are_nodes_and_flat_is_leaf_most() -> None:
    p = profile([((4,), (loc(9, "strings.Repeat", "main.handler"), MAIN))] * 1)
    res = top_report(p, 0)
    by_name = {r.name: r for r in res.rows}
    assert (by_name["strings.Repeat"].flat, by_name["main.handler"].flat) == (4, 0)
    assert by_name["strings.Repeat"].inline == "(inline)"
    assert by_name["main.handler"].inline == ""


def test_sorted_by_flat_then_name() -> None:
    p = profile([((2,), (loc(5, "b.x"),)), ((2,), (loc(6, "a.x"),)), ((9,), (loc(7, "z.x"),))])
    assert [r.name for r in top(p, 0)[0]] == ["z.x", "a.x", "b.x"]


def test_nodecount_and_lines() -> None:
    p = profile([((5,), (ALLOC, HANDLER, MAIN)), ((3,), (HANDLER, MAIN))])
    rows, _ = top(p, 0, nodecount=1)
    assert [r.name for r in rows] == ["main.alloc"]
    rows, _ = top(p, 0, by="line")
    assert rows[0].name == "main.alloc main.go:10"
    assert rows[0].frame is not None and rows[0].frame.line == 10


def test_small_nodes_are_dropped_like_pprof() -> None:
    # 1/1001 < nodefraction 0.005
    p = profile([((1000,), (ALLOC, MAIN)), ((1,), (loc(8, "main.tiny"), MAIN))])
    res = top_report(p, 0)
    assert [r.name for r in res.rows] == ["main.alloc", "main.main"]
    assert res.dropped_nodes == 1 and res.total == 1001


def test_focus_keeps_samples_with_any_matching_frame() -> None:
    p = profile([((5,), (ALLOC, HANDLER, MAIN)), ((3,), (loc(10, "other.f"), MAIN))])
    rows, total = rows_of(p, focus="handler")
    assert total == 8  # pprof's total is taken before focusing
    assert rows == {"main.alloc": (5, 5), "main.handler": (0, 5), "main.main": (0, 5)}


def test_ignore_drops_samples_with_any_matching_frame() -> None:
    p = profile([((5,), (ALLOC, HANDLER, MAIN)), ((3,), (loc(10, "other.f"), MAIN))])
    rows, _ = rows_of(p, ignore="alloc")
    assert rows == {"other.f": (3, 3), "main.main": (0, 3)}
    rows, _ = rows_of(p, focus="main", ignore="other")
    assert "other.f" not in rows


def test_focus_matches_file_names_too() -> None:
    p = profile([((5,), (ALLOC, MAIN)), ((3,), (loc(10, "other.f"),))])
    rows, _ = rows_of(p, focus=r"^other\.go$")
    assert rows == {"other.f": (3, 3)}


def test_by_stack() -> None:
    p = profile([((5,), (ALLOC, HANDLER, MAIN)), ((3,), (HANDLER, MAIN)), ((2,), (ALLOC, HANDLER, MAIN))])
    rows, total = top(p, 0, by="stack")
    assert [(r.name, r.flat, r.cum) for r in rows] == [
        ("main.main;main.handler;main.alloc", 7, 7), ("main.main;main.handler", 3, 3)]
    assert rows[0].frames[0].function == "main.alloc"
    assert total == 10


def test_bad_arguments() -> None:
    p = profile([((5,), (ALLOC,))])
    with pytest.raises(ProfileError, match="bad focus regex"):
        top(p, 0, focus="(")
    with pytest.raises(ProfileError, match="outside"):
        top(p, 3)
    with pytest.raises(ProfileError, match="unknown aggregation"):
        top(p, 0, by="file")  # type: ignore[arg-type]
