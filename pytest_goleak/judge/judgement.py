"""After the run: gctrace figures into the snapshots, then trends, verdict, culprit, vet (one call).

:func:`judge_run` turns the series of snapshots into a frozen :class:`Judgement` that the runner
assembles into the scenario's result; nothing here touches the running fixture.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ..detectors.vet import VetFinding, relate, run_vet
from ..options import Settings
from ..record import Extended, MemProfileRate, SignalResult
from ..run import gotool
from ..run.capture import IdleWindow, Snapshot
from ..scenario.parse import Scenario
from . import analysis, culprit, extension
from .culprit import Culprit, CulpritReport
from .extension import ExtensionInfo
from .reproduce import pprof_commands
from .verdict import BudgetCheck, Verdict, VerdictName, judge, outcome


@dataclasses.dataclass(frozen=True)
class Judgement:
    """A scenario's verdict and what it rests on. A run that was judged comes from
    :func:`judge_run`; one that was not (an error, a skip, an OOM-kill before enough snapshots)
    from the constructors below, with the extension it had gathered, if any."""

    verdict: VerdictName
    passed: bool
    message: str
    snapshots: tuple[Snapshot, ...] = ()
    signals: Mapping[str, SignalResult] = dataclasses.field(default_factory=dict)
    budgets: tuple[BudgetCheck, ...] = ()
    culprits: CulpritReport = dataclasses.field(default_factory=CulpritReport)
    memprofilerate: MemProfileRate | None = None
    extension: ExtensionInfo | None = None
    vet: tuple[VetFinding, ...] | None = None
    pprof_command: str | None = None
    pprof_diff_base_command: str | None = None
    oom: str | None = None  # the OOM-kill that ended the run (judged from the snapshots before it, if any)
    cut_short: str | None = None  # what ended the run early (see runner.judgeable)
    error: str | None = None  # why the scenario could not be measured
    ignore_listed: bool = False  # judged with the scenario's ignore list: ignored goroutines are reported

    @classmethod
    def failed(cls, error: str, message: str, extension: ExtensionInfo | None = None) -> Judgement:
        """The scenario could not be measured: ``error`` in full, ``message`` its one line."""
        return cls("error", False, message, extension=extension, error=error)

    @classmethod
    def skipped(cls, why: str) -> Judgement:
        """The scenario cannot run here (a service is missing): it passes, saying how to run it."""
        return cls("skipped", True, why)

    @classmethod
    def oom_killed(cls, oom: str, expect: str | None, extension: ExtensionInfo | None = None) -> Judgement:
        """OOM-killed before enough snapshots to judge from: running out of memory at the limit
        under load is the strongest evidence of a leak."""
        passed, why = outcome("leak", expect, None, None)
        return cls("leak", passed, f"{why}\n  {oom}", extension=extension, oom=oom)


Timer = Callable[[str], AbstractContextManager[None]]


def _untimed(stage: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def with_gc_live_heap(logs: str, snaps: Sequence[Snapshot]) -> list[Snapshot]:
    """Each snapshot's live heap as the gctrace line of its forced GC reports it."""
    by_number = {e.number: e for e in analysis.parse_gctrace(logs)}
    out = []
    for s in snaps:
        # memstats were read right after a forced GC (heap?gc=1&debug=1): NumGC names its line.
        event = by_number.get(int(s.memstats.get("NumGC", -1)))
        out.append(dataclasses.replace(s, gc_live_heap_bytes=float(event.live_heap) if event else None))
    return out


def judge_run(scenario: Scenario, snaps: Sequence[Snapshot], ext: ExtensionInfo | None, settings: Settings, *,
              timed: Timer = _untimed, oom: str | None = None, cut_short: str | None = None,
              idle: IdleWindow | None = None) -> Judgement:
    """The verdict, culprit and vet findings of a series. ``oom`` / ``cut_short``: the run ended
    early (an OOM-kill is a leak whatever the budgets say); the series is what was gathered."""
    with timed("analyse"):
        main = [s for s in snaps if s.phase == "main"]
        trends = analysis.trends(main)  # the measured window: what the budgets speak of
        verdict = judge(scenario.budgets, trends, snaps, oom=oom, rate=settings.rate_per_second, idle=idle)
        notes: tuple[str, ...] = ()
        if ext:
            decision = extension.decide(verdict, snaps, scenario.snapshots)
            verdict, notes = decision.verdict, decision.notes
            if ext.undecided_at is not None:
                notes = (f"undecided at the bound ({ext.undecided_at:,} requests: still over only by a weak "
                         f"trend or one step), so the load went on to {ext.requests_at_end:,}", *notes)
            ext = dataclasses.replace(ext, outcome="leak" if verdict.verdict == "leak" else "plateau",
                                      plateaus=decision.plateaus, notes=notes)
        signals = _signals(trends, analysis.trends(snaps) if ext else None, ext)
        rate = MemProfileRate(scenario.memprofilerate, snaps[-1].memprofilerate)
        goroutines_first = trends.get("goroutines") is not None and trends["goroutines"].decision == "growing"
        module = gotool.module_path(scenario.fixture) if scenario.fixture else None
        over = {c.name for c in verdict.exceeded}
        heap_by = ("inuse_objects" if "heap_objects_per_1k_requests" in over
                   and "heap_inuse_bytes_per_1k_requests" not in over else "inuse_space")
        # The last snapshot with profiles: an extension cut short ends on a light one (figures only).
        last = next((s for s in reversed(snaps) if s.profiles), snaps[-1])
        found = culprit.find(settings.report_dir, snaps[0], last, goroutines_first, module,
                             heap_by=heap_by, ignore=scenario.ignore, source_roots=source_roots(scenario))
        commands = pprof_commands(settings.report_dir, snaps[0].profiles.get("heap"),
                                  last.profiles.get("heap"), settings.invocation_dir)
    vet = None
    if scenario.fixture is not None and settings.vet:
        with timed("vet"):
            vet = relate(run_vet(scenario.fixture, settings.cache_dir), found.culprits)
    top = found.top if verdict.verdict == "leak" else None
    passed, why = outcome(verdict.verdict, scenario.expect, scenario.culprit, top)
    message = _message(verdict, found.culprits if verdict.verdict == "leak" else (), why, notes, rate)
    if cut_short:
        message += f"\n  judged from the {len(snaps)} good snapshots before the run was cut short: {cut_short}"
    return Judgement(verdict.verdict, passed, message, tuple(snaps), signals, verdict.checks, found, rate, ext, vet,
                     commands["pprof_command"], commands["pprof_diff_base_command"], oom, cut_short,
                     ignore_listed=bool(scenario.ignore))


def source_roots(scenario: Scenario) -> tuple[Path, ...]:
    """Where a culprit's source excerpt may be read from: the build context (the fixture's module,
    the Dockerfile's directory), GOROOT and the module cache."""
    context: list[Path] = []
    if scenario.fixture is not None:
        with contextlib.suppress(gotool.GoError):
            context.append(gotool.module_root(scenario.fixture))
    elif scenario.dockerfile is not None:
        context.append(scenario.dockerfile.parent)
    return (*context, *gotool.go_dirs())


def _signals(main: Mapping[str, analysis.Trend], whole: Mapping[str, analysis.Trend] | None,
             ext: ExtensionInfo | None) -> dict[str, SignalResult]:
    """Trends of the measured window; when the run was extended, each signal's series runs to the
    end and ``extended`` holds the trend over the whole series."""
    out: dict[str, SignalResult] = {}
    for name, t in main.items():
        if whole and name in whole and ext:
            w = whole[name]
            out[name] = SignalResult(t, w.series, Extended(ext.requests_at_start, w.slope_per_1k, w.decision,
                                                           w.late_slope_per_1k))
        else:
            out[name] = SignalResult(t, t.series)
    return out


def _message(verdict: Verdict, culprits: Sequence[Culprit], why: str, notes: tuple[str, ...],
             rate: MemProfileRate) -> str:
    lines = [why]
    lines += [f"  {r}" for r in verdict.reasons]
    lines += [f"  extension: {n}" for n in notes]
    if rate.in_force is not None and rate.in_force != rate.requested:
        lines.append(f"  the service sets runtime.MemProfileRate={rate.in_force} itself "
                     f"(asked for {rate.requested})")
    if culprits:
        c = culprits[0]
        where = f"{Path(c.file).name}:{c.line}" if c.file else "?"
        kind = "goroutine stack" if c.kind == "goroutine" else "heap allocation site"
        state = f" [{c.state}]" if c.state else ""
        lines.append(f"  top growing {kind}: {c.function} ({where}){state}")
    return "\n".join(lines)
