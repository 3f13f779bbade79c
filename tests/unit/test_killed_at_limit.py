"""An exit by SIGKILL near the memory limit is the OOM killer's, flagged by the engine or not."""

from __future__ import annotations

from pathlib import Path

from pytest_goleak.run.capture import Snapshot
from pytest_goleak.run.drive import OOMKilled
from pytest_goleak.run.runner import SIGKILL_EXIT, killed_at_limit
from pytest_goleak.run.runtime.base import RuntimeFailure
from pytest_goleak.scenario.definition import Limits, Scenario

MiB = 1024 * 1024
SCENARIO = Scenario(name="s", path=Path("s.yaml"), limits=Limits(memory=24 * MiB))


def snap(cgroup_mib: float) -> Snapshot:
    return Snapshot(index=5, t=1.0, requests=7000, cgroup_memory_bytes=cgroup_mib * MiB)


def test_sigkill_near_the_limit_is_an_oom_kill_the_engine_missed():
    real = RuntimeFailure("the fixture exited with code 137 after 7830 requests", SIGKILL_EXIT, "log line")
    cut = killed_at_limit(real, SCENARIO, 7830, snap(20))
    assert isinstance(cut, OOMKilled) and cut.oom_killed and cut.exit_code == SIGKILL_EXIT
    assert str(cut).startswith("OOM-killed at 24.0MiB after 7830 requests") and "log line" in str(cut)


def test_anything_else_stays_what_the_engine_said():
    killed = RuntimeFailure("exited with code 137", SIGKILL_EXIT)
    assert killed_at_limit(killed, SCENARIO, 10, snap(4)) is killed  # far from the limit: someone's kill -9
    assert killed_at_limit(killed, SCENARIO, 10, None) is killed  # nothing gathered to say how big
    exited = RuntimeFailure("exited with code 2", 2)
    assert killed_at_limit(exited, SCENARIO, 10, snap(23)) is exited
    flagged = OOMKilled("OOM-killed at 24.0MiB after 10 requests", SIGKILL_EXIT, "", True)
    assert killed_at_limit(flagged, SCENARIO, 10, snap(23)) is flagged
