"""The one table of signals: one new row is enough for every reader to know the signal."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_goleak import signals, validate
from pytest_goleak.judge.analysis import Trend
from pytest_goleak.judge.verdict import judge
from pytest_goleak.options import Settings
from pytest_goleak.report import baseline, html, terminal, views

WIDGETS = signals.Signal("widgets", "count", "Open widgets", slope_budget=True, slope_default=3.0,
                         cap_budget="max_widgets", aliases=("w",), terminal="widgets/1k", column="widgets",
                         report_rank=4, column_rank=4)


@pytest.fixture
def widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals, "SIGNALS", (*signals.SIGNALS, WIDGETS))


def test_the_shipped_table_names_the_budgets_and_defaults_of_today() -> None:
    assert list(signals.budgets()) == [
        "goroutines_per_1k_requests", "heap_inuse_bytes_per_1k_requests", "heap_objects_per_1k_requests",
        "rss_bytes_per_1k_requests", "fds_per_1k_requests", "goroutines_per_minute", "fds_per_minute",
        "max_goroutines", "max_rss"]
    assert signals.default_budgets() == {"goroutines_per_1k_requests": 5.0,
                                         "heap_inuse_bytes_per_1k_requests": 6 * 1024.0,
                                         "heap_objects_per_1k_requests": 250.0, "fds_per_1k_requests": 5.0,
                                         "goroutines_per_minute": 60.0,
                                         "fds_per_minute": 60.0,
                                         "max_goroutines": 10000.0}
    assert signals.budgets()["goroutines_per_minute"].axis == "time"
    assert signals.aliases()["heap"] == "heap_inuse_bytes"
    assert [c[0] for c in signals.terminal_columns()] == ["goroutines", "heap_inuse_bytes", "fds"]


def test_one_new_row_reaches_every_reader(widgets: None) -> None:
    # budgets: known to the validator, with the default, in the judge
    assert validate.budget("widgets_per_1k_requests", "2") == ("widgets_per_1k_requests", 2.0)
    assert validate.budget_name("max_widgets") == "max_widgets"
    with pytest.raises(validate.InvalidSetting, match="did you mean widgets_per_1k_requests"):
        validate.budget_name("widget_per_1k_requests")
    assert Settings().budgets["widgets_per_1k_requests"] == 3.0
    trend = Trend("count", 10.0, (9.0, 11.0), 0.001, "growing", 10.0, ((0.0, 0.0), (1000.0, 10.0)))
    verdict = judge({"widgets_per_1k_requests": 3.0}, {"widgets": trend}, [])
    assert verdict.verdict == "leak" and verdict.checks[0].signal == "widgets"
    # titles and columns
    assert html.budget_title("widgets_per_1k_requests") == "Open widgets /1k req"
    assert html.budget_title("max_widgets") == "Open widgets cap"
    measured = SimpleNamespace(requests=1, widgets=2.0)  # a Snapshot with the new row's field
    assert "widgets" in [c[2] for c in views.snapshot_columns_of([measured])]
    header = terminal.rows([])[0]
    assert "widgets/1k" in header
    # baseline rules take the alias
    assert baseline.parse_rule("w:+10%").signal == "widgets"
