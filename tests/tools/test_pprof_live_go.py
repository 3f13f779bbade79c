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


@pytest.mark.timeout(300)
@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize("case", LIVE, ids=case_id)
def test_top_equals_live_go_tool_pprof(case: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """The very same argv, in pprof's spelling, to `go tool pprof` and to `goleak top`."""
    assert GO is not None
    args = goleak_args(case, "pprof=" if len(case) % 2 else "pprof")
    env = dict(os.environ, TZ="UTC", PPROF_BINARY_PATH="/nonexistent", PPROF_TMPDIR=tempfile.gettempdir())
    want = subprocess.run([GO, "tool", "pprof", *args], capture_output=True, text=True,
                          env=env, timeout=240, check=True).stdout
    assert cli.main(["top", *args]) == 0
    assert capsys.readouterr().out == want
