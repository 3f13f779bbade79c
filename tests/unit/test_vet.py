from pytest_goleak.culprit import Culprit, Frame
from pytest_goleak.vet import parse_vet_json, relate

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
    assert [(f["analyzer"], f["file"], f["line"]) for f in findings] == [
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
