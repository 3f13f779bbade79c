"""The generated protobuf module is fenced off (its drift check is tests/tools/test_proto_drift.py)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PB2 = REPO / "pytest_goleak" / "pprof" / "profile_pb2.py"


def test_generated_module_is_fenced_off() -> None:
    head = PB2.read_text().splitlines()[0]
    assert head == "# generated, do not edit; regenerate with scripts/gen_proto.sh"


def test_only_one_module_imports_the_generated_code() -> None:
    importers = [p.name for p in PB2.parent.glob("*.py") if "profile_pb2" in p.read_text() and p != PB2]
    assert importers == ["_proto.py"]
