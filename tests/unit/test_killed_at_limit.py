"""An exit by SIGKILL near the memory limit is the OOM killer's, flagged by the engine or not; a
fixture that stops answering there is stalled at the limit. Both are leaks."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_goleak.judge.judgement import Judgement
from pytest_goleak.run.capture import CaptureError, Snapshot, anon_bytes
from pytest_goleak.run.drive import OOMKilled, StalledAtLimit
from pytest_goleak.run.httpget import FetchError
from pytest_goleak.run.load import LoadError
from pytest_goleak.run.runner import SIGKILL_EXIT, judgeable, killed_at_limit, stalled_at_limit
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


class _Stalled:
    """An Instance that is still running: only what stalled_at_limit reads."""

    def __init__(self, pid: int | None = None, cgroup: int | None = None) -> None:
        self.pid, self.cgroup = pid, cgroup

    def host_pid(self) -> int | None:
        return self.pid

    def cgroup_memory(self) -> int | None:
        return self.cgroup

    def logs(self) -> str:
        return "last line"


def _timed_out(url: str) -> CaptureError:
    """What capture._fetch raises for a fetch that ran out of its deadline."""
    try:
        try:
            raise FetchError(f"GET {url} did not finish within 30.0s", timed_out=True)
        except FetchError as exc:
            raise CaptureError(str(exc)) from exc
    except CaptureError as wrapped:
        return wrapped


TIMED_OUT = _timed_out("http://172.17.0.2:8080/debug/pprof/heap?gc=1&debug=1")


def test_a_capture_that_timed_out_at_the_memory_limit_is_the_fixture_stalled_there():
    # The CI case: the oom fault, still running at 31 of its 32 MiB, did not answer its heap capture.
    scenario = Scenario(name="oom", path=Path("oom.yaml"), limits=Limits(memory=32 * MiB))
    cut = stalled_at_limit(_Stalled(cgroup=31 * MiB), scenario, 27, TIMED_OUT)
    assert isinstance(cut, StalledAtLimit) and isinstance(cut, OOMKilled) and not cut.oom_killed
    first = str(cut).splitlines()[0]
    assert first == ("stalled at its memory limit of 32.0MiB after 27 requests, holding 31.0MiB, not OOM-killed "
                     "(GET http://172.17.0.2:8080/debug/pprof/heap?gc=1&debug=1 did not finish within 30.0s)")
    assert "last line" in str(cut)
    assert judgeable(cut, 4) and Judgement.oom_killed(first, "leak").verdict == "leak"
    # a health or settle fetch that timed out alike
    late = FetchError("GET http://172.17.0.2:8080/healthz did not finish within 30.0s", timed_out=True)
    assert isinstance(stalled_at_limit(_Stalled(cgroup=31 * MiB), scenario, 27, late), StalledAtLimit)


def test_its_own_memory_is_read_first_so_page_cache_near_the_limit_is_no_stall():
    me = anon_bytes(os.getpid())
    assert me is not None and me > 10 * MiB  # this pytest process
    over = Scenario(name="s", path=Path("s.yaml"), limits=Limits(memory=int(me / 0.8)))
    under = Scenario(name="s", path=Path("s.yaml"), limits=Limits(memory=int(me / 0.5)))
    # the cgroup says full (its page cache), the process is not: the error stays
    assert stalled_at_limit(_Stalled(pid=os.getpid(), cgroup=int(me / 0.5)), under, 5, TIMED_OUT) is TIMED_OUT
    assert isinstance(stalled_at_limit(_Stalled(pid=os.getpid(), cgroup=0), over, 5, TIMED_OUT), StalledAtLimit)
    # no cgroup, no limit enforced (the local runtime's host process): not a stall at it
    assert stalled_at_limit(_Stalled(pid=os.getpid()), over, 5, TIMED_OUT) is TIMED_OUT
    assert anon_bytes(None) is None and anon_bytes(2**22 + 12345) is None  # off this host, gone


def test_anything_else_is_not_a_stall():
    at_limit = _Stalled(cgroup=31 * MiB)
    limited = Scenario(name="s", path=Path("s.yaml"), limits=Limits(memory=32 * MiB))
    assert stalled_at_limit(_Stalled(cgroup=10 * MiB), limited, 5, TIMED_OUT) is TIMED_OUT  # far from it
    assert stalled_at_limit(_Stalled(), limited, 5, TIMED_OUT) is TIMED_OUT  # no cgroup, nothing to say how big
    assert stalled_at_limit(at_limit, Scenario(name="s", path=Path("s.yaml")), 5, TIMED_OUT) is TIMED_OUT  # no limit
    # failures that say nothing of memory: a wrong answer, refused, the load's statuses, a bug
    for other in (CaptureError("GET …/heap did not return a gzipped pprof profile (got HTML)"),
                  FetchError("GET …/heap answered HTTP 500", 500), FetchError("GET …/heap failed: refused"),
                  LoadError("60 of 100 responses (60%) were not 2xx/3xx (500: 60)"), RuntimeError("a bug")):
        assert stalled_at_limit(at_limit, limited, 5, other) is other
