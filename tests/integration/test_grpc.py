"""gRPC load end to end: the examples/ gRPC service (a user's own grpc-go module) and bad gRPC
input, in ONE real ``pytest --goleak`` run against real containers.

The known-truth pair (scenarios/grpc_stream_*) and the per-connection trap
(scenarios/grpc_conns_clean) run with the shipped suite (test_shipped_scenarios.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration
INVENTORY = REPO / "examples" / "grpc_service"
FIXED = REPO / "go_fixtures" / "grpc_stream" / "fixed"
FEED_PROTO = REPO / "go_fixtures" / "internal" / "feedpb" / "feed.proto"

BAD = {
    # a method the server's reflection does not list
    "no_method": "load:\n  grpc: {call: feed.v1.Feed/Delete}\n",
    # a proto file that does not parse
    "bad_proto": "load:\n  grpc: {call: feed.v1.Feed/Get, proto: bad.proto}\n",
    # JSON, but not a feed.v1.GetRequest
    "bad_data": "load:\n  grpc: {call: feed.v1.Feed/Get, data: '{\"idd\": \"x\"}'}\n",
    # in the proto file, not on the server: every call UNIMPLEMENTED, the >5% rule
    "unimplemented": "load:\n  grpc: {call: feed.v1.Feed/Delete, proto: more.proto}\n",
}


@pytest.fixture(scope="module")
def grpc_run(tmp_path_factory, docker_client, go_toolchain) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    work = tmp_path_factory.mktemp("grpc")
    (work / "bad.proto").write_text('syntax = "proto3";\nmessage A {\n  int32 x = \n}\n')
    (work / "more.proto").write_text(FEED_PROTO.read_text().replace(
        "service Feed {", "service Feed {\n  rpc Delete(GetRequest) returns (Item);"))
    head = (f"fixture: {FIXED}\nport: 50051\npprof_port: 6060\nenv: {{ADMIN_PORT: '6060'}}\nsnapshots: 4\n"
            "health: {timeout: 60s}\n")
    for name, load in BAD.items():
        (work / f"{name}.goleak.yaml").write_text(head + load + "  requests: 300\n  warmup_requests: 20\n")
    report = work / "report"
    proc = subprocess.run([sys.executable, "-m", "pytest", "--goleak", str(INVENTORY), str(work), "--goleak-report",
                           str(report), "-p", "no:cacheprovider", "-q", "--rootdir", str(work)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
    results = json.loads((report / "results.json").read_text())
    return proc, {s["name"]: s for s in results["scenarios"]}


def test_inventory_example_is_plain_grpc_go(go_toolchain):
    main = (INVENTORY / "main.go").read_text()
    assert "go_fixtures" not in main and "pytest_goleak" not in main  # nothing of ours inside
    assert '_ "net/http/pprof"' in main and "reflection.Register" in main and "healthpb.RegisterHealthServer" in main
    for cmd in ([go_toolchain, "vet", "."], [str(Path(go_toolchain).with_name("gofmt")), "-l", "."]):
        out = subprocess.run(cmd, cwd=INVENTORY, capture_output=True, text=True, timeout=300, check=False)
        assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr


def test_inventory_example_passes_through_grpc_health_and_its_stream_load(grpc_run, docker_client):
    proc, by_name = grpc_run
    inv = by_name["inventory"]
    assert (inv["verdict"], inv["passed"], inv["error"]) == ("clean", True, None), inv["message"]
    assert inv["health_path"] == "grpc.health.v1"
    load = inv["load"]
    assert load["protocol"] == "grpc" and load["errors"] == 0
    assert load["status"] == {"0": load["entries"][0]["requests"]}  # every call OK, with the bearer token
    assert load["entries"][0]["label"] == "gRPC /inventory.v1.Inventory/WatchStock"
    assert inv["container"]["reached_at"] != inv["container"]["pprof_at"]  # API port, admin port
    for signal in ("goroutines", "heap_inuse_bytes", "fds"):
        assert signal in inv["signals"]
    assert our_containers(docker_client, *by_name) == []


@pytest.mark.parametrize(("name", "says"), [
    ("no_method", 'service feed.v1.Feed has no method "Delete" (server reflection lists: Get, Subscribe'),
    ("bad_proto", "bad.proto:4:1: syntax error"),
    ("bad_data", 'data "{\\"idd\\": \\"x\\"}" is not a feed.v1.GetRequest in JSON'),
    ("unimplemented", "were not OK (UNIMPLEMENTED:"),
])
def test_bad_grpc_input_is_an_error_verdict_naming_the_value(grpc_run, name, says):
    proc, by_name = grpc_run
    got = by_name[name]
    assert got["verdict"] == "error" and not got["passed"], got["message"]
    assert says in (got["error"] or "") + got["message"], (got["error"], got["message"])
    assert "gave no result" not in got["error"]  # it exited at once, and says so
    assert f"{name}.goleak.yaml" in proc.stdout


def test_html_report_names_grpc_codes(grpc_run):
    proc, _ = grpc_run
    report = Path(proc.args[proc.args.index("--goleak-report") + 1])
    page = (report / "inventory" / "index.html").read_text()
    assert "gRPC status" in page and "OK\u00d7" in page
