"""Heap figures from stock net/http/pprof: the debug=1 heap text, settling, and what falls back."""

from __future__ import annotations

import pytest

from pytest_goleak import pprof
from pytest_goleak.run import capture
from pytest_goleak.run.load import EntryResult, LoadSummary, PhaseResult
from pytest_goleak.run.runner import godebug
from pytest_goleak.run.runtime.base import InstanceInfo, Status
from pytest_goleak.scenario.parse import Load, Request, Scenario
from tests.unit.fake_instance import FakeInstance as ServingInstance
from tests.unit.fake_instance import Pair, Series

# The tail of a real Go 1.26 /debug/pprof/heap?gc=1&debug=1 answer, records cut.
HEAP_TEXT = b"""heap profile: 12: 34816 [340: 912384] @ heap/8192
1: 8192 [1: 8192] @ 0x4a4f25 0x4a4e6d
#\t0x4a4f24\tmain.remember+0x44\t/src/main.go:23

# runtime.MemStats
# Alloc = 1183624
# TotalAlloc = 9937104
# Sys = 13518864
# Lookups = 0
# Mallocs = 41201
# Frees = 38125
# HeapAlloc = 1183624
# HeapSys = 7798784
# HeapIdle = 5251072
# HeapInuse = 2547712
# HeapReleased = 4407296
# HeapObjects = 3076
# Stack = 622592 / 622592
# MSpan = 102400 / 114240
# NumGC = 17
# NumForcedGC = 6
# GCCPUFraction = 0.00123
# DebugGC = false
"""


def test_memstats_lines_are_the_heap_figures():
    stats, rate = capture.parse_heap_text(HEAP_TEXT)
    assert rate == 4096  # the header says heap/<2*MemProfileRate>
    assert stats["HeapAlloc"] == 1183624 and stats["HeapObjects"] == 3076 and stats["NumGC"] == 17
    assert stats["StackInuse"] == 622592
    snap = capture.Snapshot(index=0, t=0.0, requests=0)
    snap = capture._read_memstats_text(HEAP_TEXT, snap)
    assert (snap.heap_inuse_bytes, snap.heap_objects, snap.heap_source) == (1183624.0, 3076.0, "memstats")
    assert snap.memprofilerate == 4096


@pytest.mark.parametrize("body", [
    b"",  # nothing at all
    b"heap profile: 1: 2 [3: 4] @ heap/1048576\n",  # records but no memstats (trimmed by a proxy)
    HEAP_TEXT.replace(b"# HeapAlloc = 1183624", b"# HeapAlloc = lots"),  # garbled
    HEAP_TEXT.replace(b"# NumGC = 17\n", b""),  # one of the three missing
    b"<html>not found</html>",
])
def test_missing_or_garbled_memstats_fall_back_without_error(body):
    stats, _ = capture.parse_heap_text(body)
    assert stats == {}
    snap = capture.Snapshot(index=0, t=0.0, requests=0)
    snap = capture._read_memstats_text(body, snap)
    assert snap.heap_inuse_bytes is None and snap.heap_source is None


def test_godebug_merges_rate_gctrace_and_the_users_settings_last():
    assert godebug(4096, None) == "memprofilerate=4096,gctrace=1"
    # The runtime reads left to right, later settings overwriting: the user's own rate wins.
    merged = godebug(4096, "memprofilerate=1,madvdontneed=1")
    assert merged == "memprofilerate=4096,gctrace=1,memprofilerate=1,madvdontneed=1"


def _scenario(**load: object) -> Scenario:
    from pathlib import Path

    return Scenario(path=Path("x.yaml"), name="x", load=Load(**load))  # type: ignore[arg-type]


def _summary(*statuses: dict[str, int], errors: int = 0) -> LoadSummary:
    entries = tuple(EntryResult(f"GET /{i}", sum(st.values()) + (errors if i == 0 else 0), 0,
                                errors if i == 0 else 0, 0, st) for i, st in enumerate(statuses))
    status: dict[str, int] = {}
    for st in statuses:
        status.update({k: status.get(k, 0) + v for k, v in st.items()})
    phase = PhaseResult(sum(e.requests for e in entries), 0, errors, 1.0, 1.0, status=status,
                        first_error="EOF" if errors else None, entries=entries)
    return LoadSummary.of((phase,), phase.requests)


def _check_load(scenario: Scenario, summary: LoadSummary) -> None:
    summary.check(scenario.load.entries())


def test_a_run_of_mostly_errors_is_not_the_load_described():
    from pytest_goleak.run.load import LoadError

    with pytest.raises(LoadError, match=r"3300 of 3300 responses \(100%\) were not 2xx/3xx \(504: 3300\)"):
        _check_load(_scenario(), _summary({"504": 3300}))
    with pytest.raises(LoadError, match="transport errors: 200"):
        _check_load(_scenario(), _summary({"200": 1000}, errors=200))
    _check_load(_scenario(), _summary({"200": 990, "500": 10}))  # 1%: a few errors are load
    _check_load(_scenario(expect_status=(404,)), _summary({"404": 2000}))  # declared
    with pytest.raises(LoadError, match="were not 404"):
        _check_load(_scenario(expect_status=(404,)), _summary({"200": 2000}))


def test_the_error_rule_applies_to_each_entry_of_a_mix():
    """A rarely hit entry that always fails is not hidden by a busy entry that succeeds."""
    from pytest_goleak.run.load import LoadError

    mix = (Request("/busy", weight=19), Request("/export", "POST", weight=1, expect_status=(201,)))
    with pytest.raises(LoadError, match=r"100 of 100 responses to POST /export \(100%\) were not 201 \(500: 100\)"):
        _check_load(_scenario(mix=mix), _summary({"200": 1900}, {"500": 100}))
    _check_load(_scenario(mix=mix), _summary({"200": 1900}, {"201": 97, "500": 3}))
    # a mix inherits load.expect_status where an entry declares none
    _check_load(_scenario(mix=mix[:1] + mix[1:], expect_status=(200,)), _summary({"200": 1900}, {"201": 100}))


class FakeInstance:
    """Goroutines that end one by one after the load stops, as short-lived watchers do."""

    base_url = pprof_url = "http://fake"
    info = InstanceInfo("fake")

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts

    def host_pid(self) -> None:
        return None

    def cgroup_memory(self) -> None:
        return None

    def status(self) -> Status:
        return Status(running=True)

    def logs(self) -> str:
        return ""

    def close(self) -> None:
        pass


def test_settle_waits_while_the_count_falls_and_not_longer(monkeypatch):
    falling = iter([18, 16, 13, 10, 10, 10] + [10] * 100)
    monkeypatch.setattr(capture, "goroutine_count", lambda inst, timeout: next(falling))
    waited = capture.settle(FakeInstance([]), quiet=0.05, bound=2.0)
    assert 0 < waited < 1.0
    assert next(falling) == 10  # it read past the last fall

    calls = []
    monkeypatch.setattr(capture, "goroutine_count", lambda inst, timeout: calls.append(1) or 1000)
    assert capture.settle(FakeInstance([]), quiet=0.05, bound=2.0) == 0.0  # a series that never falls
    assert len(calls) < 15


def test_settle_is_bounded_when_the_count_keeps_falling(monkeypatch):
    counter = iter(range(10 ** 6, 0, -1))
    monkeypatch.setattr(capture, "goroutine_count", lambda inst, timeout: next(counter))
    assert capture.settle(FakeInstance([]), quiet=0.05, bound=0.3) <= 0.4


def test_index_page_goroutine_count():
    page = (b"<tr><td>7</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n"
            b"<tr><td>1042</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>\n")
    assert capture._INDEX_GOROUTINES.search(page).group(1) == b"1042"


def test_above_the_cap_the_goroutine_text_dump_is_skipped(tmp_path, monkeypatch):
    """Tens of thousands of goroutines: the count and the stacks come from the proto profile."""
    fake = ServingInstance(Pair("goroutine_chan_leaky", leak_frame="main.lookup"), Series(), switch_at=0)
    try:
        below = capture.take_snapshot(fake, 0, 0.0, 0, tmp_path, tmp_path)
        assert "goroutine_text" in below.profiles
        monkeypatch.setattr(capture, "GOROUTINE_TEXT_CAP", fake.goroutines() - 1)
        fake.paths.clear()
        above = capture.take_snapshot(fake, 1, 0.0, 0, tmp_path, tmp_path)
    finally:
        fake.close()
    assert not any("debug=2" in p for p in fake.paths), fake.paths
    assert "goroutine_text" not in above.profiles and "goroutine" in above.profiles
    proto = pprof.load(tmp_path / above.profiles["goroutine"])
    assert above.goroutines == proto.total(0) > 0


def test_a_light_snapshot_above_the_cap_is_completed_without_the_text_dump(tmp_path, monkeypatch):
    fake = ServingInstance(Pair("goroutine_chan_leaky", leak_frame="main.lookup"), Series(), switch_at=0)
    try:
        monkeypatch.setattr(capture, "GOROUTINE_TEXT_CAP", fake.goroutines() - 1)
        light = capture.take_snapshot(fake, 0, 0.0, 0, tmp_path, tmp_path, light=True)
        assert light.profiles == {} and light.goroutines and light.heap_inuse_bytes is not None
        fake.paths.clear()
        done = capture.complete(fake, light, tmp_path, tmp_path)
    finally:
        fake.close()
    assert not any("debug=2" in p for p in fake.paths), fake.paths
    assert {"heap", "goroutine", "allocs"} <= set(done.profiles) and "goroutine_text" not in done.profiles
    assert done.goroutines == light.goroutines  # the figures are the light snapshot's
