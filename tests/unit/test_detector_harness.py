"""The harness's own signals as detectors, corpus and truth of a scenario, and the session matrix."""

from __future__ import annotations

from pytest_goleak.detectors import harness
from pytest_goleak.report.results import from_json


def builtin_answers(doc):
    return harness.builtin_answers(from_json(doc))


def corpus_of(doc):
    return harness.corpus_of(from_json({"expect": None, "verdict": "clean", "passed": True, **doc}))


def truth_of(doc):
    return harness.truth_of(from_json({"verdict": "clean", "passed": True, "file": "", **doc}))


def result(name, expect, verdict, *, heap="flat", goroutines="flat", leakprof=None, vet=(), culprit=None, file=None):
    signals = {"heap_inuse_bytes": {"decision": heap}, "goroutines": {"decision": goroutines},
               "fds": {"decision": "flat"}}
    if leakprof:
        signals["goroutineleak"] = {"decision": leakprof}
    budgets = {name: {"name": name, "signal": sig, "limit": 5.0, "measured": 1.0, "exceeded": grows == "growing",
                      "unit": "count", "detail": ""}
               for name, sig, grows in (("heap_inuse_bytes_per_1k_requests", "heap_inuse_bytes", heap),
                                        ("goroutines_per_1k_requests", "goroutines", goroutines))}
    culprits = [{"kind": "goroutine" if goroutines == "growing" else "heap", "function": culprit, "file": "/m.go",
                 "line": 7, "stack": [{"function": "runtime.gopark"}, {"function": culprit},
                                      {"function": "main.start", "file": "/m.go", "line": 3}]}] if culprit else []
    return {"name": name, "expect": expect, "verdict": verdict, "signals": signals, "budgets": budgets,
            "culprits": culprits, "vet": list(vet), "culprit_expected": culprit if expect == "leak" else None,
            "file": file or f"/repo/scenarios/{name}.yaml", "message": f"{verdict}"}


def by_name(answers):
    return {a.detector: a for a in answers}


def test_builtin_answers_follow_the_signals_and_name_the_culprit():
    a = by_name(builtin_answers(result("g_leaky", "leak", "leak", goroutines="growing", culprit="main.lookup")))
    assert a["harness"].flagged and a["goroutines"].flagged and not a["heap"].flagged and not a["fds"].flagged
    assert [f.function for f in a["goroutines"].findings] == ["main.lookup", "main.start"]  # its start too
    assert a["goroutineleak"].status == "absent" and "goroutineleak" in a["goroutineleak"].reason
    assert a["vet"].status == "ran" and not a["vet"].flagged
    vet = [{"analyzer": "lostcancel", "file": "/m.go", "line": 9, "message": "cancel not called",
            "points_at_leak": True}, {"analyzer": "printf", "file": "/m.go", "line": 2, "message": "x"}]
    v = by_name(builtin_answers(result("c_leaky", "leak", "leak", heap="growing", culprit="main.h", vet=vet)))["vet"]
    assert v.flagged and [f.check for f in v.findings] == ["lostcancel"]  # only the leak analyzers count


def test_vet_findings_carry_their_enclosing_function(tmp_path):
    src = tmp_path / "main.go"
    src.write_text("package main\n\nfunc handleWork() {\n\tctx, _ := context.WithCancel(nil)\n\t_ = ctx\n}\n")
    vet = [{"analyzer": "lostcancel", "file": str(src), "line": 4, "message": "the cancel function is not used"}]
    r = result("c_leaky", "leak", "leak", heap="growing", culprit="main.handleWork", vet=vet)
    r["culprits"][0]["file"] = str(src)
    r["culprits"][0]["stack"] = [{"function": "main.handleWork", "file": str(src), "line": 4}]
    v = by_name(builtin_answers(r))["vet"]
    assert [(f.function, f.points_at_leak) for f in v.findings] == [("main.handleWork", True)]
    errored = builtin_answers(result("e", "leak", "error"))
    assert {x.status for x in errored} == {"absent"}


def test_corpus_and_truth():
    assert corpus_of({"name": "goker_Etcd7492", "file": "/c/corpora/goker/go1.26/scenarios/x.yaml"}) == "goker"
    assert corpus_of({"name": "audit_log", "file": "/r/corpora/userstyle/audit_log/audit_log.goleak.yaml"}) \
        == "userstyle"
    assert truth_of({"name": "audit_log", "expect": "leak", "file": "/r/corpora/userstyle/a/a.goleak.yaml"}).culprits \
        == ("main.appendAudit",)
    assert truth_of({"name": "mine", "expect": None}) is None  # a user's own service: no truth
    goker = truth_of({"name": "goker_Cockroach13197", "expect": "leak", "file": "/c/corpora/goker/s/x.yaml"})
    assert goker.corpus == "goker" and any("awaitDone" in c for c in goker.culprits)


def test_session_matrix_counts_each_detector_per_corpus():
    import dataclasses

    scenarios = []
    for r in (result("g_leaky", "leak", "leak", goroutines="growing", culprit="main.lookup"),
              result("g_fixed", "clean", "clean"),
              result("h_leaky", "leak", "leak", heap="growing", culprit="main.remember"),
              result("mine", None, "clean")):
        typed = from_json(r)
        scenarios.append(dataclasses.replace(typed, detectors=tuple(harness.builtin_answers(typed))))
    cells = {(c.corpus, c.detector): c for c in harness.session_matrix(scenarios)}
    h = cells[("shipped", "harness")]
    assert (h.count("tp"), h.count("fn"), h.count("fp"), h.count("tn"), h.count("right_place")) == (2, 0, 0, 1, 2)
    g = cells[("shipped", "goroutines")]
    assert (g.count("tp"), g.count("fn"), g.count("tn")) == (1, 1, 1) and g.scenarios["fn"] == ("h_leaky",)
    assert cells[("shipped", "goroutineleak")].count("absent") == 3
    assert all("mine" not in names for c in cells.values() for names in c.scenarios.values())
