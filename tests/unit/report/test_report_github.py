"""GitHub Actions job summary and annotations, against a fake GITHUB_STEP_SUMMARY and stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sample_results as sample

from pytest_goleak.options import github_enabled
from pytest_goleak.report import github
from pytest_goleak.report import results as results_mod

REPO_ROOT = Path(sample.LEAKY_FILE).parents[3]  # .../main, holding go_fixtures/


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_SHA": "0123abc", "GITHUB_WORKSPACE": str(REPO_ROOT),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), **extra}


def run(tmp_path: Path, results: dict[str, Any], **extra: str) -> tuple[str, list[str]]:
    out: list[str] = []
    warnings: list[str] = []
    scenarios = [results_mod.from_json(s) for s in results["scenarios"]]
    github.publish(scenarios, error=results.get("error"), env=env(tmp_path, **extra), rootdir=tmp_path,
                   failures=["chan heap_inuse_bytes +20%"], emit=out.append, warn=warnings.append)
    return "".join(line + "\n" for line in out), warnings


def test_summary_is_the_terminal_table_with_linked_culprits(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    run(tmp_path, sample.results())
    text = summary.read_text()
    assert text.startswith("earlier step\n## pytest-goleak: FAILED")  # appended, not replaced
    assert ("| scenario | expect | verdict | result | goroutines/1k | heap/1k | fds/1k | heap/day | extension "
            "| culprit |") in text
    link = "https://github.com/acme/shop/blob/0123abc/go_fixtures/goroutine_chan/leaky/main.go#L23"
    assert "| goroutine_chan_leaky | leak | leak | pass |" in text
    assert f"[`main.lookup (main.go:23)`]({link})" in text
    assert "### Baseline regressions" in text and "- chan heap_inuse_bytes +20%" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(sample.results()["scenarios"])


def test_error_annotation_at_the_culprit_of_a_failing_leak(tmp_path: Path) -> None:
    out, warnings = run(tmp_path, sample.results())
    lines = out.splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    assert errors == [
        "::error file=go_fixtures/goroutine_chan/leaky/main.go,line=23,title=goleak%3A orders_api leaks::"
        "heap_inuse_bytes_per_1k_requests = 1.0 MiB exceeds budget 256.0 KiB"]
    # the known leak, detected as expected, is a notice, not an error
    assert any(x.startswith("::notice file=go_fixtures/goroutine_chan/leaky/main.go,line=23,") for x in lines)
    assert warnings == []


def test_culprit_outside_the_repository_has_no_link_and_no_file(tmp_path: Path) -> None:
    results = sample.results()
    for s in results["scenarios"]:
        for c in s.get("culprits") or []:
            c["file"] = "/usr/local/go/src/net/http/transport.go"
    out, _ = run(tmp_path, results)
    text = (tmp_path / "summary.md").read_text()
    assert "[`main.lookup" not in text and "`main.lookup (transport.go:23)`" in text
    errors = [x for x in out.splitlines() if x.startswith("::error")]
    assert errors and all("file=" not in x for x in errors)


def test_messages_are_escaped_for_workflow_commands(tmp_path: Path) -> None:
    results = sample.results()
    bad = results["scenarios"][-1]
    bad["message"] = "100% growth\nsecond line"
    bad["name"] = "a,b:c"
    out, _ = run(tmp_path, results)
    error = next(x for x in out.splitlines() if x.startswith("::error"))
    assert error.endswith("::100%25 growth%0Asecond line") and "title=goleak%3A a%2Cb%3Ac leaks" in error


def test_unwritable_summary_is_one_warning_not_a_failure(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "summary.md"
    out, warnings = run(tmp_path, sample.results(), GITHUB_STEP_SUMMARY=str(target))
    assert len(warnings) == 1 and str(target) in warnings[0] and "cannot write the job summary" in warnings[0]
    assert "::error " in out  # the annotations still went out


def test_summary_path_that_is_a_directory(tmp_path: Path) -> None:
    _, warnings = run(tmp_path, sample.results(), GITHUB_STEP_SUMMARY=str(tmp_path))  # writable even by root
    assert len(warnings) == 1 and "Is a directory" in warnings[0]


@pytest.mark.parametrize(("option", "ini", "actions", "want"), [
    (True, "auto", "", True), (None, "auto", "true", True), (None, "auto", "", False),
    (None, "false", "true", False), (None, "true", "", True), (None, "", "true", True),
])
def test_enabled(option: bool | None, ini: str, actions: str, want: bool) -> None:
    assert github_enabled(option, ini, {"GITHUB_ACTIONS": actions}) is want
