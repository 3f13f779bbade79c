"""View models of the HTML report: a typed ScenarioResult -> the plain values the templates show.

The shapes are the program's own (the typed result); what came from a profile or a container
(function names, paths, logs, messages) is still untrusted text, which Jinja2 autoescapes and
``safe_href`` keeps inside the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import signals as signals_mod
from ..judge.culprit import Culprit, Frame, GrowthSite
from ..record import STAGES, ScenarioResult, SignalResult
from ..run import grpcload
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
    percent_change,
)
from . import flame, svg
from .comparison import Comparison, Figures, Row
from .confusion import Validation
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


def _budgets(s: ScenarioResult) -> list[dict[str, Any]]:
    rows = []
    for b in s.budgets:
        target = budget_signal(b.name)
        kind = target[1] if target else None
        # Slope budgets say "/1k req" in their title, so the figures go without it.
        fmt = fmt_delta if kind == "slope" else fmt_value
        rows.append({
            "key": b.name, "title": budget_title(b.name), "detail": b.detail, "unit": b.unit, "limit": b.limit,
            "measured": b.measured, "exceeded": b.exceeded, "signal": b.signal if target else None, "kind": kind,
            "limit_text": fmt(b.limit, b.unit), "measured_text": fmt(b.measured, b.unit),
        })
    return rows


def _frame(f: Frame) -> dict[str, str]:
    return {"function": f.function, "where": _where(f.file, f.line)}


def _culprit(c: Culprit) -> dict[str, Any]:
    context = [{"line": str(n), "text": text, "hit": n == c.line} for n, text in c.source_context]
    if not context and c.source:
        context.append({"line": "" if c.line is None else str(c.line), "text": c.source, "hit": True})
    return {
        "kind": c.kind, "function": c.function or "(unknown function)", "where": _where(c.file, c.line),
        "where_short": _where(c.file, c.line, short=True), "state": c.state or "", "context": context,
        "delta": c.delta, "delta_space": c.delta_space, "delta_objects": c.delta_objects,
        "stack": [_frame(f) for f in c.stack],
    }


def _key_growth(s: ScenarioResult, budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [b["signal"] for b in budgets if b["signal"]] or [n for n in DEFAULT_KEY_SIGNALS if n in s.signals]
    out, seen = [], set()
    for name in names:
        if name in seen or name not in s.signals:
            continue
        seen.add(name)
        sig = s.signals[name]
        out.append({
            "signal": name, "title": _title(name), "slope": fmt_slope(sig.slope_per_1k, sig.unit),
            "decision": sig.decision, "exceeded": any(b["exceeded"] for b in budgets if b["signal"] == name),
        })
    return out


def _per_minute(v: float | None, unit: str) -> str:
    """A slope per minute of wall time (time as the second axis)."""
    return "\u2014" if v is None else f"{fmt_value(v, unit)}/min"


def _chart(s: ScenarioResult, name: str, sig: SignalResult, budgets: list[dict[str, Any]], chart_id: int) -> Any:
    budget = None
    for b in budgets:
        if b["signal"] == name and num(b["limit"]) is not None:
            label = (f"budget {fmt_slope(b['limit'], sig.unit)}" if b["kind"] == "slope"
                     else f"cap {fmt_value(b['limit'], sig.unit)}")
            budget = svg.Budget(b["kind"], float(b["limit"]), label)
            break
    note = f"{sig.decision} (p={sig.trend.p_value:.2g})" if sig.decision else f"p={sig.trend.p_value:.2g}"
    if sig.extended is not None:
        note = f"{note}; whole series {sig.extended.decision}"
    return svg.line_chart(chart_id=chart_id, title=_title(name), unit=sig.unit or "count",
                          series=[list(p) for p in sig.series], slope_per_1k=num(sig.slope_per_1k), budget=budget,
                          note=note, extension_from=s.extension.requests_at_start if s.extension else None)


def _charts(s: ScenarioResult, budgets: list[dict[str, Any]], first_id: int) -> list[Any]:
    titles = signals_mod.titles()
    ordered = [k for k in titles if k in s.signals] + sorted(k for k in s.signals if k not in titles)
    charts = [_chart(s, name, s.signals[name], budgets, first_id + i) for i, name in enumerate(ordered)]
    for j, (service, series) in enumerate(sorted(s.server_connections.items())):
        charts.append(svg.line_chart(chart_id=first_id + len(ordered) + j, title=f"{service} server connections",
                                     unit="count", series=[list(p) for p in series]))
    return charts


def snapshot_columns_of(snaps: Iterable[Any]) -> list[tuple[str, str, str]]:
    """The columns at least one snapshot has a value for (a local run has no cgroup, say)."""
    snaps = list(snaps)
    columns = [("requests", "count", "requests"), *signals_mod.snapshot_columns(), ("settle_s", "seconds", "settle")]
    return [c for c in columns if any(getattr(sd, c[0], None) is not None for sd in snaps)]


def _snapshots(s: ScenarioResult, prefix: str) -> list[dict[str, Any]]:
    columns = snapshot_columns_of(s.snapshots)
    rows = []
    for snap in s.snapshots:
        links = [{"name": k, "href": safe_href(v, prefix), "path": v}
                 for k, v in sorted(snap.profiles.items(), key=lambda kv: _PROFILE_ORDER.get(kv[0], 9))]
        rows.append({
            "index": str(snap.index) + (" (ext)" if snap.phase == "extension" else ""), "t": fmt_seconds(snap.t),
            "cells": [fmt_value(getattr(snap, col), unit) for col, unit, _ in columns], "links": links,
        })
    return rows


def _kv(data: Mapping[str, Any], first: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
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


def _container(s: ScenarioResult) -> Mapping[str, Any]:
    c = s.container
    if c is None:
        return {}
    status = {} if c.status is None else {"exit_code": c.status.exit_code, "oom_killed": c.status.oom_killed}
    return {"runtime": c.runtime, **c.details, **status}


def _load_phases(s: ScenarioResult) -> list[dict[str, Any]]:
    rows = []
    for i, ph in enumerate(s.load.phases if s.load else ()):
        rows.append({
            # results.json does not mark the warm-up phase, so phases are only numbered.
            "phase": str(i + 1), "requests": fmt_count(ph.requests), "ok": fmt_count(ph.ok),
            "errors": fmt_count(ph.errors), "aborted": fmt_count(ph.aborted), "rps": fmt_count(round(ph.rps)),
            "p50": f"{fmt_count(ph.p50_ms)} ms", "p99": f"{fmt_count(ph.p99_ms)} ms",
            "status": _status_text(s, ph.status),
            "first_error": ph.first_error or "", "bad": ph.ok < ph.requests - ph.aborted,
        })
    return rows


def _status_text(s: ScenarioResult, status: Mapping[str, int]) -> str:
    """``200×1,000, 404×3``; gRPC codes by name (``OK×1,000``)."""
    name = grpcload.code_name if s.load and s.load.protocol == "grpc" else str
    return ", ".join(f"{name(k)}\u00d7{fmt_count(v)}" for k, v in sorted(status.items()))


def _load_entries(s: ScenarioResult) -> list[dict[str, Any]]:
    """Each request of the mix over all phases: how often it went, and what came back."""
    return [{"label": e.label, "requests": fmt_count(e.requests), "ok": fmt_count(e.ok), "errors": fmt_count(e.errors),
             "aborted": fmt_count(e.aborted), "bad": e.ok < e.requests - e.aborted,
             "status": _status_text(s, e.status)}
            for e in (s.load.entries if s.load else ())]


def _growth_rows(entries: Sequence[GrowthSite], unit: str) -> list[dict[str, Any]]:
    return [{"function": e.function, "where": _where(e.file, e.line, short=True), "where_full": e.file or "",
             "delta": fmt_value(e.delta, unit)} for e in entries[:25]]


def _groups(s: ScenarioResult) -> list[dict[str, Any]]:
    rows = []
    for g in s.culprits.goroutine_groups[:30]:
        wait = g.wait_minutes
        wait_text = "" if not wait else (f"{wait[0]}\u2013{wait[-1]} min" if len(wait) > 1 and wait[0] != wait[-1]
                                         else f"{wait[0]} min")
        frames = [f.function + "  " + _where(f.file, f.line, short=True) for f in g.stack]
        rows.append({"count": fmt_count(g.count), "state": g.state or "", "wait": wait_text,
                     "created_by": g.created_by or "", "top": frames[0] if frames else "", "frames": frames})
    return rows


def scenario_summary(s: ScenarioResult) -> dict[str, Any]:
    """The few figures a one-line listing needs: verdict, culprit and key growth, all as text."""
    culprits = [_culprit(c) for c in s.culprits.culprits]
    growth = _key_growth(s, _budgets(s))
    return {
        "verdict": s.verdict or "unknown", "passed": s.passed, "expect": s.expect or "",
        "culprit": culprits[0]["function"] if culprits else "",
        "culprit_where": culprits[0]["where_short"] if culprits else "",
        "growth": [f"{g['title']} {g['slope']}" for g in growth],
        "exceeded": [g["title"] for g in growth if g["exceeded"]],
    }


def _signal_rank(name: str) -> tuple[int, str]:
    order = list(signals_mod.titles())
    return (order.index(name), "") if name in order else (len(order), name)


def _order(s: ScenarioResult) -> int:
    if s.verdict == "error":
        return 1
    return 0 if s.passed is False else 2


def scenario_view(s: ScenarioResult, dirname: str, chart_base: int = 0) -> dict[str, Any]:
    """Everything a template needs."""
    prefix = "../"
    budgets = _budgets(s)
    culprits = [_culprit(c) for c in s.culprits.culprits]
    found = s.culprits
    container = _container(s)
    verdict = s.verdict[:24] or "unknown"
    return {
        "name": s.name or dirname, "dir": dirname, "href": quote(dirname) + "/index.html", "file": s.file,
        "description": s.description, "expect": s.expect or "", "verdict": verdict,
        "verdict_class": verdict if verdict in ("leak", "clean", "error", "skipped") else "unknown",
        "passed": s.passed, "order": _order(s), "message": s.message, "error": s.error or "",
        "duration": fmt_seconds(s.duration_s), "requests": fmt_count(s.requests), "budgets": budgets,
        "stages": stage_rows(s.stages_s),
        "key_growth": _key_growth(s, budgets), "culprit": culprits[0] if culprits else None,
        "other_culprits": culprits[1:], "charts": _charts(s, budgets, chart_base),
        # Error and skipped runs have little data: their pages hide empty sections instead of
        # listing "nothing recorded" a dozen times.
        "full": verdict not in ("error", "skipped"),
        "trends": [{"title": _title(k), "slope": fmt_slope(v.slope_per_1k, v.unit), "decision": v.decision,
                    "per_minute": _per_minute(v.trend.slope_per_minute, v.unit)}
                   for k, v in sorted(s.signals.items(), key=lambda kv: _signal_rank(kv[0]))],
        "snapshot_columns": [h for _, _, h in snapshot_columns_of(s.snapshots)],
        "snapshots": _snapshots(s, prefix),
        "growth_space": _growth_rows(found.growth.get("inuse_space", ()), "bytes"),
        "growth_objects": _growth_rows(found.growth.get("inuse_objects", ()), "count"),
        "groups": _groups(s),
        "ignored": [{"rule": g.rule, "count": str(g.count), "state": g.state or "", "function": g.function or "",
                     "created_by": g.created_by or ""} for g in found.ignored],
        "flame": flame.flame_svg(found.heap_diff_stacks), "flame_stats": flame.build_tree(found.heap_diff_stacks)[1],
        "gctrace": list(s.gctrace_excerpt)[:60], "pprof_command": s.pprof_command or "",
        "pprof_diff_base_command": s.pprof_diff_base_command or "",
        "artifacts": [{"name": k, "href": safe_href(v, prefix), "path": v} for k, v in sorted(s.artifacts.items())],
        "container": _kv(container, ("runtime", "image", "id", "name", "memory_limit"), ("hardening",)),
        "build": _kv(s.build.to_json() if s.build else {}, ("go_version", "source", "hash", "cached", "seconds")),
        "hardening": [str(h) for h in container.get("hardening") or ()],
        "load": _load_phases(s), "load_entries": _load_entries(s),
        "load_seed": "" if s.load is None or s.load.seed is None else str(s.load.seed),
        "load_status": "gRPC status" if s.load and s.load.protocol == "grpc" else "HTTP status",
        "warnings": list(found.errors)[:20], "culprit_expected": s.culprit_expected or "",
        "vet": [{"analyzer": v.analyzer, "position": "", "message": v.message} for v in s.vet or ()],
    }


def stage_rows(seconds: Mapping[str, float]) -> list[dict[str, str]]:
    """Where the time went: one row per stage, in pipeline order, with its share of the total."""
    total = sum(seconds.values())
    return [{"stage": k, "seconds": f"{v:.2f} s", "share": percent(v, total)}
            for k, v in seconds.items()]


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


_COMPARISON_STATUS = {"regression": "over", "higher": "", "same": "", "lower": "within"}


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


def _trend_text(fig: Figures | None, unit: str) -> str:
    if fig is None or num(fig.slope_per_1k) is None:
        return DASH
    lo, hi = fig.ci
    return f"{fmt_value(fig.slope_per_1k, unit)} [{fmt_value(lo, unit)}..{fmt_value(hi, unit)}]"


def _comparison_row(r: Row) -> ComparisonRow:
    unit = "bytes" if r.unit == "bytes" else "count"
    change = fmt_delta(r.delta_per_1k, unit) if r.change is None else percent_change(r.change)
    return ComparisonRow(r.scenario, _title(r.signal), _trend_text(r.baseline, unit), _trend_text(r.current, unit),
                         change, r.rule or "", r.status, _COMPARISON_STATUS.get(r.status, ""))


def comparison_view(c: Comparison | None) -> ComparisonView | None:
    """The baseline comparison as the report shows it."""
    if c is None:
        return None
    return ComparisonView(c.passed, c.path, (c.commit or "")[:12], (c.created or "")[:40], c.error or "",
                          tuple(r.expr for r in c.rules), c.failures, tuple(_comparison_row(r) for r in c.rows),
                          c.new_scenarios, c.missing_scenarios)
