"""Which provider gives a service: a URL, local binaries, or a Docker image (see the package doc)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import ipaddress
import os
import socket
from collections.abc import Callable
from typing import Any

from .common import NAMES, URL_ENV, Service, ServiceUnavailable
from .docker import DockerProvider
from .local import start_local as _local


class Services:
    """A session-scoped pool: provides each service lazily, once, and stops what it started."""

    def __init__(self, environ: dict[str, str] | None = None, docker_client: Any = None) -> None:
        """``docker_client`` is the run's engine connection, reused for Docker-provided services;
        without one (the local runtime), a connection is opened when first needed."""
        self._environ = os.environ if environ is None else environ
        self._started: dict[str, Service] = {}
        self._docker = DockerProvider(docker_client)
        self._bind = bridge_gateway(docker_client) if docker_client is not None else None
        atexit.register(self.close)

    def get(self, name: str) -> Service:
        if name not in NAMES:
            raise ValueError(f"unknown service {name!r}; known: {', '.join(NAMES)}")
        if name not in self._started:
            self._started[name] = provide(name, self._environ, self._docker, bind=self._bind)
        return self._started[name]

    def close(self) -> None:
        while self._started:
            _, service = self._started.popitem()
            with contextlib.suppress(Exception):
                service.close()
        self._docker.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bridge_gateway(client: Any) -> str | None:
    """The default bridge's gateway address when it is an address of this host (a local engine),
    else None. Local servers listen there too, with their passwords, so that bridge containers
    reach them without the host network."""
    try:
        config = client.networks.get("bridge").attrs["IPAM"]["Config"]
        # Docker 20.10 leaves Gateway out of the default bridge's record: it is the subnet's first host.
        gateway = str(next(c.get("Gateway") or ipaddress.ip_network(c["Subnet"])[1] for c in config
                           if c.get("Gateway") or c.get("Subnet")))
        with socket.socket(socket.AF_INET6 if ":" in gateway else socket.AF_INET) as sock:
            sock.bind((gateway, 0))
        return gateway
    except Exception:  # noqa: BLE001 - a remote engine, no bridge, no such address here: host network
        return None


def provide(name: str, environ: dict[str, str] | os._Environ[str], docker: DockerProvider | None = None,
            bind: str | None = None) -> Service:
    """Provide one service by the first way that works (see the module docstring); ``bind`` is
    the bridge gateway a local server also listens on."""
    allowed = {w.strip() for w in environ.get("GOLEAK_SERVICE_PROVIDERS", "env,local,docker").split(",")}
    given = environ.get(URL_ENV[name], "").strip()
    if given and "env" in allowed:
        return Service(name, given, origin="env")
    problems: list[str] = []
    docker = docker or DockerProvider(None)
    local: Callable[[str], Service | None] = functools.partial(_local, bind=bind)
    ways = [(key, way) for key, way in (("local", local), ("docker", docker.start)) if key in allowed]
    for key, way in ways:
        try:
            service = way(name)
        except ServiceUnavailable as exc:
            problems.append(str(exc))
            continue
        if service is not None:
            return service
        problems.append(_NOT_FOUND[key][name])  # say what was looked for, not only that it failed
    if len(ways) < 2:
        problems.append(f"GOLEAK_SERVICE_PROVIDERS={environ.get('GOLEAK_SERVICE_PROVIDERS')} rules out the rest")
    raise ServiceUnavailable(_how_to(name, problems))


_NOT_FOUND = {
    "local": {"redis": "no redis-server on PATH", "postgres": "no PostgreSQL initdb/postgres on PATH or in "
                                                              "/usr/lib/postgresql/*/bin"},
    "docker": {"redis": "no local redis image in a Docker engine", "postgres": "no local postgres image in a "
                                                                               "Docker engine"},
}


def _how_to(name: str, problems: list[str]) -> str:
    binary = "redis-server" if name == "redis" else "PostgreSQL's initdb and postgres"
    package = "redis-server" if name == "redis" else "postgresql"
    tried = "; ".join(problems) or "nothing found"
    return (f"scenario needs {name}, and none could be provided ({tried}). Provide one of: "
            f"{URL_ENV[name]}=<url of a server you own> (e.g. "
            f"{'redis://127.0.0.1:6379/0' if name == 'redis' else 'postgres://user@127.0.0.1:5432/db'}); "
            f"{binary} installed locally (Debian: apt-get install {package}; "
            f"`make goleak` does it through scripts/provision.sh); or a local Docker image {name}:<tag>.")
