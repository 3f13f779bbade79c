
import pytest

from pytest_goleak.detectors import vet
from pytest_goleak.detectors.vet import parse_vet_json, relate
from pytest_goleak.judge.culprit import Culprit, Frame
from pytest_goleak.run import gotool

VET_OUTPUT = """{}
{
    "example.com/m/leaky": {
        "lostcancel": [
            {"posn": "/src/leaky/main.go:40:2", "end": "/src/leaky/main.go:40:64",
             "message": "the cancel function is not used on all paths (possible context leak)"}
        ],
        "printf": [{"posn": "/src/leaky/util.go:7:3", "message": "wrong verb"}]
    }
}
"""


def test_parse_vet_json_concatenated_objects():
    findings = parse_vet_json(VET_OUTPUT)
    assert [(f.analyzer, f.file, f.line) for f in findings] == [
        ("lostcancel", "/src/leaky/main.go", 40), ("printf", "/src/leaky/util.go", 7)]


def test_parse_vet_json_clean_and_garbage():
    assert parse_vet_json("{}\n") == []
    assert parse_vet_json("# some build note {not json") == []


def test_relate_marks_leak_analyzers_on_the_culprit_stack():
    stack = (Frame("main.h", "/src/leaky/main.go", 3), Frame("net/http.serve", "/go/net/http.go", 9))
    culprits = [Culprit("heap", "main.h", "/src/leaky/main.go", 3, None, 1.0, 1.0, None, stack)]
    related = relate(parse_vet_json(VET_OUTPUT), culprits)
    assert [f.points_at_leak for f in related] == [True, False]
    assert [f.points_at_leak for f in relate(parse_vet_json(VET_OUTPUT), [])] == [False, False]


def test_vet_findings_are_cached_by_source_hash(tmp_path, monkeypatch):
    """Unchanged sources are not vetted twice; a changed file is."""
    try:
        gotool.go_binary()
    except gotool.GoError:
        pytest.skip("no Go toolchain")
    mod = tmp_path / "mod"
    mod.mkdir()
    (mod / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (mod / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Printf("%d\\n", "x") }\n')
    calls: list[list[str]] = []
    real_run = vet.run_bounded

    def counting_run(cmd, *args, **kwargs):
        if "vet" in cmd:
            calls.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(vet, "run_bounded", counting_run)
    first = vet.run_vet(mod, tmp_path / "cache")
    assert [f.analyzer for f in first] == ["printf"] and len(calls) == 1
    assert vet.run_vet(mod, tmp_path / "cache") == first and len(calls) == 1  # from the cache
    (mod / "main.go").write_text('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("x") }\n')
    assert vet.run_vet(mod, tmp_path / "cache") == [] and len(calls) == 2  # changed: vetted again
