"""A fake load driver (``run.load.LoadRun``): each request it "sends" is one more request the
fake instance has served, so the drive loop runs with neither Go nor a socket for the load."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from pytest_goleak.run.load import LoadError, PhaseResult
from pytest_goleak.scenario.parse import Load
from tests.unit.fake_instance import FakeInstance


class FakeLoad:
    """Serves ``requests`` on the fake at once; LoadError on the phase numbered ``fail_at`` (0-based)."""

    def __init__(self, fake: FakeInstance, fail_at: int | None = None) -> None:
        self.fake, self.fail_at = fake, fail_at
        self.seed, self.total, self.phases = 42, 0, 0
        self.closed = False

    def __call__(self, binary: Path, base_url: str, load: Load, variables: dict[str, str],
                 seed: int | None) -> FakeLoad:
        """The factory the Driver calls (``run.load.LoadDriverFactory``)."""
        assert base_url == self.fake.base_url
        return self

    def run(self, requests: int) -> PhaseResult:
        if self.phases == self.fail_at:
            raise LoadError("the load driver exited: fake failure")
        self.phases += 1
        for _ in range(requests):
            self.fake.count()
        self.total += requests
        return PhaseResult(requests, requests, 0, 0.01, requests / 0.01, status={"200": requests})

    def run_for(self, seconds: float) -> PhaseResult:
        return self.run(100)

    def __enter__(self) -> FakeLoad:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.closed = True
