"""The drive loop alone: Driver.run against a fake instance with a fake load driver (no Docker,
no Go). It returns a frozen DriveOutcome; a failure raises DriveFailed carrying the outcome so far."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.judge.extension import FLAT_SHARE
from pytest_goleak.run.capture import CaptureError
from pytest_goleak.run.drive import DriveFailed, DriveOutcome, Driver, OOMKilled
from pytest_goleak.run.load import LoadError
from tests.unit.drive_fakes import GOROUTINES, HEAP, HEAP_LEAK, WARMUP, Driven, OOMInstance, scenario
from tests.unit.fake_instance import FakeInstance, Pair, Series
from tests.unit.fake_load import FakeLoad


def drive(tmp_path: Path, fake: FakeInstance, load: FakeLoad | None = None, expect: str = "leak") -> DriveOutcome:
    s = scenario(tmp_path, expect)
    out = tmp_path / "report" / s.name
    out.mkdir(parents=True, exist_ok=True)
    return Driver(s, fake, (), out, tmp_path / "report", load_driver=load or FakeLoad(fake)).run(Path("unused"))


def started(instances: list[FakeInstance], pair: Pair, series: Series, **options: int) -> FakeInstance:
    fake = FakeInstance(pair, series, switch_at=WARMUP, **options)
    instances.append(fake)
    return fake


def test_a_flat_series_is_the_measured_window_and_no_more(tmp_path, instances):
    fake = started(instances, GOROUTINES, Series())
    load = FakeLoad(fake)
    out = drive(tmp_path, fake, load, "clean")
    assert [s.phase for s in out.snapshots] == ["main"] * 6
    assert [s.requests for s in out.snapshots] == [WARMUP + 100 * i for i in range(6)]
    assert out.requests == fake.hits == WARMUP + 500
    assert out.extension is None and "trace" not in out.artifacts  # within budget: no trace
    assert out.load is not None and out.load.driver_requests == WARMUP + 500 and out.load.seed == 42
    assert len(out.load.phases) == 6  # the warm-up and five phases between six snapshots
    assert {"warm-up", "load", "settle", "capture"} <= set(out.stages_s) and "extension" not in out.stages_s
    assert load.closed
    with pytest.raises(AttributeError):
        out.requests = 0  # type: ignore[misc]  # frozen


def test_a_leak_goes_on_into_the_extension_until_decisive(decisive_leak: Driven):
    out = decisive_leak.outcome
    ext = out.extension
    assert ext is not None and ext.stopped == "decisive" and ext.budgets == ("goroutines_per_1k_requests",)
    assert ext.outcome is None  # judged later, by judge_run
    phases = [s.phase for s in out.snapshots]
    assert phases[:6] == ["main"] * 6 and set(phases[6:]) == {"extension"} and len(phases) - 6 == ext.snapshots
    assert ext.requests_at_end == out.snapshots[-1].requests < ext.bound_requests  # before the bound
    # the intermediate extension snapshots keep their figures, not their files
    assert all(not s.profiles for s in out.snapshots[6:-1]) and out.snapshots[-1].profiles
    assert "trace" in out.artifacts and "extension" in out.stages_s and "trace" in out.stages_s


def test_the_extension_reads_figures_and_only_its_last_snapshot_fetches_profiles(tmp_path, instances):
    fake = started(instances, HEAP, HEAP_LEAK)
    out = drive(tmp_path, fake)
    ext = out.extension
    assert ext is not None and ext.snapshots >= 2, ext
    full = [s.index for s in out.snapshots if s.profiles]
    assert full == [*range(6), out.snapshots[-1].index]  # the measured window and the extension's last
    assert all(s.heap_inuse_bytes is not None and s.goroutines is not None for s in out.snapshots)
    # Profiles fetched: one set per full snapshot, and the warm-up's one priming set; the heap
    # profile never with a second forced collection (the memstats read before it ran one).
    allocs = [p for p in fake.paths if p.startswith("/debug/pprof/allocs")]
    heaps = [p for p in fake.paths if p.split("?")[0] == "/debug/pprof/heap" and "debug=1" not in p]
    assert len(allocs) == len(full) + 1 and len(heaps) == len(full) + 1, (allocs, heaps)
    assert all("gc=1" not in p for p in heaps)
    # every snapshot, light or full, read the exact heap after a forced collection
    assert sum("heap?gc=1&debug=1" in p for p in fake.paths) == len(out.snapshots) + 1


def test_a_cache_that_fills_stops_the_extension_at_its_plateau(tmp_path, instances):
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000, heap_full_at=WARMUP + 900)
    out = drive(tmp_path, started(instances, HEAP, series), expect="clean")
    ext = out.extension
    assert ext is not None and ext.stopped == "plateau"
    # Full by the snapshot at WARMUP + 1,000 requests at the latest; flat for FLAT_SHARE of the
    # requests since the start, it stops at the next snapshot, well before the bound (4 x 500 more).
    assert out.snapshots[-1].requests <= (1 + FLAT_SHARE) * (WARMUP + 1000) + 100 < ext.requests_at_start + 4 * 500


def capture_failing_at(tmp_path: Path, instances: list[FakeInstance], requests: int,
                       what: str = "heap") -> DriveOutcome:
    """The outcome DriveFailed carries when the heap profile (``what="heap"``) or the goroutine
    text (``"text"``, read by the extension's light snapshots too) breaks past ``requests``."""
    fake = started(instances, HEAP, HEAP_LEAK, **{f"{what}_breaks_at": requests})
    with pytest.raises(DriveFailed) as info:
        drive(tmp_path, fake)
    assert isinstance(info.value.cause, CaptureError)
    return info.value.outcome


def test_a_capture_that_fails_carries_the_good_snapshots(tmp_path, instances):
    out = capture_failing_at(tmp_path, instances, WARMUP + 450)
    assert [s.requests for s in out.snapshots] == [WARMUP + 100 * i for i in range(5)]  # the good ones
    assert out.requests == WARMUP + 500 and out.extension is None
    assert out.load is not None and out.load.seed == 42


def test_a_capture_that_fails_in_the_extension_carries_what_the_extension_did(tmp_path, instances):
    out = capture_failing_at(tmp_path, instances, WARMUP + 750, "text")
    ext = out.extension
    assert ext is not None and ext.stopped == "cut_short", ext
    assert ext.requests_at_start == WARMUP + 500 and ext.requests_at_end == out.snapshots[-1].requests == WARMUP + 700
    assert ext.snapshots == 2 and [s.phase for s in out.snapshots[6:]] == ["extension"] * 2


def test_an_oom_kill_carries_what_was_gathered(tmp_path, instances):
    fake = OOMInstance(HEAP, HEAP_LEAK, killed_at=WARMUP + 250)
    instances.append(fake)
    with pytest.raises(DriveFailed) as info:
        drive(tmp_path, fake)
    assert isinstance(info.value.cause, OOMKilled)
    assert f"after {WARMUP + 300} requests" in str(info.value.cause)
    out = info.value.outcome
    assert len(out.snapshots) == 3 and out.requests == WARMUP + 300


def test_a_load_failure_before_any_snapshot_carries_the_seed(tmp_path, instances):
    fake = started(instances, HEAP, Series())
    load = FakeLoad(fake, fail_at=0)  # the warm-up
    with pytest.raises(DriveFailed) as info:
        drive(tmp_path, fake, load)
    assert isinstance(info.value.cause, LoadError)
    out = info.value.outcome
    assert out.snapshots == () and out.requests == 0 and fake.hits == 0
    assert out.load is not None and out.load.seed == 42 and out.load.phases == ()  # the seed replays it
    assert "warm-up" in out.stages_s and load.closed


def test_a_cache_found_filling_takes_no_trace_and_a_leak_does(tmp_path, instances, decisive_leak: Driven):
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000, heap_full_at=WARMUP + 900)
    out = drive(tmp_path, started(instances, HEAP, series), expect="clean")
    assert out.extension is not None and out.extension.stopped == "plateau"
    assert "trace" not in out.artifacts and "trace" not in out.stages_s
    assert "trace" in decisive_leak.outcome.artifacts


def test_the_trace_lasts_about_as_long_as_its_burst() -> None:
    from pytest_goleak.run.drive import TRACE_MAX_S, TRACE_MIN_S, trace_seconds

    assert trace_seconds(400, 10_000.0) == TRACE_MIN_S  # 40 ms of load: the shortest trace
    assert trace_seconds(3_000, 1_000.0) == 0.75  # 500 requests (the burst's cap) at 1,000/s, and half again
    assert trace_seconds(500, 100.0) == TRACE_MAX_S  # a slow service: at most a second
    assert trace_seconds(500, 0.0) == TRACE_MAX_S  # rate unknown
