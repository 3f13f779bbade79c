"""judge_run on a driven series, the Judgement constructors, and the Runner's one assembly path,
all with fakes (no Docker, no Go): a clean run, a leak extended until decisive, a capture failure
after enough snapshots (judged from them), an OOM-kill, an error before any snapshot."""

from __future__ import annotations

import dataclasses

from pytest_goleak.judge.extension import ExtensionInfo
from pytest_goleak.judge.judgement import Judgement, judge_run
from tests.unit.drive_fakes import GOROUTINES, HEAP, HEAP_LEAK, WARMUP, Driven, OOMInstance, runner, scenario, settings
from tests.unit.fake_instance import FakeInstance, Series
from tests.unit.fake_load import FakeLoad


def test_judge_run_names_the_leak_and_its_culprit(decisive_leak: Driven):
    s, out, config = decisive_leak.scenario, decisive_leak.outcome, settings(decisive_leak.root)
    j = judge_run(s, out.snapshots, out.extension, config, idle=out.idle)
    assert (j.verdict, j.passed, j.error) == ("leak", True, None), j.message
    assert j.extension is not None and j.extension.outcome == "leak" and j.extension.stopped == "decisive"
    assert j.culprits.top == "main.lookup" and "top growing goroutine stack: main.lookup" in j.message
    assert j.signals["goroutines"].extended is not None  # the whole series' trend beside the window's
    assert j.memprofilerate is not None and j.pprof_command and not j.ignore_listed
    # the same series judged against a truth it does not match fails, with the reason
    wrong = judge_run(dataclasses.replace(s, culprit="main.other"), out.snapshots, out.extension, config)
    assert (wrong.verdict, wrong.passed) == ("leak", False) and "not main.other" in wrong.message


def test_the_constructors_of_a_run_that_was_not_judged():
    ext = ExtensionInfo("goroutines", ("goroutines_per_1k_requests",), 6, 560, 900, 2060, "timeout", 3, 4.0)
    failed = Judgement.failed("CaptureError: long\nstory", "CaptureError: long", ext)
    assert (failed.verdict, failed.passed, failed.error, failed.extension) == ("error", False,
                                                                              "CaptureError: long\nstory", ext)
    assert failed.snapshots == () and failed.memprofilerate is None and failed.culprits.top is None
    skipped = Judgement.skipped("needs redis: set GOLEAK_REDIS_URL")
    assert (skipped.verdict, skipped.passed, skipped.message) == ("skipped", True, "needs redis: set GOLEAK_REDIS_URL")
    oom = Judgement.oom_killed("OOM-killed at 64 MiB after 300 requests", "leak")
    assert (oom.verdict, oom.passed, oom.oom) == ("leak", True, "OOM-killed at 64 MiB after 300 requests")
    assert oom.message.endswith("\n  OOM-killed at 64 MiB after 300 requests")
    assert Judgement.oom_killed("OOM-killed", "clean").passed is False  # a clean twin that runs out of memory


def test_a_clean_run_through_the_runner(tmp_path, instances):
    fake = FakeInstance(GOROUTINES, Series(), switch_at=WARMUP)
    instances.append(fake)
    r = runner(tmp_path, fake).run(scenario(tmp_path, "clean", name="clean"))
    assert (r.verdict, r.passed, r.error, r.cut_short) == ("clean", True, None, None), r.message
    assert r.requests == WARMUP + 500 and len(r.snapshots) == 6 and r.load is not None
    assert list(r.artifacts) == ["log", "gctrace"] and r.container is not None and r.container.runtime == "fake"
    assert list(r.stages_s) == ["build", "health", "warm-up", "load", "settle", "capture", "idle", "stop", "analyse"]


def test_a_capture_failure_after_enough_snapshots_is_judged_from_them(tmp_path, instances):
    fake = FakeInstance(HEAP, HEAP_LEAK, switch_at=WARMUP, heap_breaks_at=WARMUP + 450)
    instances.append(fake)
    r = runner(tmp_path, fake).run(scenario(tmp_path, "leak", "main.remember", name="cut"))
    assert (r.verdict, r.passed, r.error) == ("leak", True, None), r.message
    assert r.cut_short is not None and "did not return a gzipped pprof profile" in r.cut_short
    assert len(r.snapshots) == 5 and r.culprit == "main.remember"
    assert "judged from the 5 good snapshots" in r.message


def test_an_oom_kill_before_enough_snapshots_is_a_leak(tmp_path, instances):
    fake = OOMInstance(HEAP, HEAP_LEAK, killed_at=WARMUP + 150)
    instances.append(fake)
    r = runner(tmp_path, fake).run(scenario(tmp_path, "leak", "main.remember", name="oom"))
    assert (r.verdict, r.passed, r.error) == ("leak", True, None), r.message
    assert r.oom is not None and r.oom.startswith("OOM-killed") and f"after {WARMUP + 200} requests" in r.oom
    assert r.snapshots == () and r.requests == WARMUP + 200  # not judged: too few snapshots
    assert r.container is not None and r.container.status is not None and r.container.status.oom_killed


def test_an_oom_kill_after_enough_snapshots_is_judged_from_them(tmp_path, instances):
    fake = OOMInstance(HEAP, HEAP_LEAK, killed_at=WARMUP + 450)
    instances.append(fake)
    r = runner(tmp_path, fake).run(scenario(tmp_path, "leak", "main.remember", name="oom5"))
    assert (r.verdict, r.passed) == ("leak", True) and r.oom is not None and r.cut_short == r.oom
    assert len(r.snapshots) == 5 and r.culprit == "main.remember"


def test_an_error_before_any_snapshot_keeps_what_was_gathered(tmp_path, instances):
    fake = FakeInstance(HEAP, Series(), switch_at=WARMUP)
    instances.append(fake)
    r = runner(tmp_path, fake, FakeLoad(fake, fail_at=0)).run(scenario(tmp_path, "clean", name="err"))
    assert (r.verdict, r.passed) == ("error", False)
    assert r.error == "the load driver exited: fake failure" and r.message == f"LoadError: {r.error}"
    assert r.snapshots == () and r.budgets == () and r.requests == 0
    assert r.load is not None and r.load.seed == 42  # the partial outcome: the seed to replay it
    assert r.health_path == "/healthz" and "warm-up" in r.stages_s and "log" in r.artifacts


def test_a_sigkill_near_the_memory_limit_the_engine_did_not_flag_is_an_oom_kill(tmp_path, instances):
    """Exit 137 with no OOM flag, the last good snapshot at 78% of the 256 MiB limit: an OOM-kill
    (runner.killed_at_limit, fed the outcome's last snapshot), judged from the five before it."""
    fake = OOMInstance(HEAP, HEAP_LEAK, killed_at=WARMUP + 450, flagged=False, cgroup_bytes=200 * 1024 * 1024)
    instances.append(fake)
    r = runner(tmp_path, fake).run(scenario(tmp_path, "leak", "main.remember", name="sigkill"))
    assert (r.verdict, r.passed, r.error) == ("leak", True, None), r.message
    assert r.oom is not None and "the engine did not flag an OOM" in r.oom and len(r.snapshots) == 5
    far = OOMInstance(HEAP, HEAP_LEAK, killed_at=WARMUP + 450, flagged=False, cgroup_bytes=20 * 1024 * 1024)
    instances.append(far)
    r = runner(tmp_path, far).run(scenario(tmp_path, "leak", "main.remember", name="kill9"))
    assert (r.verdict, r.oom) == ("error", None) and "exited with code 137" in r.message  # someone's kill -9
