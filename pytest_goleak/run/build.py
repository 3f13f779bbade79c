"""Build stage: a scenario's source -> a runnable artefact (host binary and/or Docker image).

A Go main package is compiled on the host (static, CGO_ENABLED=0) and copied into a
``FROM scratch`` image, so nothing ever needs ``docker pull``. Both are cached by a hash of the
module's sources, the Go version and the build settings, so an unchanged fixture is not rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..scenario.parse import Scenario
from . import gotool

LABEL = "pytest-goleak"
IMAGE_REPO = "pytest-goleak"
NONROOT_UID = 65532
DOCKER_BUILD_TIMEOUT_S = 300


class BuildError(Exception):
    """A fixture did not build; the message carries the compiler's (or Docker's) output."""


@dataclass(frozen=True)
class Artifact:
    source: str  # what was built: a package dir, a Dockerfile, or an image name
    binary: Path | None  # host binary (Go fixtures only), for the local runtime
    image: str | None  # Docker image tag, when built for (or given to) Docker
    hash: str
    go_version: str | None
    cached: bool
    seconds: float
    goexperiment: str | None = None


def goexperiment_for(version: str) -> str | None:
    """Go 1.26 ships the goroutine leak profile behind an experiment; later versions enable it."""
    return "goroutineleakprofile" if gotool.version_tuple(version) == (1, 26) else None


def build_binary(package_dir: Path, cache_dir: Path) -> Artifact:
    """Compile a Go main package, cached: an Artifact with the host binary and no image."""
    t0 = time.monotonic()
    version = gotool.go_version()
    experiment = goexperiment_for(version)
    root = gotool.module_root(package_dir)
    rel = str(package_dir.relative_to(root))
    # The binary embeds absolute source paths (no -trimpath, so culprits point at files on this
    # host), so the same sources checked out elsewhere are a different build.
    digest = gotool.source_hash(root, extra=(version, str(root.resolve()), rel, f"GOEXPERIMENT={experiment or ''}",
                                             "static"))
    binary = cache_dir / "bin" / digest[:24] / "app"
    cached = binary.is_file()
    if not cached:
        env = {"GOEXPERIMENT": experiment} if experiment else {}
        try:
            gotool.build_static(package_dir, binary, env=env)
        except gotool.GoError as exc:
            raise BuildError(str(exc)) from exc
    return Artifact(str(package_dir), binary, None, digest, version, cached, time.monotonic() - t0, experiment)


def build_for_docker(scenario: Scenario, client: Any, cache_dir: Path) -> Artifact:
    """Produce an image for the scenario: from its Go package, its Dockerfile, or as given."""
    t0 = time.monotonic()
    if scenario.image:
        return _existing_image(scenario.image, client, t0)
    if scenario.dockerfile:
        return _dockerfile_image(scenario, client, t0)
    assert scenario.fixture is not None
    art = build_binary(scenario.fixture, cache_dir)
    assert art.binary is not None
    tag = f"{IMAGE_REPO}/{_repo_name(scenario.name)}:{art.hash[:16]}"
    exists = _image_exists(client, tag)
    if not exists:
        _scratch_image(art.binary, tag, art.hash, client)
    return dataclasses.replace(art, image=tag, cached=art.cached and exists, seconds=time.monotonic() - t0)


def build_for_local(scenario: Scenario, cache_dir: Path) -> Artifact:
    if scenario.fixture is None:
        key = "dockerfile" if scenario.dockerfile is not None else "image"
        line = scenario.line_of(key)
        where = f"{scenario.path}:{line}" if line else str(scenario.path)
        raise BuildError(f"{where}: the local runtime cannot run a '{key}:' service (an image needs a Docker "
                         "engine to build and run it); it runs only a 'fixture:' Go package as a host process. "
                         "Run this scenario with --goleak-runtime=docker")
    return build_binary(scenario.fixture, cache_dir)


def _repo_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()).strip("._-") or "fixture"


def _image_exists(client: Any, tag: str) -> bool:
    import docker.errors  # lazy: ~110 ms; a pytest run without --goleak never pays it

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _scratch_image(binary: Path, tag: str, digest: str, client: Any) -> None:
    dockerfile = (
        "FROM scratch\n"
        "COPY app /app\n"
        f"USER {NONROOT_UID}:{NONROOT_UID}\n"
        'ENTRYPOINT ["/app"]\n'
    ).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        info = tarfile.TarInfo("app")
        info.size = binary.stat().st_size
        info.mode = 0o755
        with binary.open("rb") as fh:
            tar.addfile(info, fh)
    buf.seek(0)
    _docker_build(client, tag, fileobj=buf, custom_context=True,
                  labels={LABEL: "1", f"{LABEL}.hash": digest})


def _dockerfile_image(scenario: Scenario, client: Any, t0: float) -> Artifact:
    assert scenario.dockerfile is not None
    context = scenario.dockerfile.parent
    digest = context_hash(context, os.path.relpath(scenario.dockerfile, context))
    tag = f"{IMAGE_REPO}/{_repo_name(scenario.name)}:{digest[:16]}"
    cached = _image_exists(client, tag)
    if not cached:
        _docker_build(client, tag, path=str(context), dockerfile=os.path.relpath(scenario.dockerfile, context),
                      labels={LABEL: "1", f"{LABEL}.hash": digest}, pull=False)
    return Artifact(str(scenario.dockerfile), None, tag, digest, None, cached, time.monotonic() - t0)


def context_hash(context: Path, dockerfile: str = "Dockerfile") -> str:
    """sha256 over the build context exactly as the engine is sent it: every path the Docker SDK puts
    in the tar (``.dockerignore`` honoured by the SDK's own matcher), its kind, mode and content.

    A rebuilt binary that a Dockerfile COPYs, a changed config file, a new .dockerignore rule: each
    is a new image. (Hashing only Go sources kept running a stale binary.)
    """
    from docker.utils.build import exclude_paths

    ignore = context / ".dockerignore"
    patterns: list[str] = []
    if ignore.is_file():  # read as docker.api.build does, so the file lists cannot differ
        patterns = [ln.strip() for ln in ignore.read_text().splitlines() if ln.strip() and ln.strip()[0] != "#"]
    h = hashlib.sha256(f"dockerfile={dockerfile}\0".encode())
    for rel in sorted(exclude_paths(str(context), patterns, dockerfile=dockerfile)):
        full = context / rel
        st = full.lstat()
        h.update(f"{rel}\0{oct(st.st_mode)}\0".encode())
        if full.is_symlink():
            h.update(os.readlink(full).encode())
        elif full.is_file():
            with full.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def _existing_image(image: str, client: Any, t0: float) -> Artifact:
    import docker.errors

    try:
        found = client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        raise BuildError(f"image {image!r} is not present in the Docker engine (pytest-goleak never pulls)") from exc
    return Artifact(image, None, image, found.id, None, True, time.monotonic() - t0)


def _docker_build(client: Any, tag: str, **kwargs: Any) -> None:
    import docker.errors

    try:
        client.images.build(tag=tag, rm=True, forcerm=True, timeout=DOCKER_BUILD_TIMEOUT_S, **kwargs)
    except docker.errors.BuildError as exc:
        log = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in exc.build_log)
        raise BuildError(f"docker build of {tag} failed: {exc.msg}\n{log.strip()}") from exc
    except docker.errors.APIError as exc:
        raise BuildError(f"docker build of {tag} failed: {exc.explanation or exc}") from exc
