"""The HTML report as a user gets it: opened from disk in headless Chromium.

Screenshots of the index and of one scenario page land in ``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_goleak.report.html import write_html
from pytest_goleak.report.results import report_of

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts"
CHROMIUM = os.environ.get("GOLEAK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found (set GOLEAK_CHROMIUM)"),
]


def _load(name: str, path: Path) -> ModuleType:
    """Import a helper by path, so the test does not depend on pytest's import mode."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cdp = _load("goleak_test_cdp", HERE / "cdp.py")
sample = _load("goleak_test_sample_results", HERE.parent / "unit" / "report" / "sample_results.py")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM is not None
    chromium = cdp.Chromium(CHROMIUM)
    try:
        yield chromium
    finally:
        chromium.close()
    assert chromium.proc.returncode is not None
    assert not Path(chromium.profile).exists()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_html(out, report_of(sample.results()))
    return out


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def open_(path: Path) -> Any:
        p = browser.open(path.as_uri())
        opened.append(p)
        return p

    yield open_
    for p in opened:
        p.close()


def test_index_renders_failures_first(page: Any, report: Path) -> None:
    p = page(report / "index.html")
    assert p.problems() == []
    rows = p.evaluate("[...document.querySelectorAll('#scenarios tbody tr')].map(r => r.innerText)")
    assert len(rows) == 5
    assert "orders_api" in rows[0] and "FAIL" in rows[0]
    assert "broken_build" in rows[1]
    first_culprit = p.evaluate("document.querySelector('#scenarios tbody tr .culprit-fn').innerText")
    assert first_culprit == "main.lookup"
    assert p.evaluate("document.querySelector('#validation table') !== null")
    p.screenshot(ARTIFACTS / "report-index.png")


def test_scenario_page_has_charts_with_axes_and_flame(page: Any, report: Path) -> None:
    p = page(report / "goroutine_chan_leaky" / "index.html")
    assert p.problems() == []
    charts = p.evaluate("""[...document.querySelectorAll('svg.chart')].map(s => ({
        title: s.querySelector('.chart-title').textContent,
        ticks: s.querySelectorAll('.tick').length,
        labels: [...s.querySelectorAll('.axis-label')].map(t => t.textContent),
        legend: s.querySelector('.legend').textContent,
        width: s.getBoundingClientRect().width}))""")
    assert len(charts) == 8
    for chart in charts:
        assert chart["ticks"] >= 6, chart
        assert chart["labels"][0] == "requests served", chart
        assert chart["width"] > 400, chart
    heap = next(c for c in charts if c["title"] == "Heap in use")
    assert heap["labels"][1] == "MiB"
    assert "fit +1.0 MiB/1k req" in heap["legend"] and "budget +256.0 KiB/1k req" in heap["legend"]
    frames = p.evaluate("document.querySelectorAll('svg.flame rect').length")
    assert frames >= 5
    p.screenshot(ARTIFACTS / "report-scenario.png")
    p.screenshot(ARTIFACTS / "report-scenario-full.png", full_page=True)


def test_profile_links_and_copyable_command(page: Any, report: Path) -> None:
    p = page(report / "goroutine_chan_leaky" / "index.html")
    first = p.evaluate("document.querySelector('#snapshots a').href")
    assert first == (report / "goroutine_chan_leaky" / "heap-0.pb.gz").as_uri()
    command = p.evaluate("document.querySelector('#pprof-command')")
    assert command is not None
    text = p.evaluate("document.querySelector('#pprof-command').innerText")
    assert text.startswith("go tool pprof ") and " -base goleak-report/goroutine_chan_leaky/heap-1.pb.gz " in text
    diff_base = p.evaluate("document.querySelector('#pprof-diff-base-command').innerText")
    assert " -diff_base goleak-report/goroutine_chan_leaky/heap-1.pb.gz " in diff_base
    assert p.evaluate("getComputedStyle(document.querySelector('#pprof-command')).userSelect") == "all"


def test_verdict_and_culprit_fit_in_the_first_screen(page: Any, report: Path) -> None:
    p = page(report / "goroutine_chan_leaky" / "index.html")
    boxes = p.evaluate("""Object.fromEntries(['#verdict', '#culprit', '#culprit .code'].map(sel => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return [sel, [r.top, r.bottom]]; }))""")
    for sel, (top, bottom) in boxes.items():
        assert 0 <= top < bottom <= 900, (sel, top, bottom)
    assert p.evaluate("document.querySelector('#verdict .big').innerText") == "LEAK"
    assert p.evaluate("getComputedStyle(document.querySelector('#verdict .big')).fontSize") == "40px"


def test_every_page_renders_without_console_errors(page: Any, report: Path) -> None:
    for html in sorted(report.rglob("index.html")):
        p = page(html)
        assert p.problems() == [], html
        assert p.evaluate("document.querySelector('main') !== null"), html


def test_hostile_names_do_not_execute(page: Any, tmp_path: Path) -> None:
    written = write_html(tmp_path, report_of(sample.hostile()))
    for html in written:
        p = page(html)
        assert p.problems() == [], html
        injected = p.evaluate("document.querySelectorAll('main script, main img, main [onerror]').length")
        assert injected == 0, html
    leaky = next(h for h in written if "script" in h.parent.name)
    p = page(leaky)
    assert "<script>alert(1)</script>" in p.evaluate("document.body.innerText")


def test_harness_notices_console_errors(page: Any, tmp_path: Path) -> None:
    """Control: a page that does log an error must be reported, or the checks above prove nothing."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><main></main><script>console.error('boom'); undefinedFn();</script>")
    problems = page(bad).problems()
    assert any("boom" in x for x in problems) and any("exception" in x for x in problems)


png = _load("goleak_test_png", HERE / "png.py")


def _reddish(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return r > g + 40 and r > b + 40


def _bluish(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return b > r + 40 and b > g + 20


def test_diff_icicle_graph_is_red_where_grown_and_blue_where_shrunk(page: Any, report: Path) -> None:
    """Screenshot of the heap diff graph as Chromium draws it, checked pixel by pixel."""
    p = page(report / "goroutine_chan_leaky" / "index.html")
    assert p.problems() == []
    p.evaluate("document.querySelector('svg.flame').scrollIntoView()")
    boxes = p.evaluate("""(() => {
        const box = el => { const r = el.getBoundingClientRect();
            return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; };
        const frame = name => [...document.querySelectorAll('svg.flame g.frame')]
            .find(g => g.querySelector('title').textContent.split('\\n')[0] === name);
        return {svg: box(document.querySelector('svg.flame')),
                grew: box(frame('main.lookup').querySelector('rect')),
                shrank: box(frame('main.warmUp').querySelector('rect')),
                shrankClass: frame('main.warmUp').getAttribute('class'),
                handleTip: frame('main.handleWork').querySelector('title').textContent};
    })()""")
    assert "shrank" in boxes["shrankClass"]
    assert "1 narrower frame not drawn: +96 B grown" in boxes["handleTip"]
    svg = boxes["svg"]
    clip = {k: round(svg[k]) for k in ("x", "y", "width", "height")}
    shot = p.screenshot(ARTIFACTS / "report-flame-diff.png", clip=clip)
    image = png.read(shot)
    assert (image.width, image.height) == (clip["width"], clip["height"])

    def sample(frame: dict[str, float]) -> list[tuple[int, int, int]]:
        # a row 2 px below the frame's top edge: inside the rect, above its label's glyphs
        y = round(frame["y"] - clip["y"] + 2)
        xs = range(round(frame["x"] - clip["x"] + 3), round(frame["x"] - clip["x"] + frame["width"] - 3))
        return [image.pixel(x, y) for x in xs]

    grew, shrank = sample(boxes["grew"]), sample(boxes["shrank"])
    assert grew and sum(map(_reddish, grew)) > 0.9 * len(grew), grew[:5]
    assert shrank and sum(map(_bluish, shrank)) > 0.9 * len(shrank), shrank[:5]
    every = image.pixels()
    assert sum(map(_reddish, every)) > 2000 and sum(map(_bluish, every)) > 2000
