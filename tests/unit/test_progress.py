"""The progress sink and the header line (pure: fake reporter, unreachable engine)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_goleak import progress
from pytest_goleak.options import Settings


@dataclass
class FakeReporter:
    tty: bool
    lines: list[str] = field(default_factory=list)

    def isatty(self) -> bool:
        return self.tty

    def write_line(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        pass


@dataclass
class Plugins:
    reporter: Any

    def get_plugin(self, name: str) -> Any:
        return self.reporter if name == "terminalreporter" else None


def test_verbose_on_a_tty_writes_to_the_terminal(caplog: pytest.LogCaptureFixture) -> None:
    tr = FakeReporter(tty=True)
    sink = progress.Progress(Plugins(tr), verbosity=1)
    with caplog.at_level(logging.INFO, logger="pytest_goleak.progress"):
        sink("snapshot 3/6 at 1500 requests")
    assert tr.lines == ["    goleak: snapshot 3/6 at 1500 requests"]
    assert caplog.records == []  # not twice


@pytest.mark.parametrize(("tty", "verbosity", "reporter"), [
    (True, 0, True),  # no -v
    (True, -1, True),  # -q
    (False, 2, True),  # a CI log: not a terminal
    (True, 1, False),  # -p no:terminal
])
def test_elsewhere_the_lines_go_to_logging(caplog: pytest.LogCaptureFixture, tty: bool, verbosity: int,
                                           reporter: bool) -> None:
    tr = FakeReporter(tty=tty)
    sink = progress.Progress(Plugins(tr if reporter else None), verbosity=verbosity)
    with caplog.at_level(logging.INFO, logger="pytest_goleak.progress"):
        sink("build cached (0.1s)")
    assert tr.lines == []
    assert [r.getMessage() for r in caplog.records] == ["build cached (0.1s)"]


def test_header_names_go_runtime_engine_rate_and_report_dir() -> None:
    line = progress.header_line(Settings(runtime="local", memprofilerate=512, report_dir=Path("/tmp/rep")))
    assert line.startswith("goleak: go") or line.startswith("goleak: go unavailable")
    assert ", runtime local, engine local, memprofilerate 512, report /tmp/rep" in line


def test_header_with_an_unreachable_engine_neither_fails_nor_hangs(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    t0 = time.monotonic()
    assert progress.docker_engine_version() == "Docker unreachable"
    # 192.0.2.1 (TEST-NET-1) never answers: the client's timeout bounds the wait
    monkeypatch.setenv("DOCKER_HOST", "tcp://192.0.2.1:2375")
    assert progress.docker_engine_version(timeout=1) == "Docker unreachable"
    assert time.monotonic() - t0 < 10


def test_header_reports_a_live_engine() -> None:
    version = progress.docker_engine_version()
    if version == "Docker unreachable":
        pytest.skip("no Docker engine here")
    assert version.startswith("Docker ") and "(API " in version
