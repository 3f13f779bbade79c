"""The build stage's cache: what makes two builds the same."""

import shutil

from pytest_goleak.run.build import build_binary
from tests.conftest import REPO


def test_build_cache_key_depends_on_where_the_sources_are(tmp_path, go_toolchain):
    """Profiles name absolute source paths, so a copy elsewhere must not reuse the cached binary."""
    pkg = REPO / "go_fixtures" / "bench" / "sized_leak"
    a = build_binary(pkg, tmp_path / "cache")
    copy = tmp_path / "elsewhere" / "go_fixtures"
    shutil.copytree(REPO / "go_fixtures", copy, ignore=shutil.ignore_patterns(".*"))
    b = build_binary(copy / "bench" / "sized_leak", tmp_path / "cache")
    assert a.hash != b.hash and a.binary != b.binary and not a.cached
    again = build_binary(pkg, tmp_path / "cache")
    assert again.cached is True and again.binary == a.binary  # unchanged sources, same place: cached
