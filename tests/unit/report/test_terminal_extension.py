"""The extension shows in the terminal table and in the charts."""

from __future__ import annotations

from pytest_goleak.report import results, svg, terminal


def test_terminal_verdict_names_the_plateau_or_how_far_a_leak_ran():
    check = {"signal": "heap_inuse_bytes", "limit": 65536.0, "measured": 9e4, "exceeded": False, "unit": "bytes",
             "plateau_at_requests": 4200.0}
    plateau = {"name": "cache", "verdict": "clean", "passed": True, "message": "",
               "extension": {"outcome": "plateau", "requests_at_end": 6200},
               "budgets": {"heap_inuse_bytes_per_1k_requests": check}}
    leak = {"name": "m", "verdict": "leak", "passed": True, "message": "",
            "extension": {"outcome": "leak", "requests_at_end": 8200}}
    plain = {"name": "p", "verdict": "clean", "passed": True, "message": "", "extension": None}
    table = terminal.rows([results.from_json(s) for s in (plateau, leak, plain)])
    col = table[0].index("extension")
    assert [r[2] for r in table[1:]] == ["clean", "leak", "clean"]
    assert [r[col] for r in table[1:]] == ["plateau@4.2k", "growing@8.2k", "-"]
    assert all(" " not in cell for r in table for cell in r[:-1])  # one token per column but the culprit


def test_chart_shades_the_extension_and_fits_the_measured_window_only():
    series = [[200 + 400 * i, 1000.0 + 400 * i] for i in range(12)]
    plain = str(svg.line_chart(chart_id=1, title="heap", unit="bytes", series=series, slope_per_1k=1000.0))
    extended = str(svg.line_chart(chart_id=2, title="heap", unit="bytes", series=series, slope_per_1k=1000.0,
                                  extension_from=2200.0))
    assert 'class="extension"' not in plain
    assert 'class="extension"' in extended and ">extension</text>" in extended
    # the fitted line stops where the measured window does
    assert plain.count('class="fit"') == extended.count('class="fit"') == 1
    assert _fit_x2(extended) < _fit_x2(plain)


def _fit_x2(chart: str) -> float:
    import re

    m = re.search(r'<line class="fit"[^>]*x2="([0-9.]+)"', chart)
    assert m, chart
    return float(m.group(1))
