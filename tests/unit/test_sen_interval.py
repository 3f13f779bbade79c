"""Sen's confidence interval for the Theil–Sen slope, checked against scipy as a reference."""

from __future__ import annotations

import random

import pytest

from pytest_goleak.judge import analysis

stats = pytest.importorskip("scipy.stats")


def _series(n: int, rng: random.Random, ties: bool) -> tuple[list[float], list[float]]:
    xs = [300.0 + 500.0 * i for i in range(n)]  # distinct request counts, as snapshots have
    ys = [10.0 + 0.02 * x + rng.gauss(0, 5) for x in xs]
    if ties:
        ys = [float(round(y / 10) * 10) for y in ys]  # coarse values, as goroutine counts tie
    return xs, ys


@pytest.mark.parametrize("n", range(3, 31))
@pytest.mark.parametrize("ties", [False, True])
def test_sen_interval_matches_scipy(n: int, ties: bool) -> None:
    rng = random.Random(n * 2 + ties)
    for _ in range(5):
        xs, ys = _series(n, rng, ties)
        ref = stats.theilslopes(ys, xs, alpha=0.95)
        lo, hi = analysis.sen_interval(xs, ys)
        assert (lo, hi) == pytest.approx((ref.low_slope, ref.high_slope), rel=1e-12, abs=1e-12)


def test_six_snapshots_take_the_second_smallest_slope() -> None:
    """n = 6: N = 15 slopes, C = 1.96 * sqrt(6*5*17/18) = 10.43, M1 = round(2.28) = 2 -> slopes[1]."""
    xs = [float(i) for i in range(6)]
    ys = [0.0, 1.0, 5.0, 6.0, 20.0, 21.0]
    slopes = sorted((ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(6) for j in range(i + 1, 6))
    assert analysis.sen_interval(xs, ys) == (slopes[1], slopes[13])
