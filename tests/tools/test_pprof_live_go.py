"""Runs the real `go tool pprof -top` and compares; skipped without Go."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

import pytest

from pytest_goleak import cli
from tests.unit.pprof.pprof_testlib import CASES, DATA, case_id, goleak_args, utc  # noqa: F401 - utc is a fixture

GO = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
LIVE = [c for c in CASES if c.get("sample_index") in (None, "inuse_space")]

pytestmark = [pytest.mark.integration, pytest.mark.skipif(GO is None, reason="needs the go toolchain")]


def _pprof_args(case: dict[str, Any]) -> list[str]:
    args = ["-top"]
    for key, flag in (("sample_index", "-sample_index"), ("nodecount", "-nodecount"), ("focus", "-focus"),
                      ("ignore", "-ignore"), ("base", "-base")):
        if key in case:
            value = DATA / case[key] if key == "base" else case[key]
            args.append(f"{flag}={value}")
    if case.get("lines"):
        args.append("-lines")
    return [*args, str(DATA / case["profile"])]


@pytest.mark.timeout(300)
@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("case", LIVE, ids=case_id)
def test_top_equals_live_go_tool_pprof(case: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert GO is not None
    env = dict(os.environ, TZ="UTC", PPROF_BINARY_PATH="/nonexistent", PPROF_TMPDIR=tempfile.gettempdir())
    want = subprocess.run([GO, "tool", "pprof", *_pprof_args(case)], capture_output=True, text=True,
                          env=env, timeout=240, check=True).stdout
    assert cli.main(["top", *goleak_args(case)]) == 0
    assert capsys.readouterr().out == want
