"""dockerfile: scenarios are keyed on the whole build context as the engine is sent it (pure)."""

from __future__ import annotations


def _context(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY data.txt /data.txt\n")
    (ctx / "data.txt").write_text("one\n")
    (ctx / "notes.md").write_text("ignored\n")
    (ctx / ".dockerignore").write_text("# comment\nnotes.md\n")
    return ctx


def test_dockerfile_cache_key_is_the_context_the_engine_sees(tmp_path):
    from pytest_goleak.run.build import context_hash

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
