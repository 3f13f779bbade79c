"""The local runtime's own logic: which listening port is which, the bounded log tail, the
minimal environment (runtime/local.py). The real processes are in tests/integration/test_local_runtime.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.run.build import BuildError, build_for_local
from pytest_goleak.run.runtime.local import Ports, choose_ports, minimal_env, read_tail
from pytest_goleak.scenario.parse import load_scenario

P = Ports(given=41000, fixed=8080)


def no_pprof(port: int) -> bool:
    raise AssertionError(f"probed {port}: a named or single port needs no probe")


@pytest.mark.parametrize(("listening", "ports", "settled", "want"), [
    ({41000}, P, False, (41000, 41000)),  # it read $PORT: found at once, no settling
    ({8080}, P, False, (8080, 8080)),  # a hard-coded :8080 (the fixed port) is found too
    ({8080, 2019}, Ports(41000, 8080, pprof=2019), False, (8080, 2019)),  # Caddy: both named
    ({41000}, Ports(41000, 8080, pprof=6060), True, None),  # the named admin port is not up yet
    ({5555, 6060}, Ports(41000, 8080, pprof=6060), True, (5555, 6060)),  # an unnamed service port
    ({5555, 6060}, Ports(41000, 8080, pprof=6060), False, None),  # ... only once the set has settled
    ({5555}, P, False, None),  # an unknown port: wait for the set to settle
    ({5555}, P, True, (5555, 5555)),  # ... then the only port serves both
    (set(), P, True, None),  # listening on nothing yet
])
def test_named_and_single_ports_need_no_probe(listening, ports, settled, want):
    assert choose_ports(listening, ports, settled=settled, answers_pprof=no_pprof) == want


def test_of_several_ports_the_one_answering_pprof_is_the_admin_port():
    admin = {6061}
    assert choose_ports({41000, 6061}, P, settled=True, answers_pprof=admin.__contains__) == (41000, 6061)
    assert choose_ports({41000, 6061}, P, settled=False, answers_pprof=admin.__contains__) is None
    assert choose_ports({7000, 6061}, P, settled=True, answers_pprof=admin.__contains__) == (7000, 6061)
    both = {41000, 6061}  # pprof on the service's own mux too: one URL for both
    assert choose_ports({41000, 6061}, P, settled=True, answers_pprof=both.__contains__) == (41000, 41000)
    assert choose_ports({7000, 9000}, P, settled=True, answers_pprof=lambda p: False) == (7000, 7000)


def test_the_log_is_read_as_a_bounded_tail_from_a_line_start(tmp_path: Path):
    log = tmp_path / "log"
    log.write_bytes(b"".join(b"line %06d\n" % i for i in range(10_000)))  # 120,000 bytes
    small = read_tail(log, 1000)
    first, *rest = small.splitlines()
    assert "were cut" in first and "last 1,000 bytes" in first
    assert rest[0].startswith("line ") and len(rest[0]) == 11  # a whole line, not a cut one
    assert rest[-1] == "line 009999"
    assert len("\n".join(rest)) < 1000
    assert read_tail(log, 10**9) == log.read_text()  # under the cap: the whole log, nothing said
    assert read_tail(tmp_path / "missing") == ""


def test_the_environment_is_minimal_and_the_scenario_wins(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GOLEAK_TEST_MARKER", "secret")
    monkeypatch.setenv("REDIS_URL", "redis://192.0.2.1/0")
    env = minimal_env(tmp_path / "home", tmp_path / "tmp", {"REDIS_URL": "redis://127.0.0.1:1/0", "HOME": "/x"})
    assert set(env) == {"PATH", "HOME", "TMPDIR", "REDIS_URL"}
    assert env["REDIS_URL"] == "redis://127.0.0.1:1/0" and env["HOME"] == "/x"
    assert env["TMPDIR"] == str(tmp_path / "tmp")


@pytest.mark.parametrize("key", ["dockerfile", "image"])
def test_the_local_runtime_refuses_an_image_naming_the_file_line_and_the_runtime_it_needs(tmp_path: Path, key):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    value = "Dockerfile" if key == "dockerfile" else "example/app:1"
    path = tmp_path / "s.goleak.yaml"
    path.write_text(f"name: s\n{key}: {value}\n")
    with pytest.raises(BuildError) as failed:
        build_for_local(load_scenario(path), tmp_path / "cache")
    message = str(failed.value)
    assert message.startswith(f"{path}:2: the local runtime cannot run a '{key}:' service"), message
    assert "--goleak-runtime=docker" in message
