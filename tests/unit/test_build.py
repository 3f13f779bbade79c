"""The build stage's cache: what makes two builds the same."""

import shutil

from pytest_goleak.build import build_binary
from tests.conftest import REPO


def test_build_cache_key_depends_on_where_the_sources_are(tmp_path, go_toolchain):
    """Profiles name absolute source paths, so a copy elsewhere must not reuse the cached binary."""
    pkg = REPO / "go_fixtures" / "bench" / "sized_leak"
    a = build_binary(pkg, tmp_path / "cache")
    copy = tmp_path / "elsewhere" / "go_fixtures"
    shutil.copytree(REPO / "go_fixtures", copy, ignore=shutil.ignore_patterns(".*"))
    b = build_binary(copy / "bench" / "sized_leak", tmp_path / "cache")
    assert a[1] != b[1] and a[0] != b[0]
    assert build_binary(pkg, tmp_path / "cache")[4] is True  # unchanged sources, same place: cached


def _context(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY data.txt /data.txt\n")
    (ctx / "data.txt").write_text("one\n")
    (ctx / "notes.md").write_text("ignored\n")
    (ctx / ".dockerignore").write_text("# comment\nnotes.md\n")
    return ctx


def test_dockerfile_cache_key_is_the_context_the_engine_sees(tmp_path):
    from pytest_goleak.build import context_hash

    ctx = _context(tmp_path)
    first = context_hash(ctx)
    (ctx / "notes.md").write_text("changed, but .dockerignore'd\n")
    assert context_hash(ctx) == first
    (ctx / "data.txt").write_text("two\n")  # not Go, but COPY'd: a new image
    second = context_hash(ctx)
    assert second != first
    (ctx / "data.txt").chmod(0o755)  # the mode is part of the image too
    assert context_hash(ctx) != second
    (ctx / ".dockerignore").write_text("")  # notes.md is now sent
    assert context_hash(ctx) not in (first, second)

