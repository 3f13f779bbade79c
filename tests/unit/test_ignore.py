"""Scenario-level ignore lists: goleak's IgnoreTopFunction / IgnoreAnyFunction / IgnoreCreatedBy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.pprof import Frame
from pytest_goleak.scenario.ignore import IgnoreError, IgnoreRule, first_match, parse
from pytest_goleak.scenario.parse import ScenarioError, load_scenario

STACK = (Frame("runtime.gopark", "proc.go", 1), Frame("internal/poll.runtime_pollWait", "netpoll.go", 2),
         Frame("github.com/lib/pq.(*conn).recv", "conn.go", 3), Frame("main.worker", "main.go", 4))
CREATOR = Frame("net/http.(*Server).Serve", "server.go", 5)


@pytest.mark.parametrize(("rule", "hit"), [
    (IgnoreRule("top", "internal/poll.runtime_pollWait"), True),  # gopark is not what the traceback prints
    (IgnoreRule("top", "main.worker"), False),
    (IgnoreRule("any", "github.com/lib/pq.(*conn).recv"), True),  # an exact name needs no escaping
    (IgnoreRule("any", "re:github\\.com/lib/pq\\..*"), True),
    (IgnoreRule("any", "re:pq"), False),  # a pattern matches the whole name
    (IgnoreRule("created_by", "net/http.(*Server).Serve"), True),
    (IgnoreRule("created_by", "main.main"), False),
])
def test_rules_match_as_goleak_options_do(rule, hit):
    assert rule.matches(STACK, CREATOR) is hit


def test_first_match_and_no_creator():
    rules = parse([{"created_by": "x.y"}, {"any": "main.worker"}])
    assert str(first_match(rules, STACK, None)) == "any: main.worker"
    assert first_match(parse([{"created_by": "x.y"}]), STACK, None) is None


@pytest.mark.parametrize(("entries", "fragment"), [
    ("notalist", "must be a list"),
    ([{"top": "a", "any": "b"}], "entry 1 must be one of"),
    ([{"bottom": "a"}], "unknown ignore kind 'bottom'"),
    ([{"top": 3}], "must be a function name"),
    ([{"any": "re:("}], "not a valid regular expression"),
])
def test_bad_entries_say_what_is_wrong(entries, fragment):
    with pytest.raises(IgnoreError, match=fragment):
        parse(entries)


def test_scenario_ignore_list_and_its_errors_name_file_and_line(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    ok = tmp_path / "ok.yaml"
    ok.write_text("fixture: pkg\nignore:\n  - top: main.worker\n  - created_by: 're:net/http\\..*'\n")
    assert [str(r) for r in load_scenario(ok).ignore] == ["top: main.worker", "created_by: re:net/http\\..*"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("fixture: pkg\nignore:\n  - top: main.worker\n  - any: 're:(unclosed'\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert err.value.line == 4 and "not a valid regular expression" in str(err.value)
    assert str(err.value).startswith(f"{bad}:4: 'ignore':")
