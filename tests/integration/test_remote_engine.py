"""Remote engines (DOCKER_HOST=tcp:// or ssh://): where published ports live, how they are reached,
and /proc-based signals that degrade to "absent" when the fixture's pid is not on this host.

The tcp:// path is exercised for real: the local engine's unix socket is exposed on a loopback
TCP port by a small forwarder in this file, and ``pytest --goleak`` runs against it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goleak.run.capture import Snapshot, _read_proc
from pytest_goleak.run.runtime import docker as rt
from pytest_goleak.run.runtime.base import RuntimeFailure
from tests.conftest import REPO
from tests.integration.test_faults import containers_of, copy_scenario, pytest_cmd

DOCKER_SOCK = "/var/run/docker.sock"
SMALL = {"requests: 3000": "requests: 1200", "snapshots: 6": "snapshots: 4"}  # 3 is too few to call a trend


# -- where the port lives and how it is reached (pure) -------------------------------------------

@pytest.mark.parametrize(("env", "published_on", "reached_at"), [
    ({}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "unix:///var/run/docker.sock"}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, "127.0.0.1", "127.0.0.1"),  # a tunnel to any engine
    ({"DOCKER_HOST": "ssh://me@localhost"}, "127.0.0.1", "127.0.0.1"),
    ({"DOCKER_HOST": "tcp://engine.lan:2376", "GOLEAK_PUBLISH_IP": "0.0.0.0"}, "0.0.0.0", "engine.lan"),
    ({"DOCKER_HOST": "ssh://me@[2001:db8::5]:22", "GOLEAK_PUBLISH_IP": "::"}, "::", "2001:db8::5"),
    ({"DOCKER_HOST": "tcp://engine.lan:2376", "GOLEAK_PUBLISH_IP": "10.1.2.3"}, "10.1.2.3", "10.1.2.3"),
    ({"DOCKER_HOST": "ssh://me@engine.lan", "GOLEAK_DOCKER_PUBLISHED_HOST": "127.0.0.1"}, "127.0.0.1",
     "127.0.0.1"),
])
def test_published_on_and_reached_at(monkeypatch, env, published_on, reached_at):
    for key in ("DOCKER_HOST", "GOLEAK_PUBLISH_IP", "GOLEAK_DOCKER_PUBLISHED_HOST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert rt.check_reachable() == published_on
    assert rt.published_host() == reached_at


@pytest.mark.parametrize("host", ["tcp://engine.lan:2376", "ssh://me:secret@engine.lan"])
def test_remote_engine_with_loopback_ports_is_a_clear_error_up_front(monkeypatch, host):
    monkeypatch.setenv("DOCKER_HOST", host)
    monkeypatch.delenv("GOLEAK_PUBLISH_IP", raising=False)
    monkeypatch.delenv("GOLEAK_DOCKER_PUBLISHED_HOST", raising=False)
    with pytest.raises(RuntimeFailure, match="is on another host: ports published on its 127.0.0.1") as err:
        rt.check_reachable()
    assert "GOLEAK_PUBLISH_IP" in str(err.value) and "secret" not in str(err.value)


class _FakeContainer:
    """What a remote engine reports: a pid from ITS process table, an id no local cgroup has."""

    id = "f" * 64

    def __init__(self, pid: int) -> None:
        self.attrs = {"State": {"Pid": pid, "Running": True}}


def test_remote_pid_is_not_read_from_this_hosts_proc():
    # Our own pid exists here, but it is not that container's process: no signal, no error.
    fake = _FakeContainer(os.getpid())
    inst = rt.DockerInstance(None, fake, "http://x", "http://x", rt.InstanceInfo("docker"))
    assert inst.host_pid() is None
    snap = Snapshot(index=0, t=0.0, requests=0)
    snap = _read_proc(inst.host_pid(), snap)
    assert (snap.rss_bytes, snap.threads, snap.fds) == (None, None, None)


# -- the real thing: tcp:// to the local engine through a forwarder ------------------------------

class UnixForwarder:
    """127.0.0.1:<port> -> the engine's unix socket, one pair of pump threads per connection."""

    def __init__(self, bind: str = "127.0.0.1") -> None:
        self.server = socket.create_server((bind, 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._socks: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(DOCKER_SOCK)
            self.connections += 1
            self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
        for s in self._socks:
            s.close()


@pytest.fixture
def tcp_engine(docker_client) -> Iterator[UnixForwarder]:
    if not Path(DOCKER_SOCK).exists():
        pytest.skip(f"no {DOCKER_SOCK} to expose over TCP")
    fwd = UnixForwarder()
    yield fwd
    fwd.close()


def _run(cwd: Path, env: dict[str, str]) -> dict[str, dict]:
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-report", "rep"), cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return {s["name"]: s for s in json.loads((cwd / "rep" / "results.json").read_text())["scenarios"]}


@pytest.mark.integration
def test_tcp_engine_end_to_end(tmp_path, tcp_engine, docker_client, go_toolchain):
    tag = uuid.uuid4().hex[:6]  # our own scenario names: other runs may share this engine
    for variant in ("leaky", "fixed"):
        copy_scenario(REPO / "scenarios" / f"goroutine_chan_{variant}.yaml", tmp_path / "scenarios",
                      name=f"tcp_{variant}_{tag}", **SMALL)
    endpoint = f"tcp://127.0.0.1:{tcp_engine.port}"
    by_name = _run(tmp_path, {"DOCKER_HOST": endpoint})
    assert tcp_engine.connections > 0  # the engine was really reached through TCP
    assert {n: r["verdict"] for n, r in by_name.items()} == {f"tcp_leaky_{tag}": "leak",
                                                            f"tcp_fixed_{tag}": "clean"}
    for r in by_name.values():
        assert r["container"]["endpoint"] == endpoint
        assert r["container"]["published_on"] == "127.0.0.1"
        assert r["container"]["reached_at"].startswith("http://127.0.0.1:")
        # a loopback TCP engine is this host's: the pid is verified by its cgroup, /proc signals stay
        assert r["snapshots"][-1]["rss_bytes"] is not None
    assert containers_of(docker_client, set(by_name)) == []


@pytest.mark.integration
def test_tcp_engine_with_a_chosen_publish_ip(tmp_path, tcp_engine, docker_client, go_toolchain):
    """GOLEAK_PUBLISH_IP: ports bound on that address of the engine's host, and dialled there."""
    name = f"tcp_publish_ip_{uuid.uuid4().hex[:6]}"
    copy_scenario(REPO / "scenarios" / "goroutine_chan_fixed.yaml", tmp_path / "scenarios", name=name, **SMALL)
    env = {"DOCKER_HOST": f"tcp://127.0.0.1:{tcp_engine.port}", "GOLEAK_PUBLISH_IP": "127.0.0.2"}
    by_name = _run(tmp_path, env)
    r = by_name[name]
    assert r["verdict"] == "clean"
    assert r["container"]["published_on"] == "127.0.0.2"
    assert r["container"]["reached_at"].startswith("http://127.0.0.2:")
    assert containers_of(docker_client, set(by_name)) == []
