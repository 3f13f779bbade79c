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
