"""A local engine's containers are dialled on its bridge, not through published ports
(run/runtime/docker.py, bridge_dialled_directly); anything else publishes as before."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_goleak.run.runtime import address
from pytest_goleak.run.runtime import docker as rt


class _Network:
    def __init__(self, configs: list[dict[str, str]]) -> None:
        self.attrs = {"IPAM": {"Config": configs}}


class _Client:
    def __init__(self, configs: list[dict[str, str]] | None) -> None:
        outer = self
        self.asked = 0

        class Networks:
            def get(self, name: str) -> _Network:
                outer.asked += 1
                assert name == "bridge"
                if configs is None:
                    raise RuntimeError("404 network bridge not found")
                return _Network(configs)

        self.networks = Networks()


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GOLEAK_PUBLISH_IP", "GOLEAK_DOCKER_PUBLISHED_HOST", "DOCKER_HOST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(rt, "_BRIDGE_HERE", {})
    monkeypatch.setattr(address, "_BRIDGES", set())


def test_a_gateway_of_this_host_means_dial_the_bridge_and_skip_proxies_for_it() -> None:
    client = _Client([{"Subnet": "127.77.0.0/16", "Gateway": "127.77.0.1"}])
    assert rt.bridge_dialled_directly(client) is True
    assert address.on_bridge("127.77.3.4") and not address.on_bridge("10.0.0.1")
    assert not address.on_bridge("engine.lan")
    assert rt.bridge_dialled_directly(client) is True and client.asked == 1  # asked once per engine


def test_a_gateway_not_reported_is_the_subnets_first_address() -> None:
    # Docker 20.10's default bridge, when dockerd picked the subnet itself, reports no gateway.
    assert rt.bridge_dialled_directly(_Client([{"Subnet": "127.77.0.0/16"}])) is True
    assert address.on_bridge("127.77.3.4")


@pytest.mark.parametrize("configs", [
    [{"Subnet": "192.0.2.0/24", "Gateway": "192.0.2.1"}],  # TEST-NET-1: no interface of this host has it
    [],  # an engine that reports no IPAM config
    [{"Subnet": "192.0.2.0/24"}],  # no gateway reported, and the subnet's first address is not here
    [{"Subnet": "not a subnet"}],
    None,  # no default bridge at all
])
def test_a_bridge_not_on_this_host_publishes_ports(configs: Any) -> None:
    assert rt.bridge_dialled_directly(_Client(configs)) is False
    assert not address.on_bridge("192.0.2.7")


@pytest.mark.parametrize(("key", "value"), [
    ("GOLEAK_PUBLISH_IP", "127.0.0.1"),
    ("GOLEAK_DOCKER_PUBLISHED_HOST", "127.0.0.1"),
    ("DOCKER_HOST", "tcp://engine.lan:2376"),
    ("DOCKER_HOST", "tcp://127.0.0.1:2375"),  # perhaps a tunnel to another host's engine
    ("DOCKER_HOST", "ssh://me@localhost"),
])
def test_where_to_publish_said_or_a_remote_engine_publishes_without_asking(monkeypatch: pytest.MonkeyPatch,
                                                                           key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    client = _Client([{"Subnet": "127.77.0.0/16", "Gateway": "127.77.0.1"}])
    assert rt.bridge_dialled_directly(client) is False and client.asked == 0


def test_is_local_address() -> None:
    assert address.is_local_address("127.0.0.1")
    assert not address.is_local_address("192.0.2.1")
    assert not address.is_local_address("not-an-address")
