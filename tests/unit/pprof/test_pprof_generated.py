"""The generated protobuf module is fenced off and matches what scripts/gen_proto.sh makes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PB2 = REPO / "pytest_goleak" / "pprof" / "profile_pb2.py"


def test_generated_module_is_fenced_off() -> None:
    head = PB2.read_text().splitlines()[0]
    assert head == "# generated, do not edit; regenerate with scripts/gen_proto.sh"


def test_only_one_module_imports_the_generated_code() -> None:
    importers = [p.name for p in PB2.parent.glob("*.py") if "profile_pb2" in p.read_text() and p != PB2]
    assert importers == ["_proto.py"]


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_gen_proto_check_reports_no_drift() -> None:
    """Needs PyPI (installs the pinned grpcio-tools into a throwaway venv)."""
    res = subprocess.run([str(REPO / "scripts" / "gen_proto.sh"), "--check"], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
