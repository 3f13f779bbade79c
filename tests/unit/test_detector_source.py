"""Naming the function that holds a line of Go source, as pprof names it."""

from __future__ import annotations

from pytest_goleak.detectors.base import Finding
from pytest_goleak.detectors.source import blank, enclosing_function, functions, relate

GO = '''package main

import "strings"

// func notReal() { in a comment }
type Server struct{ n int }

func (s *Server) Serve(a int,
	b string) (int, error) {
	x := "} not a brace {"
	y := `raw
} still a string`
	_ = '}'
	go func() {
		_ = strings.ToUpper(x + y)
	}()
	return 0, nil
}

func (s Server) Name() string { return "s" }

func List[T any](xs []T) []T {
	return xs
}

func (l *Box[T]) Get() T { var z T; return z }

type Box[T any] struct{ v T }

//go:noescape
func asmStub(x int) int

func after() {}
'''


def test_blank_keeps_lines_and_drops_literals():
    out = blank(GO)
    assert out.count("\n") == GO.count("\n")
    assert "not a brace" not in out and "notReal" not in out and "still a string" not in out


def test_functions_and_their_spans():
    spans = {s.name: (s.start, s.end) for s in functions(GO, "main")}
    assert spans == {
        "main.(*Server).Serve": (8, 18),
        "main.Server.Name": (20, 20),
        "main.List": (22, 24),
        "main.(*Box[...]).Get": (26, 26),
        "main.after": (33, 33),
    }


def test_enclosing_function_in_a_file(tmp_path):
    path = tmp_path / "main.go"
    path.write_text(GO)
    assert enclosing_function(str(path), 15) == "main.(*Server).Serve"  # inside the closure
    assert enclosing_function(str(path), 6) is None
    assert enclosing_function(str(tmp_path / "missing.go"), 3) is None


def test_qualifier_of_a_non_main_package(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "store").mkdir()
    path = tmp_path / "store" / "db.go"
    path.write_text("package store\n\nfunc Open() {\n}\n")
    assert enclosing_function(str(path), 3) == "example.com/m/store.Open"


def test_relate_uses_closures_of_the_enclosing_function(tmp_path):
    path = tmp_path / "main.go"
    path.write_text(GO)
    culprits = [{"function": "main.(*Server).Serve.func1", "file": str(path), "stack": []}]
    near, far = relate([Finding(str(path), 9, "a"), Finding(str(path), 23, "b")], culprits)
    assert (near.function, near.points_at_leak) == ("main.(*Server).Serve", True)
    assert (far.function, far.points_at_leak) == ("main.List", False)
    assert relate([Finding(str(path), 9, "a")], [])[0].points_at_leak is False
