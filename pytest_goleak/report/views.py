"""View models of the HTML report: a typed ScenarioResult -> the plain values the templates show.

The shapes are the program's own (the typed result); what came from a profile or a container
(function names, paths, logs, messages) is still untrusted text, which Jinja2 autoescapes and
``safe_href`` keeps inside the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import quote

from markupsafe import Markup

from .. import signals as signals_mod
from ..judge.culprit import Culprit, Frame, GrowthSite
from ..record import STAGES, ScenarioResult, SignalResult
from ..run import grpcload
from ..run.capture import Snapshot
from ..units import (
    DASH,
    fmt_bytes,
    fmt_count,
    fmt_delta,
    fmt_seconds,
    fmt_slope,
    fmt_value,
    num,
    percent,
)
from . import flame, svg
from .comparison import Comparison, Row, change_text, trend_text
from .confusion import Validation
from .flame import FlameStats
from .format import safe_href, short_path

DEFAULT_KEY_SIGNALS = ("goroutines", "heap_inuse_bytes")
_PROFILE_ORDER = {"heap": 0, "goroutine": 1, "allocs": 2, "goroutine_text": 3}


def budget_signal(key: str) -> tuple[str, str] | None:
    """``goroutines_per_1k_requests`` -> (goroutines, slope); ``max_rss`` -> (rss_bytes, cap)."""
    known = signals_mod.budgets().get(key)
    if known is not None:
        return known.signal, known.kind
    if key.endswith("_per_1k_requests"):
        return key[: -len("_per_1k_requests")], "slope"
    return None


def budget_title(key: str) -> str:
    """``heap_inuse_bytes_per_1k_requests`` -> ``Heap in use /1k req``; unknown keys stay as they are."""
    target = budget_signal(key)
    if target is None:
        return key
    title = signals_mod.titles().get(target[0], target[0].replace("_", " "))
    return f"{title} /1k req" if target[1] == "slope" else f"{title} cap"


def _title(signal: str) -> str:
    return signals_mod.titles().get(signal, signal)


def _where(file: str | None, line: int | None, short: bool = False) -> str:
    text = short_path(file) if short else (file or "")
    return text + (f":{line}" if line is not None else "")


@dataclass(frozen=True)
class BudgetRow:
    key: str
    title: str
    detail: str
    unit: str
    limit: float
    measured: float | None
    exceeded: bool
    signal: str | None  # the signal it bounds, when known
    kind: str | None  # slope | cap
    limit_text: str
    measured_text: str


def _budgets(s: ScenarioResult) -> list[BudgetRow]:
    rows = []
    for b in s.budgets:
        target = budget_signal(b.name)
        kind = target[1] if target else None
        # Slope budgets say "/1k req" in their title, so the figures go without it.
        fmt = fmt_delta if kind == "slope" else fmt_value
        rows.append(BudgetRow(b.name, budget_title(b.name), b.detail, b.unit, b.limit, b.measured, b.exceeded,
                              b.signal if target else None, kind, fmt(b.limit, b.unit), fmt(b.measured, b.unit)))
    return rows


@dataclass(frozen=True)
class FrameRow:
    function: str
    where: str


@dataclass(frozen=True)
class SourceLine:
    line: str
    text: str
    hit: bool


@dataclass(frozen=True)
class CulpritView:
    kind: str
    function: str
    where: str
    where_short: str
    state: str
    context: tuple[SourceLine, ...]
    delta: float | None
    delta_space: float | None
    delta_objects: float | None
    stack: tuple[FrameRow, ...]


def _frame(f: Frame) -> FrameRow:
    return FrameRow(f.function, _where(f.file, f.line))


def _culprit(c: Culprit) -> CulpritView:
    context = [SourceLine(str(n), text, n == c.line) for n, text in c.source_context]
    if not context and c.source:
        context.append(SourceLine("" if c.line is None else str(c.line), c.source, True))
    return CulpritView(c.kind, c.function or "(unknown function)", _where(c.file, c.line),
                       _where(c.file, c.line, short=True), c.state or "", tuple(context), c.delta, c.delta_space,
                       c.delta_objects, tuple(_frame(f) for f in c.stack))


@dataclass(frozen=True)
class KeyGrowth:
    signal: str
    title: str
    slope: str
    decision: str
    exceeded: bool


def _key_growth(s: ScenarioResult, budgets: Sequence[BudgetRow]) -> list[KeyGrowth]:
    names = [b.signal for b in budgets if b.signal] or [n for n in DEFAULT_KEY_SIGNALS if n in s.signals]
    out, seen = [], set()
    for name in names:
        if name in seen or name not in s.signals:
            continue
        seen.add(name)
        sig = s.signals[name]
        out.append(KeyGrowth(name, _title(name), fmt_slope(sig.slope_per_1k, sig.unit), sig.decision,
                             any(b.exceeded for b in budgets if b.signal == name)))
    return out


def _per_minute(v: float | None, unit: str) -> str:
    """A slope per minute of wall time (time as the second axis)."""
    return DASH if v is None else f"{fmt_value(v, unit)}/min"


def _chart(s: ScenarioResult, name: str, sig: SignalResult, budgets: Sequence[BudgetRow], chart_id: int) -> Markup:
    budget = None
    for b in budgets:
        if b.signal == name and num(b.limit) is not None:
            label = (f"budget {fmt_slope(b.limit, sig.unit)}" if b.kind == "slope"
                     else f"cap {fmt_value(b.limit, sig.unit)}")
            budget = svg.Budget(b.kind or "cap", float(b.limit), label)
            break
    note = f"{sig.decision} (p={sig.trend.p_value:.2g})" if sig.decision else f"p={sig.trend.p_value:.2g}"
    if sig.extended is not None:
        note = f"{note}; whole series {sig.extended.decision}"
    return svg.line_chart(chart_id=chart_id, title=_title(name), unit=sig.unit or "count",
                          series=[list(p) for p in sig.series], slope_per_1k=num(sig.slope_per_1k), budget=budget,
                          note=note, extension_from=s.extension.requests_at_start if s.extension else None)


def _charts(s: ScenarioResult, budgets: Sequence[BudgetRow], first_id: int) -> list[Markup]:
    titles = signals_mod.titles()
    ordered = [k for k in titles if k in s.signals] + sorted(k for k in s.signals if k not in titles)
    charts = [_chart(s, name, s.signals[name], budgets, first_id + i) for i, name in enumerate(ordered)]
    for j, (service, series) in enumerate(sorted(s.server_connections.items())):
        charts.append(svg.line_chart(chart_id=first_id + len(ordered) + j, title=f"{service} server connections",
                                     unit="count", series=[list(p) for p in series]))
    return charts


def snapshot_columns_of(snaps: Iterable[Snapshot]) -> list[tuple[str, str, str]]:
    """The columns at least one snapshot has a value for (a local run has no cgroup, say)."""
    snaps = list(snaps)
    columns = [("requests", "count", "requests"), *signals_mod.snapshot_columns(), ("settle_s", "seconds", "settle")]
    return [c for c in columns if any(getattr(sd, c[0], None) is not None for sd in snaps)]


@dataclass(frozen=True)
class Link:
    name: str
    href: str | None  # None: the path could leave the report, so it is shown unlinked
    path: str


@dataclass(frozen=True)
class SnapshotRow:
    index: str
    t: str
    cells: tuple[str, ...]
    links: tuple[Link, ...]


def _snapshots(s: ScenarioResult, prefix: str) -> list[SnapshotRow]:
    columns = snapshot_columns_of(s.snapshots)
    rows = []
    for snap in s.snapshots:
        links = tuple(Link(k, safe_href(v, prefix), v)
                      for k, v in sorted(snap.profiles.items(), key=lambda kv: _PROFILE_ORDER.get(kv[0], 9)))
        rows.append(SnapshotRow(str(snap.index) + (" (ext)" if snap.phase == "extension" else ""), fmt_seconds(snap.t),
                                tuple(fmt_value(getattr(snap, col), unit) for col, unit, _ in columns), links))
    return rows


def _kv(data: Mapping[str, object], first: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Label/value rows for a flat mapping: known keys first, then whatever else is there."""
    keys = [k for k in first if k in data] + sorted(k for k in data if k not in first and k not in skip)
    rows = []
    for key in keys:
        value = data[key]
        if value is None or isinstance(value, dict):
            continue
        if key.endswith(("memory_limit", "_bytes")):
            text = fmt_bytes(value)
        elif key == "seconds":
            text = fmt_seconds(value)
        elif isinstance(value, list):
            text = ", ".join("" if v is None else str(v) for v in value)
        else:
            text = str(value)
        rows.append((str(key).replace("_", " "), text))
    return rows


def _container(s: ScenarioResult) -> Mapping[str, object]:
    """What the engine told of the container (its details are the runtime's own, untyped)."""
    c = s.container
    if c is None:
        return {}
    status = {} if c.status is None else {"exit_code": c.status.exit_code, "oom_killed": c.status.oom_killed}
    return {"runtime": c.runtime, **c.details, **status}


def _build(s: ScenarioResult) -> Mapping[str, object]:
    b = s.build
    if b is None:
        return {}
    return {**asdict(b), "binary": None if b.binary is None else str(b.binary)}


@dataclass(frozen=True)
class LoadRow:
    """One load phase (``label`` empty) or one request of the mix over all phases."""

    label: str
    requests: str
    ok: str
    errors: str
    aborted: str
    status: str
    bad: bool
    phase: str = ""
    rps: str = ""
    p50: str = ""
    p99: str = ""
    first_error: str = ""


def _load_phases(s: ScenarioResult) -> list[LoadRow]:
    rows = []
    for i, ph in enumerate(s.load.phases if s.load else ()):
        # results.json does not mark the warm-up phase, so phases are only numbered.
        rows.append(LoadRow("", fmt_count(ph.requests), fmt_count(ph.ok), fmt_count(ph.errors), fmt_count(ph.aborted),
                            _status_text(s, ph.status), ph.ok < ph.requests - ph.aborted, str(i + 1),
                            fmt_count(round(ph.rps)), f"{fmt_count(ph.p50_ms)} ms", f"{fmt_count(ph.p99_ms)} ms",
                            ph.first_error or ""))
    return rows


def _status_text(s: ScenarioResult, status: Mapping[str, int]) -> str:
    """``200×1,000, 404×3``; gRPC codes by name (``OK×1,000``)."""
    name = grpcload.code_name if s.load and s.load.protocol == "grpc" else str
    return ", ".join(f"{name(k)}\u00d7{fmt_count(v)}" for k, v in sorted(status.items()))


def _load_entries(s: ScenarioResult) -> list[LoadRow]:
    """Each request of the mix over all phases: how often it went, and what came back."""
    return [LoadRow(e.label, fmt_count(e.requests), fmt_count(e.ok), fmt_count(e.errors), fmt_count(e.aborted),
                    _status_text(s, e.status), e.ok < e.requests - e.aborted)
            for e in (s.load.entries if s.load else ())]


@dataclass(frozen=True)
class GrowthRow:
    function: str
    where: str
    where_full: str
    delta: str


def _growth_rows(entries: Sequence[GrowthSite], unit: str) -> list[GrowthRow]:
    return [GrowthRow(e.function, _where(e.file, e.line, short=True), e.file or "", fmt_value(e.delta, unit))
            for e in entries[:25]]


@dataclass(frozen=True)
class GroupRow:
    count: str
    state: str
    wait: str
    created_by: str
    top: str
    frames: tuple[str, ...]


def _groups(s: ScenarioResult) -> list[GroupRow]:
    rows = []
    for g in s.culprits.goroutine_groups[:30]:
        wait = g.wait_minutes
        wait_text = "" if not wait else (f"{wait[0]}\u2013{wait[-1]} min" if len(wait) > 1 and wait[0] != wait[-1]
                                         else f"{wait[0]} min")
        frames = tuple(f.function + "  " + _where(f.file, f.line, short=True) for f in g.stack)
        rows.append(GroupRow(fmt_count(g.count), g.state or "", wait_text, g.created_by or "",
                             frames[0] if frames else "", frames))
    return rows


@dataclass(frozen=True)
class IgnoredRow:
    rule: str
    count: str
    state: str
    function: str
    created_by: str


@dataclass(frozen=True)
class VetRow:
    analyzer: str
    position: str
    message: str


@dataclass(frozen=True)
class Summary:
    """The few figures a one-line listing needs: verdict, culprit and key growth, all as text."""

    verdict: str
    passed: bool
    expect: str
    culprit: str
    culprit_where: str
    growth: tuple[str, ...]
    exceeded: tuple[str, ...]


def scenario_summary(s: ScenarioResult) -> Summary:
    culprits = [_culprit(c) for c in s.culprits.culprits[:1]]
    growth = _key_growth(s, _budgets(s))
    return Summary(s.verdict or "unknown", s.passed, s.expect or "", culprits[0].function if culprits else "",
                   culprits[0].where_short if culprits else "", tuple(f"{g.title} {g.slope}" for g in growth),
                   tuple(g.title for g in growth if g.exceeded))


def _signal_rank(name: str) -> tuple[int, str]:
    order = list(signals_mod.titles())
    return (order.index(name), "") if name in order else (len(order), name)


def _order(s: ScenarioResult) -> int:
    if s.verdict == "error":
        return 1
    return 0 if s.passed is False else 2


@dataclass(frozen=True)
class TrendRow:
    title: str
    slope: str
    decision: str
    per_minute: str


@dataclass(frozen=True)
class StageRow:
    stage: str
    seconds: str
    share: str


@dataclass(frozen=True)
class ScenarioView:
    """Everything a scenario's page and its row of the index show."""

    name: str
    dir: str
    href: str
    file: str
    description: str
    expect: str
    verdict: str
    verdict_class: str
    passed: bool
    order: int
    message: str
    error: str
    duration: str
    requests: str
    budgets: tuple[BudgetRow, ...]
    stages: tuple[StageRow, ...]
    key_growth: tuple[KeyGrowth, ...]
    culprit: CulpritView | None
    other_culprits: tuple[CulpritView, ...]
    charts: tuple[Markup, ...]
    full: bool  # error and skipped pages hide empty sections instead of listing "nothing recorded"
    trends: tuple[TrendRow, ...]
    snapshot_columns: tuple[str, ...]
    snapshots: tuple[SnapshotRow, ...]
    growth_space: tuple[GrowthRow, ...]
    growth_objects: tuple[GrowthRow, ...]
    groups: tuple[GroupRow, ...]
    ignored: tuple[IgnoredRow, ...]
    flame: Markup
    flame_stats: FlameStats
    gctrace: tuple[str, ...]
    pprof_command: str
    pprof_diff_base_command: str
    artifacts: tuple[Link, ...]
    container: tuple[tuple[str, str], ...]
    build: tuple[tuple[str, str], ...]
    hardening: tuple[str, ...]
    load: tuple[LoadRow, ...]
    load_entries: tuple[LoadRow, ...]
    load_seed: str
    load_status: str
    warnings: tuple[str, ...]
    culprit_expected: str
    vet: tuple[VetRow, ...]


def scenario_view(s: ScenarioResult, dirname: str, chart_base: int = 0) -> ScenarioView:
    """Everything a template needs."""
    prefix = "../"
    budgets = _budgets(s)
    culprits = [_culprit(c) for c in s.culprits.culprits]
    found = s.culprits
    container = _container(s)
    verdict = s.verdict[:24] or "unknown"
    hardening = container.get("hardening")
    return ScenarioView(
        name=s.name or dirname, dir=dirname, href=quote(dirname) + "/index.html", file=s.file,
        description=s.description, expect=s.expect or "", verdict=verdict,
        verdict_class=verdict if verdict in ("leak", "clean", "error", "skipped") else "unknown",
        passed=s.passed, order=_order(s), message=s.message, error=s.error or "",
        duration=fmt_seconds(s.duration_s), requests=fmt_count(s.requests), budgets=tuple(budgets),
        stages=tuple(stage_rows(s.stages_s)), key_growth=tuple(_key_growth(s, budgets)),
        culprit=culprits[0] if culprits else None, other_culprits=tuple(culprits[1:]),
        charts=tuple(_charts(s, budgets, chart_base)), full=verdict not in ("error", "skipped"),
        trends=tuple(TrendRow(_title(k), fmt_slope(v.slope_per_1k, v.unit), v.decision,
                              _per_minute(v.trend.slope_per_minute, v.unit))
                     for k, v in sorted(s.signals.items(), key=lambda kv: _signal_rank(kv[0]))),
        snapshot_columns=tuple(h for _, _, h in snapshot_columns_of(s.snapshots)),
        snapshots=tuple(_snapshots(s, prefix)),
        growth_space=tuple(_growth_rows(found.growth.get("inuse_space", ()), "bytes")),
        growth_objects=tuple(_growth_rows(found.growth.get("inuse_objects", ()), "count")),
        groups=tuple(_groups(s)),
        ignored=tuple(IgnoredRow(g.rule, str(g.count), g.state or "", g.function or "", g.created_by or "")
                      for g in found.ignored),
        flame=flame.flame_svg(found.heap_diff_stacks), flame_stats=flame.build_tree(found.heap_diff_stacks)[1],
        gctrace=tuple(s.gctrace_excerpt)[:60], pprof_command=s.pprof_command or "",
        pprof_diff_base_command=s.pprof_diff_base_command or "",
        artifacts=tuple(Link(k, safe_href(v, prefix), v) for k, v in sorted(s.artifacts.items())),
        container=tuple(_kv(container, ("runtime", "image", "id", "name", "memory_limit"), ("hardening",))),
        build=tuple(_kv(_build(s), ("go_version", "source", "hash", "cached", "seconds"))),
        hardening=tuple(str(h) for h in hardening) if isinstance(hardening, (list, tuple)) else (),
        load=tuple(_load_phases(s)), load_entries=tuple(_load_entries(s)),
        load_seed="" if s.load is None or s.load.seed is None else str(s.load.seed),
        load_status="gRPC status" if s.load and s.load.protocol == "grpc" else "HTTP status",
        warnings=tuple(found.errors)[:20], culprit_expected=s.culprit_expected or "",
        vet=tuple(VetRow(v.analyzer, "", v.message) for v in s.vet or ()),
    )


def stage_rows(seconds: Mapping[str, float]) -> list[StageRow]:
    """Where the time went: one row per stage, in pipeline order, with its share of the total."""
    total = sum(seconds.values())
    return [StageRow(k, f"{v:.2f} s", percent(v, total)) for k, v in seconds.items()]


def run_stages(scenarios: Iterable[ScenarioResult]) -> dict[str, float]:
    """Each stage's seconds summed over the run's scenarios, in pipeline order."""
    total: dict[str, float] = {k: 0.0 for k in STAGES}
    for s in scenarios:
        for k, v in s.stages_s.items():
            total[k] = total.get(k, 0.0) + v
    return {k: v for k, v in total.items() if v > 0}


@dataclass(frozen=True)
class ValidationRow:
    signal: str
    tp: str
    fn: str
    fp: str
    tn: str
    accuracy: str
    perfect: bool


def validation_rows(validation: Validation) -> list[ValidationRow]:
    """The validation matrix, one row per signal, the verdicts' first."""
    items = sorted(validation.signals.items())
    if validation.overall is not None:
        items.insert(0, ("overall verdict", validation.overall))
    return [ValidationRow(_title(signal), fmt_count(m.tp), fmt_count(m.fn), fmt_count(m.fp), fmt_count(m.tn),
                          percent(m.correct, m.total), bool(m.total) and m.correct == m.total)
            for signal, m in items]


_COMPARISON_STATUS = {"regression": "over", "filled": "", "higher": "", "same": "", "lower": "within"}


@dataclass(frozen=True)
class ComparisonRow:
    scenario: str
    signal: str
    baseline: str
    current: str
    change: str
    rule: str
    status: str
    status_class: str


@dataclass(frozen=True)
class ComparisonView:
    passed: bool
    path: str
    commit: str
    created: str
    error: str
    rules: tuple[str, ...]
    failures: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]
    new: tuple[str, ...]
    missing: tuple[str, ...]


def _comparison_row(r: Row) -> ComparisonRow:
    unit = "bytes" if r.unit == "bytes" else "count"
    return ComparisonRow(r.scenario, _title(r.signal), trend_text(r.baseline, unit, fmt_value, DASH),
                         trend_text(r.current, unit, fmt_value, DASH), change_text(r, fmt_delta, DASH), r.rule or "",
                         r.status, _COMPARISON_STATUS.get(r.status, ""))


def comparison_view(c: Comparison | None) -> ComparisonView | None:
    """The baseline comparison as the report shows it."""
    if c is None:
        return None
    return ComparisonView(c.passed, c.path, (c.commit or "")[:12], (c.created or "")[:40], c.error or "",
                          tuple(r.expr for r in c.rules), c.failures, tuple(_comparison_row(r) for r in c.rows),
                          c.new_scenarios, c.missing_scenarios)
