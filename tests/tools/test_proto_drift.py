"""scripts/gen_proto.sh --check: the generated protobuf module matches what the pinned protoc makes."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_gen_proto_check_reports_no_drift() -> None:
    """Needs PyPI (installs the pinned grpcio-tools into a throwaway venv)."""
    res = subprocess.run([str(REPO / "scripts" / "gen_proto.sh"), "--check"], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_gen_grpc_check_reports_no_drift() -> None:
    """Needs PyPI (grpcio-tools' protoc) and the Go module proxy (the two pinned Go plugins)."""
    res = subprocess.run([str(REPO / "scripts" / "gen_grpc.sh"), "--check"], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
