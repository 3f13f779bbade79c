"""Baselines: rule grammar, noise-aware comparison, storage and the entry point (no Docker)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pytest_goleak.report import baseline as bl
from pytest_goleak.report import results as results_mod


def trend(slope, lo, hi, p=0.5, unit="count", decision=None):
    return {
        "unit": unit,
        "slope_per_1k": slope,
        "ci": [lo, hi],
        "p_value": p,
        "decision": decision or ("growing" if p < 0.05 and slope > 0 else "flat"),
        "series": [],
    }


def run(name="svc", **signals):
    """One run of one scenario, as results.json would read back."""
    return [results_mod.from_json({"name": name, "verdict": "clean", "passed": True, "message": "", "requests": 3000,
                                   "signals": signals})]


def document(runs):
    """The results.json document of ``runs``, through a JSON round trip."""
    return json.loads(json.dumps(results_mod.build(runs, {}), default=str))


CLEAN = {
    "goroutines": trend(0.0, -1.7, 1.7),
    "heap_inuse_bytes": trend(70e3, 30e3, 155e3, p=0.004, unit="bytes"),
}
LEAKY = {
    "goroutines": trend(1000.0, 1000.0, 1001.7, p=0.004),
    "heap_inuse_bytes": trend(1.9e6, 1.86e6, 2.1e6, p=0.004, unit="bytes"),
}


# ---------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("expr", "signal", "relative", "amount"),
    [
        ("heap:+20%", "heap_inuse_bytes", True, 0.2),
        ("goroutines:+0", "goroutines", False, 0.0),
        ("heap:+64KiB", "heap_inuse_bytes", False, 65536.0),
        ("rss:+1.5MB", "rss_bytes", False, 1.5e6),
        ("objects:+100", "heap_objects", False, 100.0),
        ("fds:+2", "fds", False, 2.0),
        ("heap_inuse_bytes:+10%", "heap_inuse_bytes", True, 0.1),
        (" goroutineleak : +0 ", "goroutineleak", False, 0.0),
    ],
)
def test_rule_grammar(expr, signal, relative, amount):
    r = bl.parse_rule(expr)
    assert (r.signal, r.relative, r.amount) == (signal, relative, pytest.approx(amount))


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("heap", "expected SIGNAL:+N%"),
        ("heap:20%", "expected SIGNAL:+N%"),
        ("heap:-20%", "expected SIGNAL:+N%"),
        ("memory:+20%", "unknown signal 'memory'"),
        ("goroutines:+5KiB", "goroutines is a count"),
        ("heap:+5parsecs", "expected a size"),
        ("", "expected SIGNAL:+N%"),
    ],
)
def test_bad_rules_say_why(expr, says):
    with pytest.raises(ValueError, match="bad compare-fail rule") as err:
        bl.parse_rule(expr)
    assert says in str(err.value)


def test_default_rules_when_none_given():
    assert [r.expr for r in bl.parse_rules(())] == list(bl.DEFAULT_RULES)


# ---------------------------------------------------------------- comparison


def test_leak_introduced_is_a_regression_on_both_rules():
    c = bl.compare_runs(
        run(**LEAKY), bl.snapshot(run(**CLEAN), "abc"), bl.parse_rules(("heap:+20%", "goroutines:+0"))
    )
    status = {r.signal: r.status for r in c.rows}
    assert status == {"goroutines": "regression", "heap_inuse_bytes": "regression"}
    assert not c.passed and len(c.failures) == 2
    assert "svc: goroutines regressed against the baseline (goroutines:+0)" in c.failures[0]


def test_same_figures_pass():
    c = bl.compare_runs(run(**CLEAN), bl.snapshot(run(**CLEAN), None), bl.parse_rules(()))
    assert c.passed and {r.status for r in c.rows} == {"same"}


def test_higher_point_estimate_inside_the_noise_is_not_a_regression():
    # A strict greater-than on point estimates would fail this; the intervals overlap.
    cur = {**CLEAN, "heap_inuse_bytes": trend(140e3, 60e3, 300e3, p=0.004, unit="bytes")}
    c = bl.compare_runs(run(**cur), bl.snapshot(run(**CLEAN), None), bl.parse_rules(("heap:+0%",)))
    assert c.passed


def test_margin_separates_higher_from_regression():
    base = {"heap_inuse_bytes": trend(100e3, 90e3, 110e3, p=0.004, unit="bytes")}
    cur = {"heap_inuse_bytes": trend(125e3, 120e3, 130e3, p=0.004, unit="bytes")}
    within = bl.compare_runs(run(**cur), bl.snapshot(run(**base), None), bl.parse_rules(("heap:+20%",)))
    assert within.rows[0].status == "higher" and within.passed  # limit 110K + 20K = 130K
    strict = bl.compare_runs(run(**cur), bl.snapshot(run(**base), None), bl.parse_rules(("heap:+5%",)))
    assert strict.rows[0].status == "regression"  # limit 115K
    absolute = bl.compare_runs(run(**cur), bl.snapshot(run(**base), None), bl.parse_rules(("heap:+16KiB",)))
    assert absolute.rows[0].status == "higher"  # limit 110K + 16,384 = 126,384 > 120K


def test_a_rise_that_is_not_significant_never_fails():
    cur = {"goroutines": trend(5.0, 2.0, 8.0, p=0.2)}
    c = bl.compare_runs(run(**cur), bl.snapshot(run(**CLEAN), None), bl.parse_rules(("goroutines:+0",)))
    assert c.passed and c.rows[0].status == "same"


def test_signals_without_a_rule_are_shown_but_never_fail():
    c = bl.compare_runs(run(**LEAKY), bl.snapshot(run(**CLEAN), None), bl.parse_rules(("fds:+0",)))
    assert c.passed and {r.status for r in c.rows} == {"higher"}


def test_new_missing_and_unmeasured():
    base = bl.snapshot([*run("a", **CLEAN), *run("gone", **CLEAN)], None)
    cur = [*run("a", goroutines=CLEAN["goroutines"]), *run("b", **CLEAN)]
    c = bl.compare_runs(cur, base, bl.parse_rules(()))
    assert c.new_scenarios == ("b",) and c.missing_scenarios == ("gone",)
    heap = next(r for r in c.rows if r.signal == "heap_inuse_bytes")
    assert heap.status == "not measured" and c.passed


def test_ruled_signals_come_first():
    c = bl.compare_runs(run(**LEAKY), bl.snapshot(run(**CLEAN), None), bl.parse_rules(("heap:+20%",)))
    assert [r.signal for r in c.rows] == ["heap_inuse_bytes", "goroutines"]


# ---------------------------------------------------------------- storage and entry point


def test_name_and_path_resolution(tmp_path):
    assert bl.resolve("main", tmp_path) == tmp_path / ".goleak" / "baselines" / "main.json"
    assert bl.resolve("out/b.json", tmp_path) == bl.Path("out/b.json")
    assert bl.resolve("b.json", tmp_path) == bl.Path("b.json")


def test_save_then_compare_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)
    comparison, failures = bl.apply(run(**CLEAN), save="main", compare=None, fail_exprs=(), rootdir=tmp_path)
    assert comparison is None and failures == []
    doc = json.loads((tmp_path / ".goleak/baselines/main.json").read_text())
    assert doc["commit"] == "f" * 40 and doc["kind"] == bl.BASELINE_KIND
    assert set(doc["scenarios"]["svc"]["signals"]["goroutines"]) == {
        "unit",
        "slope_per_1k",
        "ci",
        "p_value",
        "decision",
    }
    comparison, failures = bl.apply(
        run(**LEAKY), save=None, compare="main", fail_exprs=("goroutines:+0",), rootdir=tmp_path
    )
    assert comparison is not None and comparison.commit == "f" * 40
    assert len(failures) == 1 and "goroutines" in failures[0]
    lines: list[str] = []
    bl.write_terminal(lines.append, comparison)
    assert lines[1].split() == [
        "scenario",
        "signal",
        "baseline/1k",
        "[95%",
        "CI]",
        "current/1k",
        "[95%",
        "CI]",
        "change",
        "status",
    ]
    assert any("REGRESSION" in line and line.startswith("svc") for line in lines)


def test_results_json_works_as_a_baseline(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document(run(**CLEAN))))
    comparison, failures = bl.apply(
        run(**CLEAN), save=None, compare=str(path), fail_exprs=(), rootdir=tmp_path
    )
    assert failures == [] and comparison and comparison.passed


def test_missing_baseline_fails_the_run_with_the_reason(tmp_path):
    comparison, failures = bl.apply(run(**CLEAN), save=None, compare="nope", fail_exprs=(), rootdir=tmp_path)
    assert (
        comparison and comparison.error and "does not exist (saved with --goleak-save nope)" in failures[0]
    )
    with pytest.raises(ValueError, match="does not exist"):
        bl.check_options(save=None, compare="nope", fail_exprs=(), rootdir=tmp_path)


def test_check_options(tmp_path):
    with pytest.raises(ValueError, match="needs --goleak-compare"):
        bl.check_options(save=None, compare=None, fail_exprs=("heap:+1%",), rootdir=tmp_path)
    with pytest.raises(ValueError, match="bad compare-fail rule"):
        bl.check_options(save=None, compare=None, fail_exprs=("heap:1",), rootdir=tmp_path)
    bl.check_options(save="x", compare=None, fail_exprs=(), rootdir=tmp_path)


def test_compare_then_save_to_the_same_name(tmp_path):
    bl.apply(run(**CLEAN), save="main", compare=None, fail_exprs=(), rootdir=tmp_path)
    comparison, failures = bl.apply(
        run(**LEAKY), save="main", compare="main", fail_exprs=(), rootdir=tmp_path
    )
    assert failures and comparison and (comparison.saved_to or "").endswith("main.json")
    again, failures = bl.apply(run(**LEAKY), save=None, compare="main", fail_exprs=(), rootdir=tmp_path)
    assert failures == []


def test_wrong_file_and_version(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="neither a pytest-goleak baseline nor a results.json"):
        bl.read_baseline(str(tmp_path / "x.json"), tmp_path)
    (tmp_path / "v.json").write_text(
        json.dumps({"kind": bl.BASELINE_KIND, "baseline_version": 99, "scenarios": {}})
    )
    with pytest.raises(ValueError, match="version 99"):
        bl.read_baseline(str(tmp_path / "v.json"), tmp_path)


def test_write_terminal_without_comparison_writes_nothing():
    lines: list[str] = []
    bl.write_terminal(lines.append, None)
    assert lines == []


def test_html_report_shows_the_comparison_escaped(tmp_path):
    from pytest_goleak.report.html import write_html

    doc = document(run("<script>alert(1)</script>", **LEAKY))
    base = bl.snapshot(run("<script>alert(1)</script>", **CLEAN), "abc")
    compared = bl.compare_runs(run("<script>alert(1)</script>", **LEAKY), base, bl.parse_rules(()))
    doc["comparison"] = results_mod.comparison_json(dataclasses.replace(compared, path=".goleak/baselines/main.json"))
    write_html(tmp_path, results_mod.report_of(doc))
    html = (tmp_path / "index.html").read_text()
    section = html[html.index('id="comparison"') : html.index('id="scenarios"')]
    assert "REGRESSION" in section and "goroutines:+0" in section
    assert "1.8 MiB [1.8 MiB..2.0 MiB]" in section
    assert "<script>" not in html and "&lt;script&gt;" in section


def test_html_report_without_comparison_has_no_section(tmp_path):
    from pytest_goleak.report.html import write_html

    write_html(tmp_path, results_mod.report_of(document(run(**CLEAN)) | {"comparison": None}))
    assert 'id="comparison"' not in (tmp_path / "index.html").read_text()


def test_baseline_file_round_trip():
    saved = bl.snapshot([*run("a", **CLEAN), *run("b", **LEAKY)], "abc")
    doc = json.loads(json.dumps(results_mod.baseline_json(saved)))
    assert doc["kind"] == bl.BASELINE_KIND and doc["scenarios"]["b"]["signals"]["goroutines"]["ci"] == [1000.0, 1001.7]
    assert results_mod.baseline_of(doc) == saved


def test_a_baseline_figure_that_is_not_a_number_is_not_measured(tmp_path):
    doc = results_mod.baseline_json(bl.snapshot(run(**CLEAN), None))
    doc["scenarios"]["svc"]["signals"]["goroutines"]["slope_per_1k"] = "lots"
    (tmp_path / "b.json").write_text(json.dumps(doc))
    comparison, failures = bl.apply(run(**LEAKY), save=None, compare=str(tmp_path / "b.json"),
                                    fail_exprs=("goroutines:+0",), rootdir=tmp_path)
    assert comparison is not None and failures == []
    assert {r.signal: r.status for r in comparison.rows}["goroutines"] == "not measured"


def test_two_clean_runs_apart_by_less_than_the_noise_floor_are_not_a_regression():
    """CI (goroutine_chan_fixed, 1,000 requests measured): 715 B [160 B..1.8 KiB] per 1k in one run,
    5.6 KiB [2.4 KiB..12.3 KiB] in the next. The intervals are disjoint, but the heap's noise floor
    (12 KiB over a window) is 12 KiB per 1k over 1,000 requests: no regression."""
    window = [[200.0 + 200 * i, 8e5] for i in range(6)]  # 200..1,200 requests: a 1,000-request window

    def heap(slope, lo, hi, series):
        return {**trend(slope, lo, hi, p=0.004, unit="bytes"), "series": series}

    base = run(heap_inuse_bytes=heap(715.0, 160.0, 1843.0, window))
    cur = run(heap_inuse_bytes=heap(5734.0, 2458.0, 12595.0, window))
    c = bl.compare_runs(cur, bl.snapshot(base, None), bl.parse_rules(("heap:+20%",)))
    assert c.passed and c.rows[0].status == "higher"
    assert c.rows[0].limit_per_1k == pytest.approx(1843.0 + 12 * 1024.0)
    # Without a window to spread the floor over, the rule's margin alone: the old answer.
    bare = bl.compare_runs(run(heap_inuse_bytes=heap(5734.0, 2458.0, 12595.0, [])), bl.snapshot(base, None),
                           bl.parse_rules(("heap:+20%",)))
    assert bare.rows[0].status == "regression"
    # A leak of 16 B a request lies past the floor and still fails.
    leak = run(heap_inuse_bytes=heap(16e3, 14.5e3, 17.5e3, window))
    assert bl.compare_runs(leak, bl.snapshot(base, None), bl.parse_rules(("heap:+20%",))).rows[0].status == "regression"
    # The floor is spread over the measured window only, not over an extension after it.
    extended = run(heap_inuse_bytes=heap(5734.0, 2458.0, 12595.0, window + [[3200.0, 8.1e5], [5200.0, 8.2e5]]))
    assert bl.noise_per_1k(extended[0], "heap_inuse_bytes") == pytest.approx(12 * 1024.0 / 5.0)
    measured = dataclasses.replace(extended[0], extension=_extension(requests_at_start=1200))
    assert bl.noise_per_1k(measured, "heap_inuse_bytes") == pytest.approx(12 * 1024.0)


def _extension(requests_at_start):
    from pytest_goleak.judge.extension import ExtensionInfo

    return ExtensionInfo(reason="heap", budgets=("heap_inuse_bytes_per_1k_requests",), from_snapshot=6,
                         requests_at_start=requests_at_start, requests_at_end=5200, bound_requests=4200,
                         stopped="bound", snapshots=2, seconds=1.0)


def test_a_rise_the_extension_followed_to_a_plateau_is_filled_not_a_regression():
    """A clean run whose heap filled in the measured window, faster than the baseline run's did:
    over the limit, but its extension found the plateau (the judge's own call), so it does not fail."""
    window = [[200.0 + 200 * i, 8e5] for i in range(6)]

    def heap(slope, lo, hi):
        return {**trend(slope, lo, hi, p=0.004, unit="bytes"), "series": window}

    base = bl.snapshot(run(heap_inuse_bytes=heap(900.0, 100.0, 2e3), goroutines=trend(0.0, -1.0, 1.0)), None)
    rules = bl.parse_rules(("heap:+20%", "goroutines:+0"))
    over = run(heap_inuse_bytes=heap(30e3, 18e3, 40e3), goroutines=trend(50.0, 40.0, 60.0, p=0.004))
    plain = bl.compare_runs(over, base, rules)
    assert {r.signal: r.status for r in plain.rows} == {"goroutines": "regression", "heap_inuse_bytes": "regression"}
    filled = dataclasses.replace(over[0], extension=dataclasses.replace(
        _extension(1200), outcome="plateau", plateaus=("heap_inuse_bytes_per_1k_requests",)))
    c = bl.compare_runs([filled], base, rules)
    # only the signal whose rise the extension followed to its plateau: the goroutines still fail
    assert {r.signal: r.status for r in c.rows} == {"goroutines": "regression", "heap_inuse_bytes": "filled"}
    assert len(c.failures) == 1 and "goroutines" in c.failures[0]
    lines: list[str] = []
    bl.write_terminal(lines.append, c)
    assert "svc: heap_inuse_bytes rose over the limit (14.0KiB/1k) as a fill: this run's extension followed it " \
           "to a plateau, so it is no regression" in lines, lines
    # an extension that found the heap still growing leaves the regression
    leaking = dataclasses.replace(over[0], extension=dataclasses.replace(_extension(1200), outcome="leak"))
    still = {r.signal: r.status for r in bl.compare_runs([leaking], base, rules).rows}
    assert still["heap_inuse_bytes"] == "regression"
    assert bl.filled_signals(over[0]) == frozenset()
