import random

import pytest

from pytest_goleak.judge import analysis
from pytest_goleak.run.capture import Snapshot


def series(values, step=500, start=300):
    return [(start + i * step, float(v)) for i, v in enumerate(values)]


def test_theil_sen_ignores_one_outlier():
    xs = [0, 1, 2, 3, 4, 5]
    ys = [0, 2, 4, 100, 8, 10]
    assert analysis.theil_sen(xs, ys) == pytest.approx(2.0)


def test_linear_leak_is_growing_with_exact_slope():
    t = analysis.trend(series([10 + 500 * i for i in range(6)]), "count")
    assert t.decision == "growing"
    assert t.slope_per_1k == pytest.approx(1000.0)
    assert t.ci[0] <= t.slope_per_1k <= t.ci[1]
    assert t.p_value < 0.01


def test_noise_is_flat():
    rng = random.Random(7)
    flat_calls = 0
    for _ in range(200):
        t = analysis.trend(series([100 + rng.gauss(0, 5) for _ in range(6)]), "count")
        flat_calls += t.decision == "flat"
    # One-sided alpha 0.05: pure noise is called growing rarely; 200 trials keep this stable.
    assert flat_calls >= 180


def test_plateau_is_not_a_leak():
    t = analysis.trend(series([100, 600, 1000, 1010, 1010, 1012, 1011, 1013]), "bytes")
    assert t.decision == "plateau"
    assert t.late_slope_per_1k < 0.2 * t.slope_per_1k


def test_decreasing_is_flat():
    t = analysis.trend(series([100, 90, 80, 70, 60, 50]), "count")
    assert t.decision == "flat" and t.slope_per_1k < 0


def test_mann_kendall_constant_series():
    assert analysis.mann_kendall([5, 5, 5, 5, 5]) == 1.0


def test_trends_skip_missing_signals():
    snaps = [Snapshot(index=i, t=float(i), requests=100 * i, goroutines=10 + i, fds=None) for i in range(4)]
    out = analysis.trends(snaps)
    assert "goroutines" in out and "fds" not in out


GCTRACE = "\n".join([
    "gc 1 @0.004s 1%: 0.010+0.20+0.002 ms clock, 0.020+0/0.1/0+0.004 ms cpu, 3->3->0 MB, 4 MB goal, "
    "0 MB stacks, 0 MB globals, 2 P",
    "some other log line",
    "gc 2 @1.500s 0%: 0.011+0.31+0.003 ms clock, 0.022+0.1/0.2/0+0.006 ms cpu, 4->4->2 MB, 5 MB goal, "
    "0 MB stacks, 0 MB globals, 2 P (forced)",
])


def test_parse_gctrace():
    events = analysis.parse_gctrace(GCTRACE)
    assert [e.number for e in events] == [1, 2]
    assert events[1].live_heap == 2 * 1024 * 1024 and events[1].goal == 5 * 1024 * 1024
