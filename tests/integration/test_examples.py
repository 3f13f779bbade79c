"""examples/: a user's own service gated by nothing but a scenario file.

`pytest --goleak examples/` must collect examples/orders_service/orders.goleak.yaml (by its
suffix), build the service from its own Go module, run it FROM scratch with the API port given
through ORDERS_PORT and pprof on the admin port, and pass within its budgets.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration
ORDERS = REPO / "examples" / "orders_service"
CADDY = REPO / "examples" / "caddy"
NOTES = REPO / "examples" / "notes_api"


def test_orders_service_is_plain_go(go_toolchain):
    main = (ORDERS / "main.go").read_text()
    assert "go_fixtures" not in main and "pytest_goleak" not in main  # nothing of ours inside
    assert '"net/http/pprof"' in main and "ORDERS_PORT" in main
    for cmd in ([go_toolchain, "vet", "."], [str(Path(go_toolchain).with_name("gofmt")), "-l", "."]):
        out = subprocess.run(cmd, cwd=ORDERS, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr


def test_pytest_goleak_examples_passes(pytester, docker_client, go_toolchain):
    args = ("--goleak", str(ORDERS), "--goleak-report", "rep", "-p", "no:cacheprovider")
    result = pytester.runpytest_subprocess(*args, "--rootdir", str(pytester.path))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*orders.goleak.yaml .*", "orders*-*clean*pass*"])
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    (orders,) = data["scenarios"]
    assert (orders["name"], orders["expect"], orders["verdict"], orders["passed"]) == (
        "orders",
        None,
        "clean",
        True,
    )
    assert orders["load"]["phases"][-1]["status"] == {"201": orders["load"]["phases"][-1]["requests"]}
    assert orders["container"]["reached_at"] != orders["container"].get("pprof_at")  # two ports
    for signal in ("goroutines", "heap_inuse_bytes", "fds"):
        assert signal in orders["signals"]
    assert our_containers(docker_client, "orders") == []


def test_notes_api_logs_in_and_drives_a_mix_with_variables(pytester, docker_client, go_toolchain):
    """The authenticated JSON API: a setup step captures the token, every request of the mix
    carries it (a missing token would be 401s and an error verdict), each entry is counted."""
    main = (NOTES / "main.go").read_text()
    assert "go_fixtures" not in main and '"net/http/pprof"' in main
    args = ("--goleak", str(NOTES), "--goleak-report", "rep", "-p", "no:cacheprovider")
    result = pytester.runpytest_subprocess(*args, "--rootdir", str(pytester.path))
    result.assert_outcomes(passed=1)
    (notes,) = json.loads((pytester.path / "rep" / "results.json").read_text())["scenarios"]
    assert (notes["name"], notes["verdict"], notes["passed"], notes["load"]["seed"]) == ("notes", "clean", True, 1)
    writes, reads = notes["load"]["entries"]
    assert (writes["label"], reads["label"]) == ("POST /notes", "GET /notes/n{rand:1-3000}")
    assert writes["status"] == {"201": writes["requests"]} and set(reads["status"]) <= {"200", "404"}
    assert reads["status"].get("200") and 2 < reads["requests"] / writes["requests"] < 4.5
    assert our_containers(docker_client, "notes") == []


def test_caddy_example_is_a_few_lines_of_plain_go(go_toolchain):
    main = (CADDY / "main.go").read_text()
    assert "caddycmd.Main()" in main and '_ "github.com/caddyserver/caddy/v2/modules/standard"' in main
    assert "github.com/caddyserver/caddy/v2 v2.11.9" in (CADDY / "go.mod").read_text()
    assert "admin 0.0.0.0:2019" in (CADDY / "Caddyfile").read_text()


def test_caddy_starts_with_its_args_and_caddyfile_and_is_measured(docker_client, pytester, go_toolchain):
    """A real server, built from the module proxy, started with `args:` and a mounted Caddyfile.

    Its scenario has no `expect` (a user's merge gate), so pass/fail is Caddy's own behaviour;
    what must hold whatever it is: it started, answered every request, and every signal was read.
    """
    args = ("--goleak", str(CADDY), "--goleak-report", "rep", "-p", "no:cacheprovider", "-rA")
    result = pytester.runpytest_subprocess(*args, "--rootdir", str(pytester.path), timeout=580)
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    (caddy,) = data["scenarios"]
    print(result.stdout.str()[-1500:])  # the harness's table, for the record
    assert caddy["name"] == "caddy" and caddy["expect"] is None
    assert caddy["verdict"] in ("clean", "leak"), caddy["message"] + "\n" + str(caddy.get("error"))
    assert caddy["passed"] == (caddy["verdict"] == "clean")
    last = caddy["load"]["phases"][-1]
    assert last["status"] == {"200": last["requests"]}
    assert caddy["container"]["reached_at"] != caddy["container"]["pprof_at"]  # site :8080, admin :2019
    assert "1 read-only file mount(s)" in caddy["container"]["hardening"]
    for signal in ("goroutines", "heap_inuse_bytes", "heap_objects", "fds"):
        assert signal in caddy["signals"], signal
    assert our_containers(docker_client, "caddy") == []


def test_caddy_under_the_local_runtime(pytester, go_toolchain):
    """No Docker: the Caddyfile is copied below the instance's root and `--config` rewritten to it;
    Caddy's fixed ports (8080, admin 2019) are found among the sockets the process listens on."""
    args = ("--goleak", str(CADDY), "--goleak-runtime=local", "--goleak-report", "rep", "-p", "no:cacheprovider")
    result = pytester.runpytest_subprocess(*args, "--rootdir", str(pytester.path), timeout=580)
    (caddy,) = json.loads((pytester.path / "rep" / "results.json").read_text())["scenarios"]
    assert caddy["verdict"] in ("clean", "leak"), caddy["message"] + "\n" + str(caddy.get("error"))
    (config,) = caddy["container"]["files"].values()
    assert config.endswith("/root/etc/caddy/Caddyfile") and config in caddy["container"]["args"]
    last = caddy["load"]["phases"][-1]
    assert last["status"] == {"200": last["requests"]}
    assert "goroutines" in caddy["signals"] and "heap_inuse_bytes" in caddy["signals"]
    assert not Path(config).exists()  # the stand-in root went with the process
    print(result.stdout.str()[-800:])


def test_a_service_without_expvar_gets_heap_figures_from_the_heap_profile():
    """capture falls back to the heap profile's inuse totals when /debug/vars is absent."""
    from pytest_goleak import pprof
    from pytest_goleak.run.capture import Snapshot, _heap_from_profile

    body = (REPO / "tests" / "data" / "profiles" / "global_map_leaky.new.heap.pb.gz").read_bytes()
    snap = Snapshot(index=0, t=0.0, requests=0)
    snap = _heap_from_profile(body, snap)
    prof = pprof.parse(body)
    assert snap.heap_inuse_bytes == prof.total(prof.index_of("inuse_space")) > 0
    assert snap.heap_objects == prof.total(prof.index_of("inuse_objects")) > 0
    broken = Snapshot(index=0, t=0.0, requests=0)
    broken = _heap_from_profile(b"\x1f\x8b not a profile", broken)
    assert broken.heap_inuse_bytes is None
