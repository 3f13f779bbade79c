"""The start-up sweep removes only containers of this host whose owner is gone (issue 18, item 9)."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
from typing import Any

import pytest

from pytest_goleak.run.runtime import docker as rt
from pytest_goleak.run.runtime.labels import owner_labels, process_start


class _Container:
    def __init__(self, name: str, labels: dict[str, str], created: str) -> None:
        self.name, self.labels, self.attrs = name, labels, {"Created": created}
        self.removed = False

    def remove(self, force: bool, v: bool) -> None:
        self.removed = True


class _Client:
    def __init__(self, containers: list[_Container]) -> None:
        outer = self
        self.all = containers

        class Containers:
            def list(self, **kw: Any) -> list[_Container]:
                return outer.all

        class Networks:
            def list(self, **kw: Any) -> list[Any]:
                return []

        self.containers, self.networks = Containers(), Networks()


def _ago(hours: float) -> str:
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # the engine's nanoseconds


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sweep_spares_live_owners_and_other_hosts_until_stale() -> None:
    here, me = socket.gethostname(), str(os.getpid())

    def labels(host: str, pid: str, start: str | None = None) -> dict[str, str]:
        return {"pytest-goleak": "1", "pytest-goleak.owner-host": host, "pytest-goleak.owner-pid": pid,
                **({"pytest-goleak.owner-start": start} if start is not None else {})}

    cases = {
        "mine": (owner_labels(), _ago(0), False),
        "mine-old-labels": (labels(here, me), _ago(0), False),  # no start label: the pid alone decides
        "dead-owner": (labels(here, str(_dead_pid())), _ago(0), True),
        "recycled-pid": (labels(here, me, "1"), _ago(0), True),  # same pid, another process
        "other-host-live": (labels("elsewhere", "1"), _ago(1), False),
        "other-host-stale": (labels("elsewhere", "1"), _ago(25), True),
        "no-owner": ({"pytest-goleak": "1"}, _ago(0), True),
    }
    containers = [_Container(name, lab, created) for name, (lab, created, _) in cases.items()]
    removed = rt.sweep(_Client(containers))
    assert sorted(removed) == sorted(name for name, (_, _, gone) in cases.items() if gone)
    assert process_start(os.getpid()) == owner_labels()["pytest-goleak.owner-start"]


class _Refusing(_Container):
    """A container the engine will not remove now: with ``status`` and ``explanation``."""

    def __init__(self, name: str, status: int, explanation: str) -> None:
        super().__init__(name, {"pytest-goleak": "1"}, _ago(0))  # no owner: swept
        self.status, self.explanation = status, explanation

    def remove(self, force: bool, v: bool) -> None:
        import docker.errors

        class Response:
            status_code = self.status
            reason = "refused"
            url = f"http+docker://localhost/containers/{self.name}"

        raise docker.errors.APIError("refused", response=Response(), explanation=self.explanation)


def test_a_removal_already_under_way_is_done_and_a_refusal_does_not_stop_the_sweep() -> None:
    # Seen with two runs on one engine: a container whose owner had just died was being removed
    # by another caller (most likely the other run's clean-up) when this run's sweep reached it;
    # the engine's 409 ended this run's session start in an INTERNALERROR.
    containers = [
        _Refusing("going", 409, "removal of container going is already in progress"),
        _Refusing("stuck", 500, "driver failed to remove root filesystem"),
        _Container("after", {"pytest-goleak": "1"}, _ago(0)),
    ]
    assert rt.sweep(_Client(containers)) == ["going", "after"]
    assert containers[2].removed


def test_closing_an_instance_another_caller_is_removing_is_not_an_error() -> None:
    import docker.errors

    rt._remove(_Refusing("going", 409, "removal of container going is already in progress"))
    with pytest.raises(docker.errors.APIError, match="paused"):  # any other conflict is raised
        rt._remove(_Refusing("conflict", 409, "container is paused"))
