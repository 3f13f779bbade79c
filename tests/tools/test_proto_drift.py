"""scripts/gen_proto.sh and gen_grpc.sh --check: the generated code matches what the pinned tools make."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO


@pytest.mark.integration
@pytest.mark.timeout(600)
@pytest.mark.parametrize("script", ["gen_proto.sh", "gen_grpc.sh"])
def test_generated_code_has_no_drift(script: str) -> None:
    """gen_proto.sh: the pprof module (PyPI's grpcio-tools). gen_grpc.sh: the gRPC services' Go code
    (grpcio-tools' protoc, and the two pinned Go plugins from the Go module proxy)."""
    res = subprocess.run([str(REPO / "scripts" / script), "--check"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
