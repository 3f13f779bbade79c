"""The optional pytest-html columns: escaped cells, and no breakage when pytest-html is absent."""

from __future__ import annotations

import html as htmllib
import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sample_results as sample

from pytest_goleak.report import pytest_html as columns

HAVE_PYTEST_HTML = importlib.util.find_spec("pytest_html") is not None


def test_cells_show_verdict_culprit_and_growth() -> None:
    cells = columns.cells_for(sample.leaky())
    assert len(cells) == len(columns.HEADERS)
    assert "LEAK" in cells[0] and "expected leak" in cells[0]
    assert "<code>main.lookup</code>" in cells[1] and "leaky/main.go:23" in cells[1]
    assert "Goroutines +998.2/1k req" in cells[2] and "Heap in use +1.0 MiB/1k req" in cells[2]
    assert 'color:#b91c1c">Goroutines' in cells[2]  # an exceeded budget is red


def test_ordinary_tests_get_empty_cells() -> None:
    assert columns.cells_for(None) == ['<td class="col-goleak"></td>'] * 3


def test_cells_escape_hostile_values() -> None:
    text = "".join(columns.cells_for(sample.hostile()["scenarios"][0]))
    for payload in sample.PAYLOADS:
        assert payload not in text
    assert "&lt;script&gt;" in text


def test_hooks_insert_aligned_columns() -> None:
    plugin = columns.HtmlColumns()
    header = ["<th>Result</th>", "<th>Test</th>", "<th>Duration</th>", "<th>Links</th>"]
    plugin.pytest_html_results_table_header(header)
    texts = [re.sub("<[^>]+>", "", h) for h in header]
    assert texts == ["Result", "Test", *columns.HEADERS, "Duration", "Links"]

    class Report:
        goleak = sample.clean()

    row = ["<td>r</td>", "<td>t</td>", "<td>d</td>", "<td>l</td>"]
    plugin.pytest_html_results_table_row(Report(), row)  # type: ignore[arg-type]
    assert len(row) == len(header) and "CLEAN" in row[2] and row[-2:] == ["<td>d</td>", "<td>l</td>"]


class _PM:
    def __init__(self, has_html: bool) -> None:
        self.has_html = has_html
        self.registered: list[Any] = []

    def hasplugin(self, name: str) -> bool:
        return name == "html" and self.has_html

    def has_plugin(self, name: str) -> bool:
        return any(n == name for _, n in self.registered)

    def register(self, plugin: object, name: str) -> None:
        self.registered.append((plugin, name))


class _Config:
    def __init__(self, has_html: bool) -> None:
        self.pluginmanager = _PM(has_html)


def test_register_is_a_no_op_without_pytest_html() -> None:
    config = _Config(has_html=False)
    assert columns.register(config) is False  # type: ignore[arg-type]
    assert config.pluginmanager.registered == []


def test_register_adds_the_columns_once_with_pytest_html() -> None:
    config = _Config(has_html=True)
    assert columns.register(config) is True  # type: ignore[arg-type]
    assert columns.register(config) is False  # type: ignore[arg-type]
    assert [n for _, n in config.pluginmanager.registered] == [columns.PLUGIN_NAME]


CONFTEST = """
import json
import pytest
from pytest_goleak.report.pytest_html import register

RESULT = json.loads({result!r})

def pytest_configure(config):
    config._goleak_html = register(config)

def pytest_report_header(config):
    return f"goleak-html-registered: {{config._goleak_html}}"

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and item.name == "test_scenario":
        report.goleak = RESULT
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = sample.hostile()["scenarios"][0]
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST.format(result=json.dumps(result))))
    (tmp_path / "test_it.py").write_text("def test_scenario():\n    pass\n\ndef test_plain():\n    pass\n")
    isolate = ["-p", "no:goleak", "-p", "no:cacheprovider", "-p", "no:xdist"]
    cmd = [sys.executable, "-m", "pytest", *isolate, *args]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)


def test_a_run_without_pytest_html_is_unaffected(tmp_path: Path) -> None:
    proc = _run(tmp_path, "-p", "no:html")  # behaves as if pytest-html were not installed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "goleak-html-registered: False" in proc.stdout
    assert "2 passed" in proc.stdout


@pytest.mark.skipif(not HAVE_PYTEST_HTML, reason="pytest-html is not installed")
def test_pytest_html_report_gets_the_columns(tmp_path: Path) -> None:
    proc = _run(tmp_path, "--html=out.html", "--self-contained-html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "goleak-html-registered: True" in proc.stdout
    page = (tmp_path / "out.html").read_text()
    blob = json.loads(htmllib.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))
    rows = {nodeid: [r["resultsTableRow"] for r in runs] for nodeid, runs in blob["tests"].items()}
    scenario = next(r for r in rows["test_it.py::test_scenario"] if "LEAK" in "".join(r))
    assert any("main.lookup" in cell for cell in scenario)
    for cells in (c for runs in rows.values() for c in runs):
        joined = "".join(cells)
        assert all(p not in joined for p in sample.PAYLOADS)
    assert all(h in page for h in columns.HEADERS)
