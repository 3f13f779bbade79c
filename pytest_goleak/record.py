"""One scenario's outcome, typed: what every stage returned, assembled once by the runner.

The stages hand back frozen values (:class:`~pytest_goleak.run.build.Artifact`, the
:class:`ContainerInfo` of the run, :class:`~pytest_goleak.run.load.LoadSummary`, a tuple of
:class:`~pytest_goleak.run.capture.Snapshot`, :class:`SignalResult` per signal,
:class:`~pytest_goleak.judge.verdict.BudgetCheck` per budget, :class:`~pytest_goleak.judge.extension.ExtensionInfo`,
:class:`~pytest_goleak.judge.culprit.CulpritReport`). The drive loop returns one frozen
``DriveOutcome`` (run/drive.py; a failure carries the partial one), the judge one ``Judgement``
(judge/judgement.py; an error, a skip and an OOM-kill are Judgements too), and what the runner
gathers around them (build, start, health, logs) sits in an :class:`Evidence`: the runner turns
the three into one frozen :class:`ScenarioResult` in one place, however the run ended. JSON is
made from it, and read back into it, only in ``report/results.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from .detectors.base import DetectorResult
from .detectors.vet import VetFinding
from .judge.analysis import Trend, TrendDecision
from .judge.culprit import CulpritReport
from .judge.extension import ExtensionInfo
from .judge.verdict import BudgetCheck, VerdictName
from .run.build import Artifact
from .run.capture import Snapshot
from .run.load import LoadSummary
from .run.runtime.base import Detail, Status

#: Where a scenario's time goes, in pipeline order: ``stages_s`` in results.json has these keys
#: (those a run reached). The drive loop's load, settle and capture past the measured window
#: count as ``extension``; ``idle`` is the pause in the load that per-minute budgets are judged on
#: (drive.IDLE_SECONDS); ``trace`` is the execution trace after the last snapshot, ``stop``
#: the log fetch and removal, ``analyse`` the trends, verdict and culprit, ``detectors`` the
#: detector matrix's answers. The run's report writing is ``timing.report_s`` of the document.
STAGES = ("build", "start", "health", "warm-up", "load", "settle", "capture", "idle", "extension", "trace",
          "stop", "analyse", "vet", "detectors")


@dataclass(frozen=True)
class ContainerInfo:
    runtime: str  # "docker" | "local" (or a fake's name)
    #: What the runtime reports about the running fixture (image, id, pid, hardening...): it
    #: differs per runtime, is JSON-ready and only shown, so it stays a mapping.
    details: Mapping[str, Detail]
    status: Status | None = None  # how it ended, once stopped


@dataclass(frozen=True)
class Extended:
    """A signal's trend over the whole series, when the run was extended past the window."""

    from_requests: int
    slope_per_1k: float
    decision: TrendDecision
    late_slope_per_1k: float


@dataclass(frozen=True)
class SignalResult:
    """A signal's trend over the measured window; ``series`` runs to the end of the run."""

    trend: Trend
    series: tuple[tuple[float, float], ...]
    extended: Extended | None = None

    @property
    def unit(self) -> str:
        return self.trend.unit

    @property
    def slope_per_1k(self) -> float:
        return self.trend.slope_per_1k

    @property
    def decision(self) -> TrendDecision:
        return self.trend.decision


@dataclass(frozen=True)
class MemProfileRate:
    requested: int | None
    in_force: int | None


@dataclass(frozen=True)
class ScenarioResult:
    """One entry of results.json, typed. Built once per scenario; never changed afterwards."""

    name: str
    file: str
    description: str
    expect: str | None
    culprit_expected: str | None
    verdict: VerdictName
    passed: bool
    message: str = ""
    error: str | None = None
    oom: str | None = None
    duration_s: float = 0.0
    requests: int = 0
    budgets: tuple[BudgetCheck, ...] = ()
    signals: Mapping[str, SignalResult] = field(default_factory=dict)
    culprits: CulpritReport = field(default_factory=CulpritReport)
    snapshots: tuple[Snapshot, ...] = ()
    artifacts: Mapping[str, str] = field(default_factory=dict)  # name -> path inside the report
    gctrace_excerpt: tuple[str, ...] = ()
    pprof_command: str | None = None
    pprof_diff_base_command: str | None = None
    container: ContainerInfo | None = None
    build: Artifact | None = None
    #: per service, (requests, connections) at each snapshot; None where it could not be read
    server_connections: Mapping[str, tuple[tuple[int, int | None], ...]] = field(default_factory=dict)
    vet: tuple[VetFinding, ...] | None = None
    load: LoadSummary | None = None
    extension: ExtensionInfo | None = None
    memprofilerate: MemProfileRate | None = None
    health_path: str | None = None
    ignore_listed: bool = False  # the scenario has an ignore list: ignored goroutines are reported
    detectors: tuple[DetectorResult, ...] = ()  # every detector's answer (detectors/harness.py)
    stages_s: Mapping[str, float] = field(default_factory=dict)  # seconds per stage (STAGES), in that order
    #: The run ended early (an OOM-kill, a failed capture) after enough good snapshots to judge
    #: from: what ended it. The verdict and culprit are from the snapshots before it.
    cut_short: str | None = None

    @property
    def culprit(self) -> str | None:
        """The function blamed first (the top culprit), if any."""
        return self.culprits.top

    def budget(self, name: str) -> BudgetCheck | None:
        return next((c for c in self.budgets if c.name == name), None)

    def growth(self, signal: str) -> float | None:
        """Theil–Sen slope per 1,000 requests of a signal (``goroutines``, ``heap_inuse_bytes``...)."""
        s = self.signals.get(signal)
        return s.slope_per_1k if s else None

    def signal_flags(self) -> dict[str, bool]:
        """Which signals flagged this scenario: a budget on the signal was exceeded, or, for a
        signal with no budget, its trend was judged ``growing``; ``vet`` flags when a leak finding
        points at the culprit's code."""
        by_budget: dict[str, bool] = {}
        for check in self.budgets:
            by_budget[check.signal] = by_budget.get(check.signal, False) or check.exceeded
        flags = {sig: by_budget.get(sig, s.decision == "growing") for sig, s in self.signals.items()}
        if self.vet is not None:
            flags["vet"] = any(f.points_at_leak for f in self.vet)
        return flags


class Stopwatch:
    """Wall time per stage (one of STAGES), added up over the blocks timed."""

    def __init__(self) -> None:
        self.stages_s: dict[str, float] = {}

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to ``stage``, however the block ends."""
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.stages_s[stage] = self.stages_s.get(stage, 0.0) + time.monotonic() - t0

    def add(self, stages_s: Mapping[str, float]) -> None:
        for k, v in stages_s.items():
            self.stages_s[k] = self.stages_s.get(k, 0.0) + v

    def stage_seconds(self) -> dict[str, float]:
        """The stages reached, in pipeline order, rounded for results.json."""
        return {k: round(self.stages_s[k], 3) for k in STAGES if k in self.stages_s}


@dataclass
class Evidence:
    """What the runner has gathered around the drive loop (build, start, health, logs): its only
    mutable state, turned into the frozen :class:`ScenarioResult` once, whatever way the run
    ends. The drive loop's own findings come back as one frozen ``DriveOutcome`` (run/drive.py),
    whole or partial."""

    container: ContainerInfo | None = None
    build: Artifact | None = None
    health_path: str | None = None
    services: tuple[str, ...] = ()  # the services provided, in order (their connection series)
    artifacts: dict[str, str] = field(default_factory=dict)
    gctrace_excerpt: tuple[str, ...] = ()
    clock: Stopwatch = field(default_factory=Stopwatch)

    def timed(self, stage: str) -> AbstractContextManager[None]:
        """Add the block's wall time to ``stage`` (one of STAGES), however the block ends."""
        return self.clock.timed(stage)
