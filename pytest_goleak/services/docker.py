"""Redis / PostgreSQL from a Docker image already present, published on 127.0.0.1.

The containers carry the labels every container of the plugin carries (``pytest-goleak`` and
the owner's pid and host), so the next run's sweep removes those a SIGKILLed run left behind;
``close()`` and atexit remove them otherwise. A pull is tried with a short timeout, never assumed.
"""

from __future__ import annotations

import atexit
import contextlib
import secrets
import time
from typing import Any

from ..run.build import LABEL
from ..run.runtime.docker import DockerUnavailable, connect
from ..run.runtime.labels import owner_labels
from .common import APP_USER, PG_MAX_CONNECTIONS, START_TIMEOUT, Service, ServiceUnavailable, probe, with_host

_IMAGES = {"redis": ("redis", 6379), "postgres": ("postgres", 5432)}
_PULL = {"redis": "redis:7-alpine", "postgres": "postgres:16-alpine"}


class DockerProvider:
    """Starts service containers on the run's engine connection (or its own, opened lazily)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._own = False

    def _connect(self) -> Any:
        if self._client is None:
            try:
                self._client, self._own = connect(timeout=20), True
            except DockerUnavailable:
                return None
        return self._client

    def close(self) -> None:
        if self._own and self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client, self._own = None, False

    def start(self, name: str) -> Service | None:
        from docker.errors import DockerException  # lazy: ~110 ms; a pytest run without --goleak never pays it

        client = self._connect()
        if client is None:
            return None
        repo, port = _IMAGES[name]
        try:
            images = client.images.list(name=repo)
            if not images:
                with contextlib.suppress(DockerException):
                    images = [client.images.pull(_PULL[name])]
            tag = next((t for img in images for t in img.tags), None)
            if tag is None:
                return None
            password = secrets.token_hex(16)
            # Passwords, not trust: the server is reachable from every container on the bridge.
            # (The image's own user is a superuser inside its container, which is not the host.)
            env = ({"POSTGRES_USER": APP_USER, "POSTGRES_PASSWORD": password, "POSTGRES_DB": APP_USER}
                   if name == "postgres" else {})
            command = (["-c", f"max_connections={PG_MAX_CONNECTIONS}"] if name == "postgres"
                       else ["--requirepass", password])  # after the image's ENTRYPOINT (redis-server)
            container = client.containers.run(tag, command=command, detach=True, environment=env,
                                              ports={f"{port}/tcp": ("127.0.0.1", None)},
                                              labels={**owner_labels(), f"{LABEL}.service": name})
        except DockerException as exc:
            raise ServiceUnavailable(f"docker could not run a {repo} image: {exc}") from exc

        def stop() -> None:
            with contextlib.suppress(DockerException):
                container.remove(force=True, v=True)

        atexit.register(stop)
        try:
            url = _ready(container, name, port, tag, password)
        except BaseException:
            stop()
            raise
        ip = (container.attrs.get("NetworkSettings") or {}).get("IPAddress")
        return Service(name, url, stop, origin="docker", bridge_url=with_host(url, ip, port) if ip else None)


def _ready(container: Any, name: str, port: int, tag: str, password: str) -> str:
    container.reload()  # ephemeral host ports are only known after a reload
    host_port = container.ports[f"{port}/tcp"][0]["HostPort"]
    url = (f"redis://:{password}@127.0.0.1:{host_port}/0" if name == "redis"
           else f"postgres://{APP_USER}:{password}@127.0.0.1:{host_port}/{APP_USER}?sslmode=disable")
    deadline = time.monotonic() + START_TIMEOUT * 2
    while True:
        try:
            probe(name, url)
            return url
        except (OSError, ValueError) as exc:
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"{tag} container did not become ready: {exc}") from exc
            time.sleep(0.2)
