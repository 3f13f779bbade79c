"""The test tree's own rules: pytest imports test files by basename here (no packages), so two
test files with one name in different folders break collection of the whole suite."""

from __future__ import annotations

from collections import Counter

from tests.conftest import REPO


def test_every_test_file_name_is_unique_across_the_tree():
    names = Counter(p.name for p in (REPO / "tests").rglob("test_*.py"))
    assert [n for n, count in names.items() if count > 1] == []
