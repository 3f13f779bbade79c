"""pprof's number formatting: units, two decimals, percentages."""

from __future__ import annotations

import pytest

from pytest_goleak.pprof.text import percentage, scale, scaled_label


@pytest.mark.parametrize(("value", "unit", "to", "want"), [
    (524309, "bytes", "auto", "512.02kB"),
    (1572864, "bytes", "auto", "1.50MB"),
    (1024, "bytes", "auto", "1kB"),
    (1023, "bytes", "auto", "1023B"),
    (8192, "bytes", "kB", "8kB"),
    (10240, "bytes", "MB", "0.01MB"),
    (1000, "bytes", "MB", "0"),
    (-1572864, "bytes", "MB", "-1.50MB"),
    (604, "count", "count", "604"),
    (-3, "count", "count", "-3"),
    (0, "bytes", "kB", "0"),
    (1500000000, "nanoseconds", "auto", "1.50s"),
    (3_600_000_000_000, "nanoseconds", "auto", "1hrs"),
    (7, "requests", "minimum", "7"),
])
def test_scaled_label(value: int, unit: str, to: str, want: str) -> None:
    assert scaled_label(value, unit, to) == want


def test_scale_unknown_target_unit_falls_back_to_default() -> None:
    assert scale(2048, "bytes", "furlongs") == (2048.0, "B")


@pytest.mark.parametrize(("value", "total", "want"), [
    (604, 606, "99.67%"),
    (606, 606, "  100%"),
    (0, 606, "    0%"),
    (5, 606, " 0.83%"),
    (1, 100000, "0.001%"),
    (-50, 100, "50.00%"),
    (1, 0, "    0%"),
])
def test_percentage(value: int, total: int, want: str) -> None:
    assert percentage(value, total) == want
