"""Rendering the report from a synthetic results dict (no browser, no Docker)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sample_results as sample

from pytest_goleak.report import html
from pytest_goleak.report import results as results_mod
from pytest_goleak.report.results import report_of


@pytest.fixture
def written(tmp_path: Path) -> dict[str, str]:
    paths = html.write_html(tmp_path, report_of(sample.results()))
    return {str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8") for p in paths}


def test_writes_index_and_one_page_per_scenario(written: dict[str, str]) -> None:
    assert set(written) == {
        "index.html",
        "detectors.html",
        "goroutine_chan_leaky/index.html",
        "goroutine_chan_fixed/index.html",
        "needs_postgres/index.html",
        "broken_build/index.html",
        "orders_api/index.html",
    }


def test_pages_are_self_contained(written: dict[str, str]) -> None:
    for name, text in written.items():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), name
        assert (
            "<script" not in text and "@import" not in text and "url(" not in text.replace("url(#clip", "")
        ), name
        assert "Content-Security-Policy" in text and "default-src 'none'" in text, name


def test_index_lists_failures_then_errors_then_the_rest(written: dict[str, str]) -> None:
    order = re.findall(r'class="scen-name" href="([^"]+)/index.html"', written["index.html"])
    assert order == [
        "orders_api",
        "broken_build",
        "goroutine_chan_leaky",
        "goroutine_chan_fixed",
        "needs_postgres",
    ]


def test_index_shows_verdict_expectation_growth_and_culprit(written: dict[str, str]) -> None:
    index = written["index.html"]
    row = index[index.index('href="goroutine_chan_leaky/index.html"') :]
    row = row[: row.index("</tr>")]
    assert 'badge v-leak">leak<' in row
    assert "<td>leak</td>" in row
    assert "+998.2/1k req" in row and "+1.0 MiB/1k req" in row
    assert "main.lookup" in row and "leaky/main.go:23" in row
    assert "✓ PASS" in index and "✗ FAIL" in index
    assert "Detector validation" in index and "86%" in index


def test_scenario_page_opens_with_verdict_outcome_message_and_culprit(written: dict[str, str]) -> None:
    page = written["goroutine_chan_leaky/index.html"]
    first_chart = page.index("<svg")
    for needle in (
        'class="big">LEAK<',
        "✓ PASS",
        "expected leak",
        "exceeds budget 5",
        "main.lookup",
        "goroutine_chan/leaky/main.go:23",
        "ch &lt;- result{payload",
    ):
        assert 0 <= page.index(needle) < first_chart, needle
    assert '<div class="hit"><span class="ln">23</span>' in page


def test_scenario_page_has_all_sections(written: dict[str, str]) -> None:
    page = written["goroutine_chan_leaky/index.html"]
    assert page.count('class="chart"') == 8
    for section in (
        "flame",
        "growth-space",
        "growth-objects",
        "goroutines",
        "reproduce",
        "snapshots",
        "gctrace",
        "container",
        "build",
        "vet",
    ):
        assert f'id="{section}"' in page, section
    assert (
        '<pre class="copy" id="pprof-command">go tool pprof -top -sample_index=inuse_space '
        "-base goleak-report/goroutine_chan_leaky/heap-1.pb.gz goleak-report/goroutine_chan_leaky/heap-6.pb.gz</pre>"
    ) in page
    assert (
        '<pre class="copy" id="pprof-diff-base-command">go tool pprof -top -sample_index=inuse_space -diff_base '
        "goleak-report/goroutine_chan_leaky/heap-1.pb.gz goleak-report/goroutine_chan_leaky/heap-6.pb.gz</pre>"
    ) in page
    assert 'href="../goroutine_chan_leaky/heap-0.pb.gz"' in page
    assert 'href="../goroutine_chan_leaky/container.log"' in page
    assert "chan send" in page and "0–1 min" in page and "main.handleWork" in page
    assert "gc 1 @0.500s" in page and "non-root 65532" in page and "go1.26.8" in page
    assert "256.0 MiB" in page  # memory limit
    assert 'href="../index.html"' in page


def test_budget_lines_are_drawn_where_a_budget_applies(written: dict[str, str]) -> None:
    page = written["goroutine_chan_leaky/index.html"]
    charts = re.findall(r"<svg[^>]*class=\"chart\".*?</svg>", page, re.S)
    with_budget = [re.search(r"<title>([^<]+)</title>", c).group(1) for c in charts if 'class="budget"' in c]
    assert with_budget == ["Goroutines", "Heap in use"]
    goroutines = next(c for c in charts if "<title>Goroutines</title>" in c)
    assert "budget +5/1k req" in goroutines  # the slope budget, not the 5,000 cap, is drawn


def test_load_phases_warnings_and_expected_culprit(written: dict[str, str]) -> None:
    leaky = written["goroutine_chan_leaky/index.html"]
    assert 'id="load"' in leaky and "200×300" in leaky
    assert '<span class="pill pass-pill">as expected</span>' in leaky
    orders = written["orders_api/index.html"]
    assert "Analysis warnings" in orders and "truncated gzip stream" in orders
    assert orders.index("Analysis warnings") < orders.index("<svg")
    assert '<td class="num over">520</td>' in orders and "504 Gateway Timeout" in orders


def test_run_level_error_is_shown_on_the_index(tmp_path: Path) -> None:
    html.write_html(tmp_path, report_of({"scenarios": [], "error": "docker: permission denied"}))
    index = (tmp_path / "index.html").read_text()
    assert "The run itself failed" in index and "docker: permission denied" in index


def test_a_page_without_culprit_lists_the_trends(written: dict[str, str]) -> None:
    page = written["goroutine_chan_fixed/index.html"]
    assert "No culprit" in page and 'class="trends"' in page
    assert page.index('class="trends"') < page.index("<svg")
    assert '<span class="trend-plateau">plateau</span>' in page


def test_server_connections_get_a_chart(written: dict[str, str]) -> None:
    assert "redis server connections" in written["orders_api/index.html"]


def test_error_and_skipped_scenarios_render_with_missing_fields(written: dict[str, str]) -> None:
    error = written["broken_build/index.html"]
    assert 'class="big">ERROR<' in error and "undefined: handler" in error
    # Sections with nothing in them are left out of error and skipped pages.
    assert 'id="snapshots"' not in error and 'id="flame"' not in error and "No heap growth" not in error
    skipped = written["needs_postgres/index.html"]
    assert 'class="big">SKIPPED<' in skipped and "PostgreSQL image not available" in skipped


@pytest.mark.parametrize(
    "results",
    [
        {},
        {"scenarios": None},
        {"scenarios": [None, 3, "x", {}]},
        {
            "scenarios": [
                {
                    "name": "n",
                    "signals": {"goroutines": None},
                    "budgets": {"x": 1},
                    "culprits": [None, {}],
                    "snapshots": [None, {"profiles": 3}],
                    "growth": [],
                    "goroutine_groups": [{}],
                    "container": "c",
                }
            ]
        },
        {"validation": {"signals": {"g": None}}, "tool": None},
    ],
)
def test_malformed_results_are_refused_when_read_back(results: dict[str, Any]) -> None:
    """The report renders typed results; a results.json read back (baselines, xdist) is checked
    against the schema first, so malformed data never reaches it."""
    with pytest.raises(results_mod.ResultsError, match="does not follow results schema v1"):
        results_mod.read_document(results)


class _TagBalance(HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr"}  # SVG elements here are written with "/>"

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def _check_well_formed(text: str) -> None:
    parser = _TagBalance()
    parser.feed(text)
    assert parser.stack == []


def test_every_page_is_balanced(written: dict[str, str]) -> None:
    for text in written.values():
        _check_well_formed(text)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (998.2, "count", "998.2"),
        (3540, "count", "3,540"),
        (0.02, "count", "0.02"),
        (1_100_000, "bytes", "1.0 MiB"),
        (262144, "bytes", "256.0 KiB"),
        (512, "bytes", "512 B"),
        (None, "bytes", "—"),
        (float("nan"), "count", "—"),
        (True, "count", "—"),
    ],
)
def test_value_formatting(value: object, unit: str, expected: str) -> None:
    assert html.fmt_value(value, unit) == expected


def test_budget_names_map_to_signals() -> None:
    assert html.budget_signal("heap_inuse_bytes_per_1k_requests") == ("heap_inuse_bytes", "slope")
    assert html.budget_signal("max_rss") == ("rss_bytes", "cap")
    assert html.budget_signal("whatever") is None
    assert html.budget_title("goroutines_per_1k_requests") == "Goroutines /1k req"
