"""Shared test helpers. Integration tests need real parts; in CI a missing part is a failure,
on a laptop it is a skip with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]

try:  # imported now, before any pytester test: pytester drops modules first imported during one,
    import docker.errors  # noqa: F401  and the session's engine client would keep the dropped classes
except ImportError:
    pass


def pytest_configure(config: pytest.Config) -> None:
    """Pin Go's caches and the harness's build cache to the real home before pytester swaps HOME
    for a temporary one; otherwise every pytester run rebuilds the standard library (minutes)."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        return
    for var in ("GOCACHE", "GOMODCACHE", "GOPATH"):
        if var not in os.environ:
            value = subprocess.run([go, "env", var], capture_output=True, text=True, timeout=60, check=False)
            if value.returncode == 0 and value.stdout.strip():
                os.environ[var] = value.stdout.strip()
    os.environ.setdefault("GOLEAK_CACHE_DIR", str(Path.home() / ".cache" / "pytest-goleak"))


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it: see .ci/run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _missing(f"no Docker engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def go_toolchain() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not go:
        _missing("no Go toolchain")
    return str(go)


def our_containers(client, *scenarios: str) -> list[str]:
    """Containers of the project's label, optionally only those of the named scenarios (other
    runs on the same engine, e.g. a developer's, must not make a test fail)."""
    found = client.containers.list(all=True, filters={"label": "pytest-goleak"}, ignore_removed=True)
    return [c.name for c in found if not scenarios or c.labels.get("pytest-goleak.scenario") in scenarios]
