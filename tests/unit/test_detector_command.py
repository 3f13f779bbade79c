"""Static detector commands: fake tools that hang, crash, print garbage or find something."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_goleak.detectors import Target, run_all, run_detector
from pytest_goleak.detectors.base import DetectorResult, errored
from pytest_goleak.detectors.command import CommandDetector, parse_findings
from pytest_goleak.detectors.spec import CommandSpec
from pytest_goleak.report.results import detector_json

SOURCE = """package main

import "net/http"

func fetch(url string) int {
	resp, _ := http.Get(url)
	return resp.StatusCode
}

func main() { fetch("http://x") }
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    d = tmp_path / "pkg"
    d.mkdir()
    (d / "main.go").write_text(SOURCE)
    return d


def tool(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def detector(tmp_path: Path, executable: Path, timeout: float = 10.0) -> CommandDetector:
    spec = CommandSpec(executable.name, "example.com/tools/" + executable.name, "v1.0.0")
    return CommandDetector(spec, tmp_path / "cache", timeout=timeout, executable=executable)


def culprit(package: Path) -> list[dict[str, object]]:
    return [{"function": "main.fetch", "file": str(package / "main.go"), "line": 6,
             "stack": [{"function": "main.fetch", "file": str(package / "main.go"), "line": 6},
                       {"function": "main.main", "file": str(package / "main.go"), "line": 10}]}]


def test_findings_are_parsed_and_related_to_the_culprit(tmp_path, package):
    fake = tool(tmp_path, "finder", f'echo "{package}/main.go:6:14: response body must be closed" >&2; exit 3')
    result = run_detector(detector(tmp_path, fake), Target("s", package, culprit(package)))
    assert (result.status, result.flagged) == ("ran", True)
    assert result.where is not None
    assert (result.where.function, result.where.line, result.where.column) == ("main.fetch", 6, 14)
    assert result.where.points_at_leak and result.named_leak


def test_relative_paths_and_a_finding_away_from_the_culprit(tmp_path, package):
    fake = tool(tmp_path, "finder", 'echo "./main.go:10:15: something else (mycheck)"; exit 3')
    only_fetch = [{**culprit(package)[0], "stack": culprit(package)[0]["stack"][:1]}]
    result = run_detector(detector(tmp_path, fake), Target("s", package, only_fetch))
    (f,) = result.findings
    assert (f.file, f.function, f.check, f.message) == (str(package / "main.go"), "main.main", "mycheck",
                                                         "something else")
    assert result.flagged and not f.points_at_leak  # flagged, but not in the leak's code
    # a finding in a caller on the culprit's stack is on the leak's code path
    (on_stack,) = run_detector(detector(tmp_path, fake), Target("s", package, culprit(package))).findings
    assert on_stack.points_at_leak


def test_clean_tool_is_a_negative(tmp_path, package):
    result = run_detector(detector(tmp_path, tool(tmp_path, "quiet", "exit 0")), Target("s", package))
    assert (result.status, result.flagged, result.findings) == ("ran", False, ())


def test_a_hanging_command_is_an_errored_cell_within_its_timeout(tmp_path, package):
    fake = tool(tmp_path, "hangs", "echo starting; sleep 60; echo never")
    t0 = time.monotonic()
    result = run_detector(detector(tmp_path, fake, timeout=1.0), Target("s", package))
    assert time.monotonic() - t0 < 10  # the sleep (a grandchild holding the pipe) was killed too
    assert result.status == "error" and "timed out after 1s" in (result.reason or "")


def test_a_crashing_command_is_an_errored_cell(tmp_path, package):
    result = run_detector(detector(tmp_path, tool(tmp_path, "crashes", "echo 'panic: boom' >&2; kill -SEGV $$")),
                          Target("s", package))
    assert result.status == "error" and "killed by signal 11" in (result.reason or "")


def test_nonzero_exit_without_findings_is_an_errored_cell(tmp_path, package):
    result = run_detector(detector(tmp_path, tool(tmp_path, "fails", "echo 'internal error: no types' >&2; exit 1")),
                          Target("s", package))
    assert result.status == "error"
    assert result.reason == "exit 1 without findings: internal error: no types"


def test_garbage_output_is_an_errored_cell(tmp_path, package):
    fake = tool(tmp_path, "garbage", r"printf '\001\002 lorem ipsum\nmain.go line six\n'; exit 0")
    result = run_detector(detector(tmp_path, fake), Target("s", package))
    assert result.status == "error" and "not `file:line: message` lines" in (result.reason or "")


def test_a_command_not_found_is_absent(tmp_path, package):
    result = run_detector(detector(tmp_path, tmp_path / "no-such-tool"), Target("s", package))
    assert result.status == "absent" and "no-such-tool not found" in (result.reason or "")


def test_a_tool_that_is_not_executable_is_an_errored_cell(tmp_path, package):
    path = tmp_path / "not-exec"
    path.write_text("data")
    result = run_detector(detector(tmp_path, path), Target("s", package))
    assert result.status == "error" and "did not start" in (result.reason or "")


def test_no_source_is_absent(tmp_path):
    result = run_detector(detector(tmp_path, tool(tmp_path, "t", "exit 0")), Target("image-only"))
    assert result.status == "absent" and "no Go source" in (result.reason or "")


def test_an_uninstallable_module_is_absent_with_go_install_reason(tmp_path, package, monkeypatch):
    fake_go = tool(tmp_path, "go", 'case "$1" in env) echo go1.99.0;; install) echo "go: no such module" >&2; '
                                   "exit 1;; esac")
    monkeypatch.setattr("pytest_goleak.run.gotool.go_binary", lambda: str(fake_go))
    monkeypatch.setattr("pytest_goleak.run.gotool.go_version", lambda go=None: "go1.99.0")
    spec = CommandSpec("nope", "example.com/none/nope", "v0.0.1")
    det = CommandDetector(spec, tmp_path / "cache")
    result = run_detector(det, Target("s", package))
    assert result.status == "absent"
    assert "`go install example.com/none/nope@v0.0.1` failed (exit 1): go: no such module" in (result.reason or "")
    assert det.gobin("go1.99.0").parent == tmp_path / "cache" / "detectors" / "go1.99.0"


def test_a_raising_or_malformed_python_detector_is_an_errored_cell_and_the_rest_still_answer(tmp_path, package):
    class Raises:
        name = "raises"

        def detect(self, target: Target) -> DetectorResult:
            raise RuntimeError("boom")

    class WrongType:
        name = "wrong"

        def detect(self, target: Target) -> object:
            return {"flagged": True}

    good = detector(tmp_path, tool(tmp_path, "quiet", "exit 0"))
    hangs = detector(tmp_path, tool(tmp_path, "hangs", "sleep 60"), timeout=0.5)
    results = run_all([Raises(), WrongType(), object(), hangs, good], Target("s", package))
    assert [(r.detector, r.status) for r in results] == [
        ("raises", "error"), ("wrong", "error"), ("object", "error"), ("hangs", "error"), ("quiet", "ran")]
    assert results[0].reason == "raised RuntimeError: boom"
    assert results[1].reason == "returned dict, not a DetectorResult"


def test_parse_findings_keeps_unreadable_lines_apart_and_ignores_go_progress(tmp_path):
    findings, other = parse_findings(
        "go: downloading example.com/x v1.0.0\n/a/b.go:3: no column\nweird line\n/a/c.go:4:2: with col\n", tmp_path)
    assert [(f.file, f.line, f.column) for f in findings] == [("/a/b.go", 3, None), ("/a/c.go", 4, 2)]
    assert other == ["weird line"]


def test_errored_helper_has_no_findings():
    r = errored("x", "why")
    assert (r.status, r.flagged, r.where, detector_json(r)["reason"]) == ("error", False, None, "why")
