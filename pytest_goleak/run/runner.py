"""One scenario through the pipeline: build -> run -> load -> capture -> analyse -> judge.

The runner returns one frozen :class:`~pytest_goleak.record.ScenarioResult`; it never raises for
a fixture's faults: those become an ``error`` (or, for an OOM-kill, ``leak``) verdict with the
evidence gathered so far. Whatever it starts is stopped in ``finally``. The drive loop is in
drive.py, the judging after the run in judge/judgement.py.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..judge.extension import LIMIT_SHARE, near_limit
from ..judge.judgement import Judgement, judge_run, with_gc_live_heap
from ..options import Settings
from ..record import ContainerInfo, Evidence, ScenarioResult
from ..scenario.parse import Extension, Scenario
from ..services import Service, Services, ServiceUnavailable
from ..textsafe import clip
from ..units import format_bytes
from . import build, gotool, grpcload, load
from .capture import CaptureError, Snapshot, anon_bytes
from .drive import DriveFailed, DriveOutcome, Driver, OOMKilled, StalledAtLimit, explain_death
from .httpget import FetchError, timed_out
from .runtime.base import Instance, RuntimeFailure, wait_healthy
from .runtime.docker import DockerRuntime
from .runtime.local import LocalRuntime
from .setup_steps import SetupError


class ScenarioSkipped(Exception):
    """The scenario cannot run here (a service is missing); the message says how to provide it."""


def effective(scenario: Scenario, settings: Settings) -> Scenario:
    """Apply run-wide overrides (--goleak-requests, --goleak-snapshots) and defaults."""
    load_cfg = scenario.load
    if settings.requests:
        load_cfg = dataclasses.replace(load_cfg, requests=settings.requests)
    ext = Extension(factor=scenario.extension.factor or settings.extension_factor,
                    timeout=scenario.extension.timeout or settings.extension_timeout)
    return dataclasses.replace(
        scenario, load=load_cfg, snapshots=settings.snapshots or scenario.snapshots,
        budgets={**settings.budgets, **scenario.budgets},
        memprofilerate=scenario.memprofilerate or settings.memprofilerate, extension=ext,
    )


#: The run stage: build the fixture (recorded in the evidence) and start it, given the scenario,
#: its environment, the run's evidence and the services provided. Runner._build_and_start by
#: default; a unit test hands out a fake Instance instead.
StartFixture = Callable[[Scenario, dict[str, str], Evidence, Sequence[Service]], Instance]


class Runner:
    def __init__(self, settings: Settings, run_id: str, docker_client: Any = None, services: Services | None = None, *,
                 progress: Callable[[str], None] | None = None, start: StartFixture | None = None,
                 loadgen: Callable[[Path], Path] = load.loadgen_binary,
                 load_driver: load.LoadDriverFactory = load.LoadDriver) -> None:
        self.settings = settings
        self.run_id = run_id
        self.docker = docker_client
        self.services = services
        self.progress: Callable[[str], None] = progress or (lambda line: None)
        self.start: StartFixture = start or self._build_and_start
        self.loadgen = loadgen
        self.load_driver = load_driver

    def run(self, raw: Scenario) -> ScenarioResult:
        scenario = effective(raw, self.settings)
        ev = Evidence()
        out_dir = self.settings.report_dir / scenario.name
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        drive = DriveOutcome()
        try:
            drive, judged = self._run(scenario, ev, out_dir)
        except DriveFailed as failed:
            drive = failed.outcome
            judged = _not_judged(failed.cause, scenario, drive)
        except Exception as exc:
            judged = _not_judged(exc, scenario, drive)
        duration = round(time.monotonic() - t0, 2)
        result = _assemble(scenario, ev, drive, judged, duration)
        self.progress(f"verdict {result.verdict} ({'pass' if result.passed else 'FAIL'}, "
                      f"{result.duration_s:.1f}s)")
        return result

    def _env(self, scenario: Scenario, ev: Evidence) -> tuple[dict[str, str], list[Service]]:
        env: dict[str, str] = {}
        provided: list[Service] = []
        for name in scenario.services:
            if self.services is None:
                raise ScenarioSkipped(f"service {name!r} is not available in this runtime")
            try:
                svc = self.services.get(name)
            except ServiceUnavailable as exc:
                raise ScenarioSkipped(f"needs {name}: {exc}") from exc
            provided.append(svc)
            ev.services += (name,)
        for svc in provided:
            env.update(svc.env_for(self._network(scenario, provided)))
        env.update(scenario.env)
        env["GODEBUG"] = godebug(scenario.memprofilerate, scenario.env.get("GODEBUG"))
        return env, provided

    def _network(self, scenario: Scenario, services: Sequence[Service]) -> str:
        """The scenario's network; ``auto`` is the bridge, or the host network when a service
        cannot be reached from the bridge (a URL you gave, a remote engine)."""
        if self.settings.runtime == "local":
            return "host"
        if scenario.network != "auto":
            return scenario.network
        return "bridge" if all(s.bridge_url for s in services) else "host"

    def _build_and_start(self, scenario: Scenario, env: dict[str, str], ev: Evidence,
                         services: Sequence[Service]) -> Instance:
        """The run stage: build the fixture (recorded in ``ev.build``) and start it (Docker, or
        a local process)."""
        cache, local = self.settings.cache_dir, self.settings.runtime == "local"
        with ev.timed("build"):
            art = build.build_for_local(scenario, cache) if local else build.build_for_docker(scenario, self.docker,
                                                                                              cache)
        ev.build = art
        self.progress(f"build {'cached' if art.cached else 'compiled'} ({art.seconds:.1f}s)")
        with ev.timed("start"):
            if local:
                assert art.binary is not None
                return LocalRuntime().start(art.binary, port_env=scenario.port_env, env=env, args=scenario.args,
                                            files=scenario.files, port=scenario.port, pprof_port=scenario.pprof_port,
                                            timeout=scenario.health_timeout, port_wait=scenario.timeout)
            assert art.image is not None
            return DockerRuntime(self.docker, self.run_id).start(
                art.image, scenario_name=scenario.name, port=scenario.port, port_env=scenario.port_env,
                pprof_port=scenario.pprof_port, env=env, network=self._network(scenario, services),
                memory=scenario.limits.memory, pids=scenario.limits.pids, nonroot=not scenario.hardening.root,
                args=scenario.args, files=scenario.files, writable_root=scenario.hardening.writable_root)

    def _run(self, scenario: Scenario, ev: Evidence, out_dir: Path) -> tuple[DriveOutcome, Judgement]:
        """Build, start, drive and judge; DriveFailed (with the partial outcome) when the drive
        loop failed in a way not to judge from."""
        env, services = self._env(scenario, ev)
        with ev.timed("build"):
            loadgen = self.loadgen(self.settings.cache_dir)
        instance = self.start(scenario, env, ev, services)
        info = ContainerInfo(instance.info.runtime, dict(instance.info.details))
        ev.container = info
        self.progress(f"start: {instance.info.runtime} at {instance.base_url}")
        cut: Exception | None = None
        try:
            with ev.timed("health"):
                ev.health_path = _wait_healthy(instance, scenario, loadgen)
            self.progress(f"health: {ev.health_path} answered")
            driver = Driver(scenario, instance, services, out_dir, self.settings.report_dir, self.progress,
                            self.load_driver)
            try:
                drive = driver.run(loadgen)
            except DriveFailed as failed:
                drive = failed.outcome
                ev.clock.add(drive.stages_s)
                if not isinstance(failed.cause, _DRIVE_FAULTS):
                    raise
                cut = what_ended(instance, scenario, drive.requests, failed.cause,
                                 drive.snapshots[-1] if drive.snapshots else None)
                if not judgeable(cut, len(drive.snapshots)):
                    raise DriveFailed(cut, drive) from failed.cause
                self.progress(f"cut short after {len(drive.snapshots)} good snapshots: {_first_line(cut)}")
            else:
                ev.clock.add(drive.stages_s)
        finally:
            with ev.timed("stop"):
                try:
                    logs = instance.logs()
                    status = instance.status()
                finally:
                    instance.close()  # even when a second Ctrl-C cuts the log fetch short
            (out_dir / "container.log").write_text(logs)
            ev.artifacts["log"] = f"{scenario.name}/container.log"
            ev.container = dataclasses.replace(info, status=status)
        gc_lines = [line for line in logs.splitlines() if line.startswith("gc ")]
        (out_dir / "gctrace.txt").write_text("\n".join(gc_lines) + "\n")
        ev.artifacts["gctrace"] = f"{scenario.name}/gctrace.txt"
        ev.gctrace_excerpt = tuple(clip(line) for line in gc_lines[-12:])
        judged = judge_run(scenario, with_gc_live_heap(logs, drive.snapshots), drive.extension, self.settings,
                           timed=ev.timed, oom=_first_line(cut) if isinstance(cut, OOMKilled) else None,
                           cut_short=_first_line(cut) if cut is not None else None, idle=drive.idle)
        return drive, judged


#: What may end the drive loop early: judged from the good snapshots when there are enough.
_DRIVE_FAULTS = (CaptureError, FetchError, load.LoadError, RuntimeFailure, SetupError)
#: A fixture's or the environment's fault: the scenario's error, while the others still run.
_SCENARIO_FAULTS = (*_DRIVE_FAULTS, build.BuildError, gotool.GoError)


def _not_judged(exc: Exception, scenario: Scenario, drive: DriveOutcome) -> Judgement:
    """The judgement of a run that ended before it could be judged: skipped, OOM-killed (a leak)
    or an error; anything else is a bug, and raised."""
    if isinstance(exc, ScenarioSkipped):
        return Judgement.skipped(str(exc))
    if isinstance(exc, OOMKilled):
        return Judgement.oom_killed(str(exc).splitlines()[0], scenario.expect, drive.extension)
    if isinstance(exc, _SCENARIO_FAULTS):
        return Judgement.failed(str(exc), f"{type(exc).__name__}: {_first_line(exc)}", drive.extension)
    if _is_engine_error(exc):
        # The engine refused or timed out (docker.errors.APIError, a client ReadTimeout).
        return Judgement.failed(f"Docker engine: {exc}",
                                f"Docker engine error ({type(exc).__name__}): {_first_line(exc)}", drive.extension)
    raise exc


#: Snapshots enough to judge from (the fewest a scenario may ask for).
MIN_GOOD_SNAPSHOTS = 4


def what_ended(instance: Instance, scenario: Scenario, requests: int, exc: Exception,
               last: Snapshot | None = None) -> Exception:
    """What really stopped the drive loop: an OOM-kill or the fixture's exit where the symptom was
    a failed capture or a dead load driver (see drive.explain_death), else the failure itself.
    ``last`` is the last good snapshot (see :func:`killed_at_limit`)."""
    if isinstance(exc, OOMKilled):
        return exc
    try:
        explain_death(instance, scenario, requests, exc)
    except RuntimeFailure as real:
        exc = real
    if isinstance(exc, RuntimeFailure):
        return killed_at_limit(exc, scenario, requests, last)
    return stalled_at_limit(instance, scenario, requests, exc)


def stalled_at_limit(instance: Instance, scenario: Scenario, requests: int, exc: Exception) -> Exception:
    """A capture or fetch that ran out of its time on a fixture still running in a cgroup that
    enforces its limit, with its memory at extension.LIMIT_SHARE of that limit or more, is the
    fixture stalled at that limit (see drive.StalledAtLimit), not a fault of the endpoint. Its
    memory is read now: its anonymous resident memory (capture.anon_bytes: the page cache of
    files it read is no leak, and its code's pages may be charged elsewhere), or the cgroup's
    figure off this host. Anything else stays what it was: an endpoint that answered wrongly, a
    load that got the wrong statuses, or a host process (the local runtime enforces no limit)
    says nothing of a stall at a limit."""
    limit = scenario.limits.memory
    if not limit or not timed_out(exc):
        return exc
    cgroup = instance.cgroup_memory()
    if cgroup is None:
        return exc
    used = anon_bytes(instance.host_pid())
    if used is None:
        used = cgroup
    if used < LIMIT_SHARE * limit:
        return exc
    symptom = _first_line(exc)
    return StalledAtLimit(f"stalled at its memory limit of {format_bytes(limit)} after {requests} requests, "
                          f"holding {format_bytes(used)}, not OOM-killed ({symptom})", None, instance.logs())


#: The exit status of a process ended by SIGKILL.
SIGKILL_EXIT = 128 + 9


def killed_at_limit(real: RuntimeFailure, scenario: Scenario, requests: int,
                    last: Snapshot | None) -> RuntimeFailure:
    """An exit by SIGKILL, with the last good snapshot already at extension.LIMIT_SHARE of the
    memory limit, is the kernel's OOM killer even when the engine does not say so: Docker's
    ``OOMKilled`` flag misses kills under cgroup v1 (seen in CI: a 24 MiB leak killed while it
    wrote a heap profile, exit 137, OOMKilled false, and the run called an error). Anything else
    stays what the engine said."""
    if (isinstance(real, OOMKilled) or real.exit_code != SIGKILL_EXIT or last is None
            or near_limit(last, scenario.limits.memory, None) != "memory"):
        return real
    return OOMKilled(f"OOM-killed at {format_bytes(scenario.limits.memory)} after {requests} requests "
                     "(killed by SIGKILL near the memory limit; the engine did not flag an OOM)",
                     real.exit_code, real.logs, True)


def judgeable(cut: Exception, good: int) -> bool:
    """Judge from the good snapshots after an OOM-kill or a failed capture, when there are enough
    of them: a big leak is the one most likely to end its own run, and it keeps its culprit. A
    fixture that exited, a load driver that failed or a timeout stays an error."""
    return good >= MIN_GOOD_SNAPSHOTS and isinstance(cut, (OOMKilled, CaptureError, FetchError))


def _assemble(scenario: Scenario, ev: Evidence, drive: DriveOutcome, j: Judgement, duration: float) -> ScenarioResult:
    """The scenario's one result: the judgement, what the drive loop gathered and the evidence around it."""
    connections = {name: tuple(drive.server_connections.get(name, ())) for name in ev.services}
    return ScenarioResult(
        name=scenario.name, file=str(scenario.path), description=scenario.description, expect=scenario.expect,
        culprit_expected=scenario.culprit, duration_s=duration, requests=drive.requests,
        artifacts={**drive.artifacts, **ev.artifacts}, gctrace_excerpt=ev.gctrace_excerpt, container=ev.container,
        build=ev.build, health_path=ev.health_path, load=drive.load, server_connections=connections,
        verdict=j.verdict, passed=j.passed, message=j.message, error=j.error, oom=j.oom, cut_short=j.cut_short,
        extension=j.extension, budgets=j.budgets, signals=j.signals, culprits=j.culprits, snapshots=j.snapshots,
        pprof_command=j.pprof_command, pprof_diff_base_command=j.pprof_diff_base_command, vet=j.vet,
        memprofilerate=j.memprofilerate, ignore_listed=j.ignore_listed, stages_s=ev.clock.stage_seconds())


def _wait_healthy(instance: Instance, scenario: Scenario, loadgen: Path) -> str:
    """HTTP: the health path, else /debug/pprof/. gRPC: grpc.health.v1 on the service port, else
    /debug/pprof/ on the admin port; a health.path given for a gRPC service is on the admin port."""
    if scenario.load.grpc is None:
        return wait_healthy(instance, scenario.health_path or "/healthz", scenario.health_timeout,
                            fallback=None if scenario.health_path else "/debug/pprof/")
    if scenario.health_path:
        return wait_healthy(instance, scenario.health_path, scenario.health_timeout, base=instance.pprof_url)
    return grpcload.wait_healthy_grpc(instance, loadgen, scenario.health_timeout)


def godebug(memprofilerate: int | None, user: str | None) -> str:
    """GODEBUG for a service: the sampling rate and the GC trace, then the user's own settings,
    which win (the runtime reads GODEBUG left to right, later settings overwriting earlier)."""
    parts = [f"memprofilerate={memprofilerate}"] if memprofilerate else []
    parts.append("gctrace=1")
    if user:
        parts.append(user)
    return ",".join(parts)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _is_engine_error(exc: BaseException) -> bool:
    """An exception of the docker SDK or of the HTTP stack under it."""
    return type(exc).__module__.split(".")[0] in ("docker", "requests", "urllib3")


