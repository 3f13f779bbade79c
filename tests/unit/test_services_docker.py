"""The Docker service provider works on the client it is given (the run's), and labels its
containers for the sweep; no engine needed."""

from __future__ import annotations

import os
from typing import Any

from pytest_goleak.services import Services, ServiceUnavailable
from pytest_goleak.services.docker import DockerProvider


class _Container:
    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels
        self.ports = {"6379/tcp": [{"HostPort": "1"}]}  # nothing listens: readiness fails fast below
        self.removed = False

    def reload(self) -> None:
        pass

    def remove(self, force: bool, v: bool) -> None:
        self.removed = True


class _Client:
    def __init__(self) -> None:
        self.runs: list[_Container] = []
        self.closed = False

        class Images:
            def list(self, name: str) -> list[Any]:
                return [type("Image", (), {"tags": [f"{name}:7"]})()]

        client = self

        class Containers:
            def run(self, tag: str, **kw: Any) -> _Container:
                c = _Container(kw["labels"])
                client.runs.append(c)
                return c

        self.images, self.containers = Images(), Containers()

    def close(self) -> None:
        self.closed = True


def test_provider_uses_the_given_client_and_labels_for_the_sweep(monkeypatch):
    client = _Client()
    monkeypatch.setattr("pytest_goleak.services.docker.START_TIMEOUT", 0.0)
    provider = DockerProvider(client)
    try:
        provider.start("redis")
    except ServiceUnavailable as exc:
        assert "did not become ready" in str(exc)
    (container,) = client.runs
    assert container.labels["pytest-goleak"] == "1"
    assert container.labels["pytest-goleak.owner-pid"] == str(os.getpid())
    assert container.labels["pytest-goleak.service"] == "redis"
    assert container.removed  # a container that never got ready is removed at once
    provider.close()
    assert not client.closed  # the run's client belongs to the run


def test_services_hand_the_run_client_to_the_docker_provider(monkeypatch):
    client = _Client()
    monkeypatch.setattr("pytest_goleak.services.docker.START_TIMEOUT", 0.0)
    with Services(environ={"GOLEAK_SERVICE_PROVIDERS": "docker"}, docker_client=client) as services:
        try:
            services.get("redis")
        except ServiceUnavailable:
            pass
    assert len(client.runs) == 1 and not client.closed
