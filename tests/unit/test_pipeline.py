"""The whole pipeline without Docker: Runner.run against a fake Instance serving the committed
profiles, with the real Go load driver -> snapshots, trends, verdict, culprit, results.json, HTML."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_goleak.judge.extension import FLAT_SHARE
from pytest_goleak.judge.verdict import BudgetCheck
from pytest_goleak.options import Settings
from pytest_goleak.record import ScenarioResult
from pytest_goleak.report import results as results_mod
from pytest_goleak.report.html import write_html
from pytest_goleak.run import load
from pytest_goleak.run.runner import Runner
from pytest_goleak.scenario.parse import Load, Scenario
from tests.conftest import _missing
from tests.unit.fake_instance import FakeInstance, Pair, Series

WARMUP = 60
SCHEMA = Path(results_mod.__file__).parents[1] / "schema" / "results.schema.json"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The load driver, built once per session (and cached across sessions by source hash)."""
    cache = Path(os.environ.get("GOLEAK_CACHE_DIR") or tmp_path_factory.mktemp("cache"))
    try:
        load.loadgen_binary(cache)
    except Exception as exc:  # noqa: BLE001 - no Go toolchain and nothing cached
        _missing(f"cannot build the load driver: {exc}")
    return cache


def fake_runner(settings: Settings, fake: FakeInstance) -> Runner:
    """A Runner whose run stage hands out the fake instead of building and starting a fixture."""
    return Runner(settings, "unit", start=lambda scenario, env, evidence, services: fake)


def run_pipeline(tmp_path: Path, cache: Path, pair: Pair, series: Series, expect: str,
                 culprit: str | None = None, **fake_options: Any) -> tuple[ScenarioResult, dict[str, Any]]:
    settings = Settings(enabled=True, report_dir=tmp_path / "report", runtime="local", cache_dir=cache, vet=False)
    scenario = Scenario(path=tmp_path / f"{pair.name}.yaml", name=f"fake_{pair.name}", image="none",
                        expect=expect, culprit=culprit, snapshots=6,
                        load=Load(path="/work", requests=500, warmup_requests=WARMUP, concurrency=4, timeout=2.0))
    fake = FakeInstance(pair, series, switch_at=WARMUP, **fake_options)
    result = fake_runner(settings, fake).run(scenario)
    results = results_mod.build([result], {"runtime": settings.runtime})
    results_mod.write(settings.report_dir, results)
    write_html(settings.report_dir, results_mod.report_of(results))
    written = json.loads((settings.report_dir / "results.json").read_text())
    # read back (as the xdist controller and baselines do), it is the same JSON byte for byte
    entry = written["scenarios"][0]
    assert json.dumps(results_mod.to_json(results_mod.read_scenario(entry))) == json.dumps(entry)
    return result, written


def _budget(result: ScenarioResult, name: str) -> BudgetCheck:
    check = result.budget(name)
    assert check is not None, f"no {name} in {[c.name for c in result.budgets]}"
    return check


def _schema_errors(doc: dict[str, Any]) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def test_goroutine_leak_through_the_whole_pipeline(tmp_path, cache_dir):
    t0 = time.monotonic()
    pair = Pair("goroutine_chan_leaky", leak_frame="main.lookup")
    result, written = run_pipeline(tmp_path, cache_dir, pair, Series(goroutines_per_1k=1000), "leak", "main.lookup")
    elapsed = time.monotonic() - t0
    assert result.error is None, result.message
    main = [x for x in result.snapshots if x.phase == "main"]
    assert len(main) == 6 and result.snapshots[0].requests == WARMUP
    # Over budget at the end of the measured window: the load went on, and the leak kept its full pace
    # at 200 times its budget past 3 times the measured window: decisive, before the 4x bound.
    ext = result.extension
    assert ext is not None and (ext.stopped, ext.outcome) == ("decisive", "leak"), ext
    assert 3 * 500 <= result.snapshots[-1].requests - WARMUP < 4 * 500
    assert result.load is not None and result.load.errors == 0
    assert "trace" in result.artifacts and "trace" in result.stages_s  # a leak's run ends with a trace
    g = result.signals["goroutines"]
    assert g.decision == "growing" and g.slope_per_1k == pytest.approx(1000, rel=0.02)
    assert result.signals["heap_inuse_bytes"].decision == "flat"
    assert _budget(result, "goroutines_per_1k_requests").exceeded is True
    assert _budget(result, "heap_inuse_bytes_per_1k_requests").exceeded is False
    assert (result.verdict, result.passed) == ("leak", True), result.message
    top = result.culprits.culprits[0]
    assert (top.kind, top.function, top.state) == ("goroutine", "main.lookup", "chan send")
    # what the JSON says is what the typed result says
    assert results_mod.read_scenario(written["scenarios"][0]) == results_mod.from_json(results_mod.to_json(result))
    assert written["scenarios"][0]["verdict"] == "leak" and not _schema_errors(written)
    html = (tmp_path / "report" / "index.html").read_text()
    assert "fake_goroutine_chan_leaky" in html and "main.lookup" in html
    print(f"pipeline: {elapsed:.2f}s")


def test_heap_leak_names_the_allocation_site(tmp_path, cache_dir):
    pair = Pair("global_map_leaky", leak_frame="main.")
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000)
    result, written = run_pipeline(tmp_path, cache_dir, pair, series, "leak", "main.remember")
    assert result.signals["heap_inuse_bytes"].decision == "growing"
    assert result.signals["goroutines"].decision == "flat"
    assert _budget(result, "heap_inuse_bytes_per_1k_requests").exceeded is True
    assert (result.verdict, result.passed) == ("leak", True), result.message
    top = result.culprits.culprits[0]
    assert (top.kind, top.function) == ("heap", "main.remember")
    assert not _schema_errors(written)


def test_cache_that_fills_in_the_extension_is_a_plateau(tmp_path, cache_dir):
    pair = Pair("global_map_leaky", leak_frame="main.")
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000, heap_full_at=WARMUP + 900)
    result, written = run_pipeline(tmp_path, cache_dir, pair, series, "clean")
    check = _budget(result, "heap_inuse_bytes_per_1k_requests")
    assert check.measured is not None and check.measured > 64 * 1024  # over, at first
    ext = result.extension
    assert ext is not None and (ext.stopped, ext.outcome) == ("plateau", "plateau"), ext
    # it stopped once flat (FLAT_SHARE of the requests from the start to the fill), before the bound
    assert ext.requests_at_end <= (1 + FLAT_SHARE) * (WARMUP + 1000) + 100 < ext.requests_at_start + 4 * 500
    assert check.exceeded is False and check.plateau_at_requests is not None
    assert 800 <= check.plateau_at_requests <= 1100
    assert (result.verdict, result.passed) == ("clean", True), result.message
    assert "filled at about" in result.message and "then flat" in result.message
    assert [x.phase for x in result.snapshots].count("extension") == ext.snapshots > 0
    assert not _schema_errors(written)


def test_flat_series_is_clean(tmp_path, cache_dir):
    pair = Pair("goroutine_chan_leaky", leak_frame="main.lookup")
    result, written = run_pipeline(tmp_path, cache_dir, pair, Series(), "clean")
    assert {t.decision for t in result.signals.values()} == {"flat"}
    assert not any(c.exceeded for c in result.budgets)
    assert (result.verdict, result.passed) == ("clean", True), result.message
    assert not _schema_errors(written)


def test_a_leak_just_over_its_budget_is_a_leak_and_just_under_is_clean(tmp_path, cache_dir):
    """The budget's boundary, through the whole pipeline: 10 goroutines per 1k requests (one per
    phase) against the default budget of 5 is a leak, twice the budget; 4 per 1k is clean."""
    pair = Pair("goroutine_chan_leaky", leak_frame="main.lookup")
    over, _ = run_pipeline(tmp_path / "over", cache_dir, pair, Series(goroutines_per_1k=10), "leak", "main.lookup")
    check = _budget(over, "goroutines_per_1k_requests")
    assert check.limit == 5.0 and check.measured == pytest.approx(10, rel=0.05) and check.exceeded
    assert (over.verdict, over.passed) == ("leak", True), over.message
    under, _ = run_pipeline(tmp_path / "under", cache_dir, pair, Series(goroutines_per_1k=4), "clean")
    assert under.signals["goroutines"].decision == "growing"  # it grows, within budget
    assert not _budget(under, "goroutines_per_1k_requests").exceeded
    assert (under.verdict, under.passed) == ("clean", True), under.message


def test_a_capture_that_fails_after_enough_snapshots_is_judged_from_them(tmp_path, cache_dir):
    """Past the measured window (6 snapshots at 60..560 requests) the heap profile turns to garbage
    in the extension: the verdict and the culprit come from the good snapshots before it."""
    pair = Pair("global_map_leaky", leak_frame="main.")
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000)
    result, written = run_pipeline(tmp_path, cache_dir, pair, series, "leak", "main.remember",
                                   heap_breaks_at=WARMUP + 700)
    assert (result.verdict, result.passed) == ("leak", True), result.message
    assert result.culprits.culprits[0].function == "main.remember"
    assert result.cut_short is not None and "did not return a gzipped pprof profile" in result.cut_short
    assert len(result.snapshots) >= 6 and result.error is None
    assert "judged from the" in result.message and "good snapshots" in result.message
    assert written["scenarios"][0]["cut_short"] == result.cut_short and not _schema_errors(written)


def test_a_capture_that_fails_before_four_snapshots_is_an_error(tmp_path, cache_dir):
    pair = Pair("global_map_leaky", leak_frame="main.")
    series = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000)
    result, written = run_pipeline(tmp_path, cache_dir, pair, series, "leak", "main.remember",
                                   heap_breaks_at=WARMUP + 150)
    assert result.verdict == "error" and result.cut_short is None
    assert "did not return a gzipped pprof profile" in result.message
    assert not _schema_errors(written)


def test_every_stage_of_a_run_is_timed(tmp_path, cache_dir):
    t0 = time.monotonic()
    result, written = run_pipeline(tmp_path, cache_dir, Pair("global_map_leaky", leak_frame="main."), Series(),
                                   "clean")
    wall = time.monotonic() - t0
    stages = result.stages_s
    # build is the load driver's (cached) here; the fake has no start; vet is off; a clean run has
    # no trace to take; in pipeline order
    assert list(stages) == ["build", "health", "warm-up", "load", "settle", "capture", "idle", "stop", "analyse"]
    assert "trace" not in result.artifacts
    assert all(v >= 0 for v in stages.values())
    assert sum(stages.values()) <= result.duration_s + 0.05 <= wall + 0.05
    # ... and they are the whole of it: the idle window (a second) once went uncounted
    assert sum(stages.values()) >= 0.9 * result.duration_s, (stages, result.duration_s)
    assert written["scenarios"][0]["stages_s"] == dict(stages)
    html = (tmp_path / "report" / result.name / "index.html").read_text()
    assert 'id="stages"' in html and "warm-up" in html
