"""A fixture container as the plugin starts it is hardened: checked on the engine's own record
of it AND on the kernel's view of its process (/proc/<pid>/status)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_goleak.options import Settings
from pytest_goleak.run import build
from pytest_goleak.run.httpget import get
from pytest_goleak.run.runtime.base import wait_healthy
from pytest_goleak.run.runtime.docker import DockerRuntime
from pytest_goleak.scenario.parse import load_scenario
from tests.conftest import REPO

pytestmark = pytest.mark.integration
MEMORY = 64 * 1024 * 1024


@pytest.fixture(params=["direct", "published"])
def instance(request, docker_client, go_toolchain, monkeypatch):
    """The fixture as the plugin starts it: dialled on this host's bridge (the default for a local
    engine), or through a port published on loopback (GOLEAK_PUBLISH_IP, as for a remote engine)."""
    if request.param == "published":
        monkeypatch.setenv("GOLEAK_PUBLISH_IP", "127.0.0.1")
    else:
        monkeypatch.delenv("GOLEAK_PUBLISH_IP", raising=False)
        monkeypatch.delenv("GOLEAK_DOCKER_PUBLISHED_HOST", raising=False)
    scenario = load_scenario(REPO / "scenarios" / "goroutine_chan_fixed.yaml")
    art = build.build_for_docker(scenario, docker_client, Settings().cache_dir)
    assert art.image is not None
    inst = DockerRuntime(docker_client, "hardening-test").start(
        art.image, scenario_name="hardening", port=8080, port_env="PORT", pprof_port=None, env={},
        network="bridge", memory=MEMORY, pids=128, nonroot=True)
    try:
        # the mode asked for is the one taken (the test below branches on it)
        assert (inst.info.details["published_on"] is None) == (request.param == "direct")
        wait_healthy(inst, "/healthz", 30)
        yield inst
    finally:
        inst.close()
    assert docker_client.containers.list(all=True, filters={"id": inst.container.id}) == []


def test_engine_record_shows_every_hardening_setting(instance):
    instance.container.reload()
    attrs = instance.container.attrs
    hc = attrs["HostConfig"]
    assert attrs["Config"]["User"] == "65532:65532"
    assert hc["ReadonlyRootfs"] is True
    assert hc["CapDrop"] == ["ALL"] and not hc.get("CapAdd")
    assert hc["SecurityOpt"] == ["no-new-privileges"]
    assert hc["PidsLimit"] == 128
    assert hc["Memory"] == MEMORY and hc["MemorySwap"] == MEMORY  # no swap beyond the limit
    assert hc["Privileged"] is False
    if instance.info.details["published_on"] is None:  # dialled on the bridge: nothing published at all
        assert not hc["PortBindings"] and not any(attrs["NetworkSettings"]["Ports"].values())
        address = attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        assert instance.base_url == f"http://{address}:8080"
        assert "no published port (dialled on this host's bridge)" in instance.info.details["hardening"]
        assert "PORT=8080" in attrs["Config"]["Env"]  # the service is told its port all the same
    else:
        assert hc["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
        published = attrs["NetworkSettings"]["Ports"]["8080/tcp"]
        assert [p["HostIp"] for p in published] == ["127.0.0.1"]
        assert instance.base_url == f"http://127.0.0.1:{published[0]['HostPort']}"
        assert instance.info.details["published_on"] == "127.0.0.1"
    labels = attrs["Config"]["Labels"]
    assert labels["pytest-goleak"] == "1" and labels["pytest-goleak.owner-pid"] == str(os.getpid())


def test_a_local_engine_dials_the_bridge_and_publishes_nothing(docker_client, monkeypatch):
    """On this machine the engine is local and its bridge's gateway is an address here: the
    default is to dial containers on the bridge (no docker-proxy). Either setting of where ports
    are published turns it back to publishing."""
    from pytest_goleak.run.runtime import docker as rt

    for key in ("GOLEAK_PUBLISH_IP", "GOLEAK_DOCKER_PUBLISHED_HOST", "DOCKER_HOST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(rt, "_BRIDGE_HERE", {})
    assert rt.bridge_dialled_directly(docker_client) is True
    monkeypatch.setenv("GOLEAK_PUBLISH_IP", "127.0.0.1")
    assert rt.bridge_dialled_directly(docker_client) is False


def test_kernel_view_of_the_process_is_unprivileged(instance):
    pid = instance.host_pid()
    assert pid, "the container's pid is on this host and verified by its cgroup"
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    status = dict(line.split(":", 1) for line in lines if ":" in line)
    assert status["Uid"].split() == ["65532"] * 4 and status["Gid"].split() == ["65532"] * 4
    assert status["NoNewPrivs"].strip() == "1"
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    assert 0 < (instance.cgroup_memory() or 0) <= MEMORY
    assert get(instance.base_url + "/healthz", timeout=5) == b"ok\n"
