"""Chart geometry and labelling, from plain series."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pytest_goleak.report import svg

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [(0, 3256, [0, 1000, 2000, 3000, 4000]), (4.1, 7.5, [4, 5, 6, 7, 8]), (9, 9, [8, 8.5, 9, 9.5, 10])],
)
def test_nice_ticks_cover_the_range_with_round_steps(lo: float, hi: float, expected: list[float]) -> None:
    ticks = svg.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi
    assert ticks == pytest.approx(expected)


@pytest.mark.parametrize(
    ("unit", "magnitude", "expected"),
    [
        ("bytes", 500, "B"),
        ("bytes", 300_000, "KiB"),
        ("bytes", 7_500_000, "MiB"),
        ("bytes", 3e9, "GiB"),
        ("count", 3e9, "count"),
    ],
)
def test_unit_scale_picks_binary_units_for_bytes_only(unit: str, magnitude: float, expected: str) -> None:
    assert svg.unit_scale(unit, magnitude)[0] == expected


def test_slope_labels_carry_sign_and_unit() -> None:
    assert svg.slope_label(1_100_000, "bytes") == "+1.0 MiB/1k req"
    assert svg.slope_label(-2048, "bytes") == "\u22122.0 KiB/1k req"
    assert svg.slope_label(998.2, "count") == "+998.2/1k req"


def test_clean_series_drops_malformed_points() -> None:
    raw = [[3, 1], [1, 2], ["x", 1], [2], None, [4, float("nan")], [5, True], (0, 0)]
    assert svg.clean_series(raw) == [(0, 0), (1, 2), (3, 1)]
    assert svg.clean_series(None) == []


def test_slope_budget_starts_at_first_point_and_rises_by_limit_per_1k() -> None:
    points = [(300.0, 12.0), (1300.0, 20.0), (3300.0, 40.0)]
    start, end = svg.budget_line(points, svg.Budget("slope", 5, "budget"))
    assert start == (300.0, 12.0)
    assert end == (3300.0, pytest.approx(12.0 + 5 * 3))


def test_cap_budget_is_horizontal() -> None:
    (_, y0), (_, y1) = svg.budget_line([(0.0, 1.0), (10.0, 2.0)], svg.Budget("cap", 5000, "cap"))
    assert y0 == y1 == 5000


def test_fit_line_matches_an_exact_linear_series() -> None:
    points = [(x, 7 + 0.5 * x) for x in (0.0, 1000.0, 2000.0)]
    (x0, y0), (x1, y1) = svg.fit_line(points, 500)
    assert (y0, y1) == (pytest.approx(7), pytest.approx(1007))


def test_chart_has_title_axes_ticks_units_and_legend() -> None:
    series = [[300, 4_200_000], [1380, 5_400_000], [3540, 7_800_000]]
    chart = svg.line_chart(
        chart_id=3,
        title="Heap in use",
        unit="bytes",
        series=series,
        slope_per_1k=1_100_000,
        budget=svg.Budget("slope", 262144, "budget +256.0 KiB/1k req"),
    )
    root = _parse(chart)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Heap in use" in texts and "requests served" in texts and "MiB" in texts
    assert "fit +1.0 MiB/1k req" in texts and "budget +256.0 KiB/1k req" in texts
    ticks = [t.text for t in root.findall(".//s:text[@class='tick']", NS)]
    assert {"0", "1k", "2k", "3k"} <= set(ticks)
    assert len(ticks) >= 8
    assert root.find(".//s:line[@class='budget']", NS) is not None
    assert root.find(".//s:line[@class='fit']", NS) is not None
    assert root.find(".//s:clipPath", NS).get("id") == "clip-3"
    assert len(root.findall(".//s:circle", NS)) == 3


def test_series_stays_inside_the_plot_even_when_the_budget_is_far_above() -> None:
    series = [[1000 + 3000 * i, 4_000_000 + (i % 3) * 1000] for i in range(10)]
    chart = svg.line_chart(
        chart_id=0, title="flat", unit="bytes", series=series, budget=svg.Budget("slope", 262144, "b")
    )
    lay = svg.Layout()
    ys = [float(y) for y in re.findall(r'cy="([0-9.]+)"', str(chart))]
    # The data keeps at least a quarter of the plot height instead of collapsing onto one pixel row.
    assert max(ys) - min(ys) > lay.plot_h / 4
    assert min(ys) >= lay.top and max(ys) <= lay.top + lay.plot_h


def test_empty_series_renders_a_note_not_an_error() -> None:
    chart = str(svg.line_chart(chart_id=0, title="Threads", unit="count", series=[]))
    assert "no data points" in chart and "<svg" in chart


def test_single_point_chart_renders() -> None:
    root = _parse(svg.line_chart(chart_id=1, title="one", unit="count", series=[[300, 12]], slope_per_1k=0.0))
    assert len(root.findall(".//s:circle", NS)) == 1
