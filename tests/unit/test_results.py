from pytest_goleak.report import results, terminal
from pytest_goleak.report.confusion import Confusion, validation


def scenario(name, expect, verdict, goroutines_exceeded, heap_decision="flat", passed=True):
    return results.from_json({
        "name": name, "expect": expect, "verdict": verdict, "passed": passed, "message": "m",
        "budgets": {"goroutines_per_1k_requests": {"signal": "goroutines", "exceeded": goroutines_exceeded,
                                                   "measured": 1.0, "limit": 5, "unit": "count"}},
        "signals": {"goroutines": {"slope_per_1k": 1.0, "decision": "growing" if goroutines_exceeded else "flat"},
                    "heap_inuse_bytes": {"slope_per_1k": 10.0, "decision": heap_decision}},
        "culprits": [],
    })


def test_validation_matrix():
    v = validation([
        scenario("a_leaky", "leak", "leak", True),
        scenario("b_leaky", "leak", "clean", False, passed=False),
        scenario("a_fixed", "clean", "clean", False, heap_decision="growing"),
        scenario("user", None, "clean", False),
        results.from_json({"name": "broken", "expect": "leak", "verdict": "error", "passed": False, "message": ""}),
    ])
    assert v.overall == Confusion(tp=1, fn=1, fp=0, tn=1)
    g = v.signals["goroutines"]
    assert (g.tp, g.fn, g.fp, g.tn, g.caught) == (1, 1, 0, 1, ("a_leaky",))
    h = v.signals["heap_inuse_bytes"]  # no budget: a growing trend counts as a flag
    assert (h.fp, h.false_alarms) == (1, ("a_fixed",))
    assert results.validation_json(v)["signals"]["heap_inuse_bytes"] == {
        "tp": 0, "fn": 2, "fp": 1, "tn": 0, "caught": [], "false_alarms": ["a_fixed"]}
    assert results.validation_of(results.validation_json(v)) == v


def test_build_orders_failures_first(tmp_path):
    r = results.build([scenario("z", "leak", "leak", True), scenario("a", "clean", "leak", True, passed=False)], {})
    assert [s["name"] for s in r["scenarios"]] == ["a", "z"]
    path = results.write(tmp_path, r)
    assert path.read_text().startswith("{")
    lines = []
    runs = results.ordered(results.read_document(r))
    terminal.write_summary(lines.append, runs, validation(runs), None)
    assert lines[0].split()[:4] == ["scenario", "expect", "verdict", "result"]
    assert lines[1].split()[:4] == ["a", "clean", "leak", "FAIL"]

