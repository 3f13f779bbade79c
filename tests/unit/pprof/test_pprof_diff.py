"""subtract == go tool pprof -base (also covered by the goldens), growth rankings on real data."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pprof_testlib import DATA, loc, profile

from pytest_goleak.pprof import Profile, ProfileError, diff, load
from pytest_goleak.pprof.aggregate import top

A, B, MAIN = loc(1, "main.a"), loc(2, "main.b"), loc(3, "main.main")


def test_subtract_negates_base_and_merges_equal_stacks() -> None:
    new = profile([((10,), (A, MAIN)), ((4,), (B, MAIN))], time_nanos=200, duration_nanos=5, period=1)
    # the base's copies of A and MAIN: other ids, same address and frames, so pprof merges them
    a2, main2 = replace(A, id=11), replace(MAIN, id=13)
    base = profile([((3,), (a2, main2)), ((4,), (B, MAIN)), ((2,), (MAIN,)),
                    ((1,), (loc(21, "main.a"), MAIN))], time_nanos=100, duration_nanos=7, period=2)
    d = diff.subtract(new, base)
    got = sorted((tuple(f.function for f in s.frames), s.values) for s in d.samples)
    # equal stacks merge; all-zero samples disappear; another address is another location
    assert got == [(("main.a", "main.main"), (-1,)), (("main.a", "main.main"), (7,)), (("main.main",), (-2,))]
    assert (d.time_nanos, d.duration_nanos, d.period) == (100, 12, 2)
    assert d.total(0) == 10 and d.net(0) == 4  # pprof's total counts change in both directions


def test_subtract_rejects_different_profile_kinds() -> None:
    heap = load(DATA / "global_map_leaky.new.heap.pb.gz")
    gor = load(DATA / "global_map_leaky.new.goroutine.pb.gz")
    with pytest.raises(ProfileError, match="different sample types"):
        diff.subtract(heap, gor)


def test_subtract_self_is_empty() -> None:
    p = load(DATA / "global_map_leaky.new.heap.pb.gz")
    assert diff.subtract(p, p).samples == ()


def test_growth_finds_the_global_map_leak() -> None:
    base = load(DATA / "global_map_leaky.base.heap.pb.gz")
    new = load(DATA / "global_map_leaky.new.heap.pb.gz")
    sites = diff.growth(base, new, limit=5)
    top_site = sites[0]
    assert top_site.function == "main.remember"
    assert top_site.file.endswith("global_map/leaky/main.go")
    assert top_site.stack[0].function == "main.remember"
    assert top_site.delta_space > 300 * 2048  # 600 more requests, 2 KiB each, all retained
    assert top_site.delta_objects > 0 and top_site.objects_grew
    assert [s.delta_space for s in sites] == sorted((s.delta_space for s in sites), reverse=True)
    # the ranking agrees with the inuse_space -base table
    idx = new.index_of("inuse_space")
    rows, _ = top(diff.subtract(new, base), idx)
    assert rows[0].name == "main.remember"


def test_growth_needs_heap_profiles() -> None:
    g = load(DATA / "goroutine_chan_leaky.new.goroutine.pb.gz")
    with pytest.raises(ProfileError, match="inuse_space"):
        diff.growth(g, g)


def test_goroutine_growth_finds_the_blocked_senders() -> None:
    base = load(DATA / "goroutine_chan_leaky.base.goroutine.pb.gz")
    new = load(DATA / "goroutine_chan_leaky.new.goroutine.pb.gz")
    grown = diff.goroutine_growth(base, new)
    first = grown[0]
    assert any(f.function == "main.lookup" for f in first.frames)
    assert first.frames[0].function == "runtime.gopark"
    assert first.delta == first.new_count - first.base_count > 50
    assert first.delta == new.total(0) - base.total(0)  # only the leak grew


def test_goroutine_growth_none_when_nothing_grew() -> None:
    p = load(DATA / "global_map_leaky.new.goroutine.pb.gz")
    assert diff.goroutine_growth(p, p) == []


def _rows(p: Profile) -> list[object]:
    return [(s.values, s.frames, s.labels) for s in p.samples]


def test_subtract_of_parsed_profiles_is_the_sample_by_sample_merge() -> None:
    # parsed profiles take the column-wise path, and its result sums each value index only when
    # asked: same samples, same order, same tops as merging Sample objects one by one
    new, base = load(DATA / "global_map_leaky.new.heap.pb.gz"), load(DATA / "global_map_leaky.base.heap.pb.gz")
    new_s, base_s = (Profile(p.sample_types, p.samples, p.mappings, p.period_type, p.period) for p in (new, base))
    want = diff.subtract(new_s, base_s)
    for i in range(len(new.sample_types)):
        lazy = diff.subtract(new, base)
        assert lazy.total(i) == want.total(i) and lazy.net(i) == want.net(i)
        assert top(lazy, i) == top(want, i)  # before its samples are made
        assert _rows(lazy) == _rows(want)
        assert top(lazy, i) == top(want, i)  # and after
    again = diff.subtract(diff.subtract(new, base), new)
    assert _rows(again) == _rows(diff.subtract(want, new_s))
    assert diff.growth(base, new) == diff.growth(base_s, new_s)


def test_stack_deltas_hold_growth_and_shrinkage_and_sum_to_the_net() -> None:
    base, new = load(DATA / "global_map_leaky.base.heap.pb.gz"), load(DATA / "global_map_leaky.new.heap.pb.gz")
    changed = diff.stack_deltas(base, new, limit=100_000)
    deltas = [d for _, d in changed]
    assert all(d != 0 for d in deltas) and any(d > 0 for d in deltas) and any(d < 0 for d in deltas)
    assert [abs(d) for d in deltas] == sorted((abs(d) for d in deltas), reverse=True)
    merged = diff.subtract(new, base)
    assert sum(deltas) == merged.net(merged.index_of("inuse_space"))
    assert len(diff.stack_deltas(base, new, limit=3)) == 3
