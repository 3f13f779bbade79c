"""dockerfile: scenarios are rebuilt when anything the engine is sent changes (a real engine build)."""

import contextlib

import pytest

from tests.unit.test_build_context_hash import _context

pytestmark = pytest.mark.integration


def test_changing_a_non_go_file_in_the_context_changes_the_image(tmp_path, docker_client):
    from pytest_goleak.run.build import build_for_docker
    from pytest_goleak.scenario.parse import load_scenario

    ctx = _context(tmp_path)
    (ctx / "s.yaml").write_text("name: ctxhash\ndockerfile: Dockerfile\n")
    (ctx / ".dockerignore").write_text("notes.md\ns.yaml\n")
    scenario = load_scenario(ctx / "s.yaml")
    built = []
    try:
        built.append(build_for_docker(scenario, docker_client, tmp_path / "cache"))
        (ctx / "notes.md").write_text("ignored change\n")
        built.append(build_for_docker(scenario, docker_client, tmp_path / "cache"))
        (ctx / "data.txt").write_text("two\n")
        built.append(build_for_docker(scenario, docker_client, tmp_path / "cache"))
        first, same, changed = built
        assert same.image == first.image and same.cached
        assert changed.image != first.image and not changed.cached
        assert docker_client.images.get(changed.image).id != docker_client.images.get(first.image).id
    finally:
        for art in built:
            with contextlib.suppress(Exception):
                docker_client.images.remove(art.image, force=True)
