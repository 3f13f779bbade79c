"""Drive stage: load in phases, a snapshot after each, the extension past a budget, a trace.

Runs against a started :class:`~pytest_goleak.run.runtime.base.Instance` and returns one frozen
:class:`DriveOutcome`: the series of snapshots and what it learnt on the way (requests answered,
the load summary, what the extension did, server connections, the trace). A failure raises
:class:`DriveFailed` carrying the outcome up to it, so a fixture that dies half-way still leaves
its evidence.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import signals
from ..judge import analysis, extension
from ..judge.extension import ExtensionInfo, Stop
from ..judge.verdict import judge
from ..record import Stopwatch
from ..scenario.parse import Scenario
from ..services import Service
from ..units import format_bytes
from . import load, setup_steps
from .capture import IdleWindow, Phase, Snapshot, complete, idle_window, prime, settle, take_snapshot
from .httpget import FetchError, get
from .runtime.base import Instance, RuntimeFailure

#: The execution trace lasts about as long as its burst of TRACE_REQUESTS (from the last phase's
#: rate), between TRACE_MIN_S and TRACE_MAX_S: the handler records for the whole time asked, and a
#: second of trace over a 50 ms burst was 0.95 s of an idle service, paid by every leak.
TRACE_REQUESTS = 500
TRACE_MIN_S = 0.25
TRACE_MAX_S = 1.0
#: A pause in the load after the measured window: growth over it is growth with time and not with
#: requests (a background loop), judged against the per-minute budgets (judge/verdict.py).
IDLE_SECONDS = 1.0


class OOMKilled(RuntimeFailure):
    """The fixture was OOM-killed at its memory limit: under load, the strongest leak evidence."""


class StalledAtLimit(OOMKilled):
    """The fixture stopped answering with its memory at its limit, and the kernel had not killed
    it: a process whose anonymous memory fills its cgroup can spend long minutes in reclaim (its
    own code pages are file-backed, so the kernel evicts them and the process faults them back in)
    before the OOM killer runs. The same leak evidence as the kill (seen in CI: the ``oom`` fault's
    heap capture did not finish within 30 s, and the run was called an error)."""


@dataclass(frozen=True)
class DriveOutcome:
    """What the drive loop gathered, whole or (carried by :class:`DriveFailed`) up to a failure."""

    snapshots: tuple[Snapshot, ...] = ()  # the good ones: judged from if the run was cut short
    requests: int = 0  # answered so far
    load: load.LoadSummary | None = None
    extension: ExtensionInfo | None = None
    idle: IdleWindow | None = None  # the pause in the load that per-minute budgets are judged on
    #: per service, (requests, connections) at each snapshot; None where it could not be read
    server_connections: Mapping[str, tuple[tuple[int, int | None], ...]] = field(default_factory=dict)
    artifacts: Mapping[str, str] = field(default_factory=dict)  # the trace, when one was taken
    stages_s: Mapping[str, float] = field(default_factory=dict)  # unrounded, added to the run's


class DriveFailed(Exception):
    """The drive loop failed: ``cause`` is why, ``outcome`` what it had gathered before."""

    def __init__(self, cause: Exception, outcome: DriveOutcome) -> None:
        super().__init__(str(cause))
        self.cause, self.outcome = cause, outcome


@dataclass
class _Gathered:
    """The drive loop's mutable state, frozen into a DriveOutcome however the loop ends."""

    services: Sequence[str]
    snapshots: list[Snapshot] = field(default_factory=list)
    requests: int = 0
    load: load.LoadSummary | None = None
    extension: ExtensionInfo | None = None
    idle: IdleWindow | None = None
    connections: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    clock: Stopwatch = field(default_factory=Stopwatch)

    def freeze(self) -> DriveOutcome:
        conns = {name: tuple(self.connections.get(name, ())) for name in self.services}
        return DriveOutcome(tuple(self.snapshots), self.requests, self.load, self.extension, self.idle, conns,
                            dict(self.artifacts), dict(self.clock.stages_s))


@dataclass
class Driver:
    """One scenario's drive loop; ``report_dir`` holds the profiles the snapshots name.
    ``load_driver`` starts the load driver (the Go one by default; a fake in unit tests)."""

    scenario: Scenario
    instance: Instance
    services: Sequence[Service]
    out_dir: Path
    report_dir: Path
    progress: Callable[[str], None] = lambda line: None
    load_driver: load.LoadDriverFactory = load.LoadDriver
    _got: _Gathered = field(init=False)

    def run(self, loadgen: Path) -> DriveOutcome:
        """The series of snapshots and what the load and the extension did; DriveFailed (with the
        outcome so far) when anything fails."""
        self._got = _Gathered(tuple(svc.name for svc in self.services))
        try:
            self._drive(loadgen)
        except Exception as exc:
            raise DriveFailed(exc, self._got.freeze()) from exc
        return self._got.freeze()

    def _drive(self, loadgen: Path) -> None:
        scenario, got = self.scenario, self._got
        timed = got.clock.timed
        snaps = got.snapshots
        phases: list[load.PhaseResult] = []
        per_phase = max(1, scenario.load.requests // (scenario.snapshots - 1))
        deadline = time.monotonic() + scenario.timeout
        protocol = "grpc" if scenario.load.grpc else "http"
        with timed("warm-up"):
            prime(self.instance, timeout=scenario.capture_timeout)
            variables = self._setup()
        with self.load_driver(loadgen, self.instance.base_url, scenario.load, variables,
                              scenario.load.seed) as driver:
            got.load = load.LoadSummary.of(phases, 0, driver.seed, protocol)  # the seed, even if the load fails
            if scenario.load.warmup_requests:
                with timed("warm-up"):
                    phases.append(driver.run(scenario.load.warmup_requests))
                self.progress(f"warm-up: {scenario.load.warmup_requests} requests")
            t_start = time.monotonic()
            seconds = (scenario.load.duration or 0.0) / (scenario.snapshots - 1)

            def step(phase: Phase) -> None:
                main = phase == "main"
                if snaps:
                    with timed("load" if main else "extension"):
                        phases.append(driver.run_for(seconds) if seconds else driver.run(per_phase))
                answered = sum(p.ok for p in phases)  # so far: the evidence if the fixture dies next
                got.requests = answered
                check_alive(self.instance, scenario, answered)
                # Every fetch of the capture ends by the scenario's deadline, not only the snapshot.
                with timed("settle" if main else "extension"):
                    settled = settle(self.instance, timeout=_within(deadline, scenario,
                                                                    f"before snapshot {len(snaps) + 1}"))
                with timed("capture" if main else "extension"):
                    snap = self._snapshot(len(snaps), round(time.monotonic() - t_start, 3), driver.total, phase,
                                          settled, _within(deadline, scenario, f"in snapshot {len(snaps) + 1}"))
                snaps.append(snap)

            for i in range(scenario.snapshots):
                step("main")
                self.progress(f"snapshot {i + 1}/{scenario.snapshots} at {snaps[-1].requests} requests")
                if time.monotonic() > deadline:
                    raise RuntimeFailure(f"the scenario ran past its timeout of {scenario.timeout:.0f}s "
                                         f"after {i + 1} of {scenario.snapshots} snapshots")
            got.load = load.LoadSummary.of(phases, driver.total, driver.seed, protocol)
            got.load.check(scenario.load.entries())
            if any(signals.budgets()[n].axis == "time" for n in scenario.budgets if n in signals.budgets()):
                with timed("idle"):
                    got.idle = idle_window(self.instance, IDLE_SECONDS, scenario.capture_timeout)
            got.extension = self._extend(snaps, step, deadline)
            # The trace is for diagnosing a leak: a scenario within every budget, or one the extension
            # found filling, skips its second.
            if self._leaking(snaps):
                with timed("trace"):
                    self._trace(driver, min(per_phase, TRACE_REQUESTS), trace_seconds(per_phase, phases[-1].rps))
        got.requests = snaps[-1].requests
        got.load = load.LoadSummary.of(phases, driver.total, driver.seed, protocol)

    def _leaking(self, snaps: Sequence[Snapshot]) -> bool:
        """Over a budget on the series so far, as judge_run will find it (the extension decides the
        per-1k budgets it ran for)."""
        scenario = self.scenario
        main = [s for s in snaps if s.phase == "main"]
        verdict = judge(scenario.budgets, analysis.trends(main), snaps, idle=self._got.idle)
        if self._got.extension is not None:
            verdict = extension.decide(verdict, snaps, scenario.snapshots).verdict
        return bool(verdict.exceeded)

    def _snapshot(self, index: int, t: float, requests: int, phase: Phase, settled: float,
                  timeout: float) -> Snapshot:
        """One snapshot, with the services' connection counts beside it; every fetch ends by ``timeout``."""
        snap = take_snapshot(self.instance, index, t, requests, self.out_dir, self.report_dir,
                             timeout=timeout, phase=phase, settle_s=settled,
                             ignore=self.scenario.ignore, light=phase == "extension")
        counts = [svc.connections() for svc in self.services]
        for svc, count in zip(self.services, counts, strict=True):
            self._got.connections.setdefault(svc.name, []).append((snap.requests, count))
        if counts and all(c is not None for c in counts):
            snap = dataclasses.replace(snap, server_connections=float(sum(c for c in counts if c is not None)))
        return snap

    def _setup(self) -> dict[str, str]:
        """The scenario's setup steps; the variables they captured, for the load."""
        steps = self.scenario.setup
        if not steps:
            return {}
        env = {k: v for svc in self.services for k, v in svc.env.items()}
        variables = setup_steps.run_steps(steps, self.instance.base_url, env, self.scenario.path.parent,
                                          self.scenario.load.timeout)
        self.progress(f"setup: {len(steps)} step{'s' if len(steps) > 1 else ''} done"
                      + (f", captured {', '.join(sorted(variables))}" if variables else ""))
        return variables

    def _extend(self, snaps: list[Snapshot], step: Callable[[Phase], None], deadline: float) -> ExtensionInfo | None:
        """Keep the load going while a per-1k budget is over, up to the bound: see judge/extension.py."""
        scenario = self.scenario
        # A per-minute budget over on the idle window is a leak whatever happens next, as a crossed cap.
        over = extension.over_slope_budgets(judge(scenario.budgets, analysis.trends(snaps), snaps,
                                                  idle=self._got.idle))
        factor = scenario.extension.factor or 1.0
        if not over or factor <= 1:
            return None
        # A soak by time has no request count of its own: its main run's measured requests stand in.
        measured = snaps[-1].requests - snaps[0].requests if scenario.load.duration else scenario.load.requests
        bound = int(factor * measured)
        t0 = time.monotonic()
        # The extension stops, without failing, before the scenario's own timeout.
        stop_at = min(t0 + (scenario.extension.timeout or 0.0), deadline - 5.0)
        start_requests, first = snaps[-1].requests, snaps[0].requests
        reason = ", ".join(c.name for c in over)
        self.progress(f"extension: {reason} over budget; load continues up to {bound + first} requests")
        stopped: Stop = "bound"
        undecided_at: int | None = None

        def info() -> ExtensionInfo:
            return ExtensionInfo(reason=reason, budgets=tuple(c.name for c in over),
                                 from_snapshot=scenario.snapshots, requests_at_start=start_requests,
                                 requests_at_end=snaps[-1].requests, bound_requests=bound + first, stopped=stopped,
                                 snapshots=len(snaps) - scenario.snapshots, seconds=round(time.monotonic() - t0, 2),
                                 undecided_at=undecided_at)

        try:
            while True:
                if snaps[-1].requests - first >= bound:
                    # Weak evidence at the bound: once, more load decides (judge/extension.py).
                    if undecided_at is not None or extension.conclusive(over, snaps, scenario.snapshots):
                        break
                    undecided_at, bound = snaps[-1].requests, int(extension.UNDECIDED_FACTOR * bound)
                    self.progress(f"extension: undecided at {undecided_at} requests; "
                                  f"load continues up to {bound + first} requests")
                if time.monotonic() >= stop_at:
                    stopped = "timeout"
                    break
                step("extension")
                self.progress(f"extension snapshot {len(snaps)} at {snaps[-1].requests} requests")
                why = (extension.near_limit(snaps[-1], scenario.limits.memory, scenario.limits.pids)
                       or ("decisive" if extension.decisive(over, snaps, scenario.snapshots) else None)
                       or ("plateau" if extension.plateau_reached(over, snaps, scenario.snapshots) else None))
                if why:
                    stopped = why
                    break
            # The extension's snapshots are light (figures only); the last one gets its profiles
            # now, for the culprit's diff. The load has stopped since its figures were read.
            with self._got.clock.timed("extension"):
                snaps[-1] = complete(self.instance, snaps[-1], self.out_dir, self.report_dir,
                                     timeout=_within(deadline, scenario, "completing the last snapshot"))
        except BaseException:
            # The run was cut short in the extension (the fixture died, Ctrl-C): what it did so far.
            stopped = "cut_short"
            self._got.extension = info()
            raise
        return info()

    def _trace(self, driver: load.LoadRun, requests: int, seconds: float) -> None:
        """A short execution trace under load, for ``go tool trace`` (field guide, ch. 2.2)."""
        box: list[bytes] = []

        def fetch() -> None:
            try:
                box.append(get(f"{self.instance.pprof_url}/debug/pprof/trace?seconds={seconds:g}", timeout=30))
            except FetchError:
                pass

        thread = threading.Thread(target=fetch, daemon=True)
        thread.start()
        driver.run(requests)  # traffic for the trace to show; after the last snapshot
        thread.join(timeout=35)
        if box:
            (self.out_dir / "trace.out").write_bytes(box[0])
            self._got.artifacts["trace"] = f"{self.scenario.name}/trace.out"


def trace_seconds(per_phase: int, rps: float) -> float:
    """How long the trace records: its burst's expected time at ``rps`` with half again to spare,
    within TRACE_MIN_S and TRACE_MAX_S (the whole second when the rate is unknown)."""
    if rps <= 0:
        return TRACE_MAX_S
    return round(min(TRACE_MAX_S, max(TRACE_MIN_S, 1.5 * min(per_phase, TRACE_REQUESTS) / rps)), 2)


def _within(deadline: float, scenario: Scenario, where: str) -> float:
    """The capture timeout, cut to what is left of the scenario's; RuntimeFailure when nothing is."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise RuntimeFailure(f"the scenario ran past its timeout of {scenario.timeout:.0f}s ({where})")
    return min(scenario.capture_timeout, left)


def check_alive(instance: Instance, scenario: Scenario, requests: int) -> None:
    st = instance.status()
    if st.running:
        return
    if st.oom_killed:
        raise OOMKilled(f"OOM-killed at {format_bytes(scenario.limits.memory)} after {requests} requests",
                        st.exit_code, instance.logs(), True)
    raise RuntimeFailure(f"the fixture exited with code {st.exit_code} after {requests} requests",
                         st.exit_code, instance.logs())


def explain_death(instance: Instance, scenario: Scenario, requests: int, exc: Exception) -> None:
    """A failed capture or a dead load driver is often only the symptom of a fixture that died:
    raise what really happened (OOM-kill, or exit code and logs) instead of the symptom."""
    deadline = time.monotonic() + 1.5  # the engine notices an exit a moment after the sockets close
    st = instance.status()
    while st.running and time.monotonic() < deadline:
        time.sleep(0.1)
        st = instance.status()
    if st.running:
        return
    if st.oom_killed:
        raise OOMKilled(f"OOM-killed at {format_bytes(scenario.limits.memory)} after {requests} requests",
                        st.exit_code, instance.logs(), True) from exc
    if not isinstance(exc, RuntimeFailure) or exc.exit_code is None:
        symptom = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuntimeFailure(f"the fixture exited with code {st.exit_code} after {requests} requests "
                             f"({symptom})", st.exit_code, instance.logs()) from exc
