"""The goker corpus: where it comes from, what is generated, how a result is judged (no Docker)."""

from __future__ import annotations

import pytest

from pytest_goleak.corpora import goker
from pytest_goleak.corpora.goker_cases import BY_NAME, CASES, GokerCase, Leak
from pytest_goleak.run import gotool
from pytest_goleak.scenario.parse import load_scenario


@pytest.fixture
def fake_go(tmp_path, monkeypatch):
    """A `go` whose GOROOT is a temp dir; returns (goroot, set_version)."""
    goroot = tmp_path / "goroot"
    goroot.mkdir()
    version = {"v": "go1.26.8"}
    script = tmp_path / "go"

    def write() -> None:
        script.write_text(f'#!/bin/sh\ncase "$2" in GOROOT) echo {goroot};; GOVERSION) echo {version["v"]};; esac\n')
        script.chmod(0o755)

    write()
    gotool.go_version.cache_clear()
    monkeypatch.setattr(gotool, "go_binary", lambda: str(script))

    def set_version(v: str) -> None:
        version["v"] = v
        gotool.go_version.cache_clear()
        write()

    yield goroot, set_version
    gotool.go_version.cache_clear()


def test_an_old_go_says_the_corpus_is_not_available(fake_go):
    _, set_version = fake_go
    set_version("go1.25.3")
    with pytest.raises(goker.CorpusUnavailable) as exc:
        goker.corpus_dir()
    assert str(exc.value).startswith("corpus not available: go1.25.3 has no goker directory (Go >= 1.26")


def test_a_missing_directory_says_where_it_looked(fake_go):
    goroot, _ = fake_go
    with pytest.raises(goker.CorpusUnavailable, match=f"{goroot}/src/runtime/testdata/testgoroutineleakprofile/goker"):
        goker.prepare(goroot.parent / "cache")


def test_prepare_copies_the_case_as_it_is_and_a_missing_case_is_its_own_error(fake_go, tmp_path):
    goroot, _ = fake_go
    corpus = goroot / goker.CORPUS_SUBDIR
    corpus.mkdir(parents=True)
    case_text = 'package main\n\nfunc init() { register("Demo1", Demo1) }\n\nfunc Demo1() {}\n'
    (corpus / "demo1.go").write_text(case_text)
    cases = [GokerCase("Demo1", "demo1.go", (Leak("main.Demo1.func2", "chan send"),)),
             GokerCase("Gone2", "gone2.go", (Leak("main.Gone2.func2", "chan send"),))]
    ok, missing = goker.prepare(tmp_path / "cache", cases)
    assert ok.error is None and ok.module_dir is not None and ok.scenario is not None
    assert (ok.module_dir / "demo1.go").read_text() == case_text
    assert (ok.module_dir / "main.go").read_text() == goker.WRAPPER.read_text()
    assert (ok.module_dir / "go.mod").read_text() == "module goker.invalid/demo1\n\ngo 1.26\n"
    assert str(ok.module_dir).startswith(str(tmp_path / "cache" / "corpora" / "goker" / "go1.26.8-"))
    assert missing.scenario is None and "Gone2: cannot read" in (missing.error or "")
    scenario = load_scenario(ok.scenario)
    assert (scenario.name, scenario.expect, scenario.fixture, scenario.load.path) == (
        "goker_Demo1", "leak", ok.module_dir, "/run")
    assert scenario.env == {"GOMAXPROCS": "1", "GODEBUG": "asyncpreemptoff=1"}
    assert scenario.budgets == {}  # judged at the defaults


def test_every_deterministic_case_gets_a_valid_scenario(tmp_path):
    for case in CASES:
        path = tmp_path / f"{case.name}.goleak.yaml"
        path.write_text(goker.scenario_text(case, tmp_path))
        s = load_scenario(path)
        assert s.load.requests * case.per_run <= goker.GOROUTINES_PER_WINDOW or s.load.requests == goker.MIN_REQUESTS
    assert len(CASES) == 23 and len({c.name for c in CASES}) == 23


def test_load_for_scales_with_goroutines_per_run():
    assert goker.load_for(BY_NAME["Cockroach13197"]) == (300, 30, 1)
    assert goker.load_for(BY_NAME["Moby7559"]) == (100, 10, 4)  # 20 per run, a 100 ms wait
    assert goker.load_for(BY_NAME["Cockroach7504"]) == (30, 3, 4)  # 200 per run: the floor


def _culprit(function: str, stack: list[str], state: str = "chan receive (leaked)", kind: str = "goroutine"):
    return {"kind": kind, "function": function, "state": state,
            "stack": [{"function": f} for f in stack]}


def test_agreement_on_the_start_function_and_wait_state():
    case = BY_NAME["Cockroach35073"]
    held = goker.agreement(case, _culprit("main.(*outbox_cockroach35073).Push",
                                          ["runtime.gopark", "runtime.chansend1", "main.(*outbox_cockroach35073).Push",
                                           "main.Cockroach35073.func2.1", "runtime.goexit"], "chan send, 2 minutes"))
    assert (held.start_function, held.state, held.held, held.named) == (
        "main.Cockroach35073.func2.1", "chan send", True, False)
    wrong_state = goker.agreement(case, _culprit("x", ["main.Cockroach35073.func2"], "select"))
    assert not wrong_state.held
    named = goker.agreement(BY_NAME["Cockroach13197"], _culprit(
        "main.(*Tx_cockroach13197).awaitDone", ["runtime.gopark", "main.(*Tx_cockroach13197).awaitDone"]))
    assert named.held and named.named
    heap = goker.agreement(case, _culprit("main.Cockroach35073.func2", ["main.Cockroach35073.func2"], "", "heap"))
    assert not heap.held and heap.named and heap.start_function is None
    assert goker.agreement(case, None) == goker.Agreement(None, None, False, False)
