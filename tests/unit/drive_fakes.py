"""Shared by test_driver.py and test_judge_run.py: a scenario, a fake instance that can be
OOM-killed, and a Runner wired to the fakes (no Docker, no Go)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_goleak.options import Settings
from pytest_goleak.run.drive import DriveOutcome
from pytest_goleak.run.runner import Runner, effective
from pytest_goleak.run.runtime.base import Status
from pytest_goleak.scenario.parse import Load, Scenario
from tests.unit.fake_instance import FakeInstance, Pair, Series
from tests.unit.fake_load import FakeLoad

WARMUP = 60
GOROUTINES = Pair("goroutine_chan_leaky", leak_frame="main.lookup")
HEAP = Pair("global_map_leaky", leak_frame="main.")
HEAP_LEAK = Series(heap_bytes_per_1k=512 * 1024, heap_objects_per_1k=2000)


def settings(tmp_path: Path) -> Settings:
    return Settings(enabled=True, report_dir=tmp_path / "report", runtime="local", cache_dir=tmp_path / "cache",
                    vet=False)


def scenario(tmp_path: Path, expect: str, culprit: str | None = None, name: str = "fake") -> Scenario:
    """As the runner sees it: the run-wide defaults (budgets, extension) applied."""
    raw = Scenario(path=tmp_path / f"{name}.yaml", name=name, image="none", expect=expect, culprit=culprit,
                   snapshots=6, load=Load(path="/work", requests=500, warmup_requests=WARMUP, concurrency=4,
                                          timeout=2.0))
    return effective(raw, settings(tmp_path))


@dataclass(frozen=True)
class Driven:
    """A goroutine leak driven once per session (Driver with the fakes) for the tests to read."""

    root: Path  # report_dir is root / "report"
    scenario: Scenario
    outcome: DriveOutcome


class OOMInstance(FakeInstance):
    """Killed at its memory limit once it has served ``killed_at`` requests; ``flagged``: the
    engine says it was an OOM-kill (cgroup v1 can miss one: exit 137 and no flag)."""

    def __init__(self, pair: Pair, series: Series, killed_at: int, *, flagged: bool = True,
                 cgroup_bytes: int | None = None) -> None:
        super().__init__(pair, series, switch_at=WARMUP)
        self.killed_at, self.flagged, self.cgroup_bytes = killed_at, flagged, cgroup_bytes

    def status(self) -> Status:
        if self.hits >= self.killed_at:
            return Status(running=False, exit_code=137, oom_killed=self.flagged)
        return Status(running=True)

    def cgroup_memory(self) -> int | None:
        return self.cgroup_bytes


def runner(tmp_path: Path, fake: FakeInstance, load: FakeLoad | None = None) -> Runner:
    """A Runner whose run stage hands out ``fake`` and whose load is FakeLoad: no build, no Go."""
    return Runner(settings(tmp_path), "unit", start=lambda scenario, env, evidence, services: fake,
                  loadgen=lambda cache: cache / "no-loadgen", load_driver=load or FakeLoad(fake))
