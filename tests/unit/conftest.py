"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.fake_instance import FakeInstance


@pytest.fixture
def instances() -> Iterator[list[FakeInstance]]:
    """The fake instances a test starts (append them): every one is closed afterwards."""
    made: list[FakeInstance] = []
    yield made
    for fake in made:
        fake.close()
