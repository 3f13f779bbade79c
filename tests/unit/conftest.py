"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goleak.run.drive import Driver
from tests.unit.drive_fakes import GOROUTINES, WARMUP, Driven, scenario
from tests.unit.fake_instance import FakeInstance, Series
from tests.unit.fake_load import FakeLoad


@pytest.fixture
def instances() -> Iterator[list[FakeInstance]]:
    """The fake instances a test starts (append them): every one is closed afterwards."""
    made: list[FakeInstance] = []
    yield made
    for fake in made:
        fake.close()


@pytest.fixture(scope="session")
def decisive_leak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driven]:
    """1,000 goroutines per 1k requests, 200 times the budget: over at the end of the measured
    window, then extended until decisive."""
    root = tmp_path_factory.mktemp("decisive")
    fake = FakeInstance(GOROUTINES, Series(goroutines_per_1k=1000), switch_at=WARMUP)
    try:
        s = scenario(root, "leak", "main.lookup")
        out_dir = root / "report" / s.name
        out_dir.mkdir(parents=True)
        yield Driven(root, s, Driver(s, fake, (), out_dir, root / "report", load_driver=FakeLoad(fake)).run(
            Path("unused")))
    finally:
        fake.close()
