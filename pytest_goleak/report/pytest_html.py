"""Optional pytest-html columns: verdict, culprit and key growth for each goleak scenario.

pytest-html's hooks only exist when pytest-html is installed, and pluggy rejects unknown
``pytest_*`` hooks, so the plugin registers ``HtmlColumns`` only when the ``html`` plugin is
present (``register(config)`` does exactly that). pytest-html (>= 4) inserts the cells as raw
HTML, so every value is escaped here. The data comes from ``report.goleak``: the scenario's
results.json entry, which the plugin attaches to the test report (and which therefore also
reaches the xdist controller, where pytest-html writes its file), read back with from_json.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSequence

import pytest
from markupsafe import Markup, escape

from .results import from_json
from .views import scenario_summary

PLUGIN_NAME = "goleak-pytest-html"
HEADERS = ("Leak verdict", "Culprit", "Growth per 1k requests")
COLUMN_AT = 2  # after Result and Test, before Duration and Links (pytest-html's own example)

_VERDICT_COLOURS = {"leak": "#b91c1c", "clean": "#15803d", "error": "#b45309", "skipped": "#4b5563"}


def cells_for(result: object) -> list[str]:
    """The three ``<td>`` cells for a scenario result; empty cells for a test that is not one."""
    if not isinstance(result, Mapping):
        return ['<td class="col-goleak"></td>'] * len(HEADERS)
    s = scenario_summary(from_json(result))
    colour = _VERDICT_COLOURS.get(s.verdict, "#4b5563")
    verdict = Markup('<b style="color:{}">{}</b>').format(colour, s.verdict.upper())
    if s.expect:
        verdict += Markup(" <small>(expected {})</small>").format(s.expect)
    culprit = Markup("")
    if s.culprit:
        culprit = Markup("<code>{}</code><br><small>{}</small>").format(s.culprit, s.culprit_where)
    growth = Markup("<br>").join(
        Markup('<span style="color:#b91c1c">{}</span>').format(g)
        if any(g.startswith(e + " ") for e in s.exceeded)
        else escape(g)
        for g in s.growth
    )
    return [str(Markup('<td class="col-goleak">{}</td>').format(c)) for c in (verdict, culprit, growth)]


class HtmlColumns:
    """pytest-html hook implementations; register only when pytest-html is loaded."""

    def pytest_html_results_table_header(self, cells: MutableSequence[str]) -> None:
        for offset, title in enumerate(HEADERS):
            cells.insert(COLUMN_AT + offset, str(Markup('<th class="col-goleak">{}</th>').format(title)))

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: MutableSequence[str]) -> None:
        # Every row gets the cells, empty for ordinary tests, so the columns stay aligned.
        for offset, cell in enumerate(cells_for(getattr(report, "goleak", None))):
            cells.insert(COLUMN_AT + offset, cell)


def register(config: pytest.Config) -> bool:
    """Add the columns when pytest-html is active; a no-op (returning False) otherwise."""
    pm = config.pluginmanager
    if not pm.hasplugin("html") or pm.has_plugin(PLUGIN_NAME):
        return False
    pm.register(HtmlColumns(), PLUGIN_NAME)
    return True
