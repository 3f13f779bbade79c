"""Self-contained HTML report: ``index.html`` plus one page per scenario.

Everything in results.json that came from a profile or a container (function names, paths, logs,
messages) is untrusted. Jinja2 autoescapes it, the SVG helpers escape it themselves, links are only
made from relative paths that stay inside the report directory, and each page carries a
Content-Security-Policy that forbids scripts and remote fetches outright: the pages need neither.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import jinja2

from .. import signals as signals_mod
from . import flame, svg

DEFAULT_KEY_SIGNALS = ("goroutines", "heap_inuse_bytes")
_PROFILE_ORDER = {"heap": 0, "goroutine": 1, "allocs": 2, "goroutine_text": 3}
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_TEMPLATES = Path(__file__).with_name("templates")


# ---------------------------------------------------------------- formatting (also Jinja filters)


def num(v: object) -> float | None:
    """A finite number, or None for anything else (bools, strings, NaN, missing)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def fmt_count(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    if f == int(f):
        return f"{int(f):,}"
    return f"{f:,.2f}" if abs(f) < 10 else f"{f:,.1f}"


def fmt_bytes(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    disp, div = svg.unit_scale("bytes", abs(f))
    return f"{f / div:,.1f} {disp}" if div > 1 else f"{f:,.0f} B"


def fmt_value(v: object, unit: object = "count") -> str:
    if unit == "seconds":
        return fmt_seconds(v)
    return fmt_bytes(v) if unit == "bytes" else fmt_count(v)


def fmt_slope(v: object, unit: object = "count") -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    return svg.slope_label(f, "bytes" if unit == "bytes" else "")


def fmt_delta(v: object, unit: object = "count") -> str:
    f = num(v)
    return "\u2014" if f is None else svg.delta_label(f, "bytes" if unit == "bytes" else "")


def fmt_seconds(v: object) -> str:
    f = num(v)
    if f is None:
        return "\u2014"
    return f"{f:.1f} s" if f < 120 else f"{f / 60:.1f} min"


def short_path(path: object, keep: int = 2) -> str:
    """The last ``keep`` components of a path: enough to recognise, short enough for a table."""
    text = str(path or "")
    parts = [p for p in re.split(r"[\\/]", text) if p]
    return "/".join(parts[-keep:]) if len(parts) > keep else text


def safe_href(path: object, prefix: str = "") -> str | None:
    """A link target for a report-relative path, or None when it could point outside the report.

    Rejects schemes (``javascript:``), absolute paths, backslashes and ``..`` segments, then
    percent-encodes what is left so it cannot break out of the attribute or the URL.
    """
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ":" in path.split("/", 1)[0] or any(p in ("..", "") for p in path.split("/")):
        return None
    return prefix + quote(str(pure), safe="/-_.~")


def scenario_dir_name(name: object, index: int, taken: set[str]) -> str:
    """Directory for a scenario page: its name when that is a plain file name, else a safe stand-in."""
    text = name if isinstance(name, str) else ""
    if not _SAFE_NAME.fullmatch(text) or text in (".", ".."):
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).lstrip("._-")[:80]
        text = cleaned or f"scenario-{index}"
    candidate, n = text, 2
    while candidate.lower() in taken:
        candidate, n = f"{text}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


# ---------------------------------------------------------------- view models


def _d(v: object) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _l(v: object) -> list[Any]:
    return v if isinstance(v, list) else []


def _s(v: object) -> str:
    return "" if v is None else str(v)


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


def _budgets(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key, raw in _d(scenario.get("budgets")).items():
        b = _d(raw)
        unit = b.get("unit") or "count"
        target = budget_signal(str(key))
        if target and isinstance(b.get("signal"), str):  # results.json names the signal; trust it
            target = (b["signal"], target[1])
        # Slope budgets say "/1k req" in their title, so the figures go without it.
        fmt = fmt_delta if target and target[1] == "slope" else fmt_value
        rows.append(
            {
                "key": str(key),
                "title": budget_title(str(key)),
                "detail": _s(b.get("detail")),
                "unit": unit,
                "limit": b.get("limit"),
                "measured": b.get("measured"),
                "exceeded": b.get("exceeded") is True,
                "signal": target[0] if target else None,
                "kind": target[1] if target else None,
                "limit_text": fmt(b.get("limit"), unit),
                "measured_text": fmt(b.get("measured"), unit),
            }
        )
    return rows


def _culprit(c: object) -> dict[str, Any] | None:
    cd = _d(c)
    if not cd:
        return None
    line = cd.get("line")
    context = []
    for item in _l(cd.get("source_context")):
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            context.append({"line": _s(item[0]), "text": _s(item[1]), "hit": item[0] == line})
    if not context and cd.get("source"):
        context.append({"line": _s(line), "text": _s(cd.get("source")), "hit": True})
    where = _s(cd.get("file")) + (f":{line}" if line is not None else "")
    return {
        "kind": _s(cd.get("kind")),
        "function": _s(cd.get("function")) or "(unknown function)",
        "where": where,
        "where_short": short_path(cd.get("file")) + (f":{line}" if line is not None else ""),
        "state": _s(cd.get("state")),
        "context": context,
        "delta": cd.get("delta"),
        "delta_space": cd.get("delta_space"),
        "delta_objects": cd.get("delta_objects"),
        "stack": [
            {
                "function": _s(_d(f).get("function")),
                "where": _s(_d(f).get("file"))
                + (f":{_d(f).get('line')}" if _d(f).get("line") is not None else ""),
            }
            for f in _l(cd.get("stack"))
        ],
    }


def _key_growth(scenario: Mapping[str, Any], budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    signals = _d(scenario.get("signals"))
    names = [b["signal"] for b in budgets if b["signal"]] or [s for s in DEFAULT_KEY_SIGNALS if s in signals]
    out, seen = [], set()
    for name in names:
        if name in seen or name not in signals:
            continue
        seen.add(name)
        sig = _d(signals[name])
        exceeded = any(b["exceeded"] for b in budgets if b["signal"] == name)
        out.append(
            {
                "signal": name,
                "title": signals_mod.titles().get(name, name),
                "slope": fmt_slope(sig.get("slope_per_1k"), sig.get("unit")),
                "decision": _s(sig.get("decision")),
                "exceeded": exceeded,
            }
        )
    return out


def _charts(scenario: Mapping[str, Any], budgets: list[dict[str, Any]], first_id: int) -> list[Any]:
    charts = []
    signals = _d(scenario.get("signals"))
    ext_from = num(_d(scenario.get("extension")).get("requests_at_start"))
    titles = signals_mod.titles()
    ordered = [k for k in titles if k in signals] + sorted(k for k in signals if k not in titles)
    for i, name in enumerate(ordered):
        sig = _d(signals[name])
        unit = _s(sig.get("unit")) or "count"
        budget = None
        for b in budgets:
            if b["signal"] == name and num(b["limit"]) is not None:
                label = (
                    f"budget {fmt_slope(b['limit'], unit)}"
                    if b["kind"] == "slope"
                    else f"cap {fmt_value(b['limit'], unit)}"
                )
                budget = svg.Budget(b["kind"], float(b["limit"]), label)
                break
        note = _s(sig.get("decision"))
        p = num(sig.get("p_value"))
        if p is not None:
            note = f"{note} (p={p:.2g})" if note else f"p={p:.2g}"
        extended = _d(sig.get("extended"))
        if extended:
            note = f"{note}; whole series {_s(extended.get('decision'))}"
        charts.append(
            svg.line_chart(
                chart_id=first_id + i,
                title=signals_mod.titles().get(name, name),
                unit=unit,
                series=sig.get("series"),
                slope_per_1k=num(sig.get("slope_per_1k")),
                budget=budget,
                note=note,
                extension_from=ext_from,
            )
        )
    for j, (service, series) in enumerate(sorted(_d(scenario.get("server_connections")).items())):
        charts.append(
            svg.line_chart(
                chart_id=first_id + len(ordered) + j,
                title=f"{service} server connections",
                unit="count",
                series=series,
            )
        )
    return charts


def _snapshot_columns(scenario: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    return snapshot_columns_of([_d(x) for x in _l(scenario.get("snapshots"))])


def snapshot_columns_of(snaps: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """The columns at least one snapshot has a value for (a local run has no cgroup, say)."""
    snaps = list(snaps)
    columns = [("requests", "count", "requests"), *signals_mod.snapshot_columns(), ("settle_s", "seconds", "settle")]
    return [c for c in columns if any(sd.get(c[0]) is not None for sd in snaps)]


def _snapshots(scenario: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    rows = []
    columns = _snapshot_columns(scenario)
    for snap in _l(scenario.get("snapshots")):
        sd = _d(snap)
        links = [
            {"name": _s(k), "href": safe_href(v, prefix), "path": _s(v)}
            for k, v in sorted(_d(sd.get("profiles")).items(), key=lambda kv: _PROFILE_ORDER.get(kv[0], 9))
        ]
        rows.append(
            {
                "index": _s(sd.get("index")) + (" (ext)" if sd.get("phase") == "extension" else ""),
                "t": fmt_seconds(sd.get("t")),
                "cells": [fmt_value(sd.get(col), unit) for col, unit, _ in columns],
                "links": links,
            }
        )
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
            text = ", ".join(_s(v) for v in value)
        else:
            text = _s(value)
        rows.append((str(key).replace("_", " "), text))
    return rows


def _load_phases(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for i, raw in enumerate(_l(_d(scenario.get("load")).get("phases"))):
        ph = _d(raw)
        status = ", ".join(f"{k}\u00d7{fmt_count(v)}" for k, v in sorted(_d(ph.get("status")).items()))
        ok, total = num(ph.get("ok")), num(ph.get("requests"))
        rows.append(
            {
                # results.json does not mark the warm-up phase, so phases are only numbered.
                "phase": _s(ph.get("name")) or str(i + 1),
                "requests": fmt_count(ph.get("requests")),
                "ok": fmt_count(ph.get("ok")),
                "errors": fmt_count(ph.get("errors")),
                "rps": fmt_count(round(ph["rps"]) if num(ph.get("rps")) is not None else None),
                "p50": f"{fmt_count(ph.get('p50_ms'))} ms",
                "p99": f"{fmt_count(ph.get('p99_ms'))} ms",
                "status": status,
                "first_error": _s(ph.get("first_error")),
                "bad": total is not None and ok is not None and ok < total,
            }
        )
    return rows


def _growth_rows(entries: object, unit: str) -> list[dict[str, Any]]:
    return [
        {
            "function": _s(_d(e).get("function")),
            "where": short_path(_d(e).get("file"))
            + (f":{_d(e).get('line')}" if _d(e).get("line") is not None else ""),
            "where_full": _s(_d(e).get("file")),
            "delta": fmt_value(_d(e).get("delta"), unit),
        }
        for e in _l(entries)[:25]
    ]


def _groups(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for g in _l(scenario.get("goroutine_groups"))[:30]:
        gd = _d(g)
        wait = _l(gd.get("wait_minutes"))
        wait_text = (
            ""
            if not wait
            else (
                f"{wait[0]}\u2013{wait[-1]} min"
                if len(wait) > 1 and wait[0] != wait[-1]
                else f"{wait[0]} min"
            )
        )
        frames = [
            _s(_d(f).get("function"))
            + "  "
            + short_path(_d(f).get("file"))
            + (f":{_d(f).get('line')}" if _d(f).get("line") is not None else "")
            for f in _l(gd.get("stack"))
        ]
        rows.append(
            {
                "count": fmt_count(gd.get("count")),
                "state": _s(gd.get("state")),
                "wait": wait_text,
                "created_by": _s(gd.get("created_by")),
                "top": frames[0] if frames else "",
                "frames": frames,
            }
        )
    return rows


def scenario_summary(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The few figures a one-line listing needs: verdict, culprit and key growth, all as text."""
    culprits = [c for c in (_culprit(c) for c in _l(scenario.get("culprits"))) if c]
    growth = _key_growth(scenario, _budgets(scenario))
    return {
        "verdict": _s(scenario.get("verdict")) or "unknown",
        "passed": scenario.get("passed") if isinstance(scenario.get("passed"), bool) else None,
        "expect": _s(scenario.get("expect")),
        "culprit": culprits[0]["function"] if culprits else "",
        "culprit_where": culprits[0]["where_short"] if culprits else "",
        "growth": [f"{g['title']} {g['slope']}" for g in growth],
        "exceeded": [g["title"] for g in growth if g["exceeded"]],
    }


def _signal_rank(name: str) -> tuple[int, str]:
    order = list(signals_mod.titles())
    return (order.index(name), "") if name in order else (len(order), name)


def _order(s: Mapping[str, Any]) -> int:
    if s.get("verdict") == "error":
        return 1
    return 0 if s.get("passed") is False else 2


def scenario_view(scenario: Mapping[str, Any], dirname: str, chart_base: int = 0) -> dict[str, Any]:
    """Everything a template needs, with every field made safe to read when missing."""
    prefix = "../"
    budgets = _budgets(scenario)
    culprits = [c for c in (_culprit(c) for c in _l(scenario.get("culprits"))) if c]
    growth = _d(scenario.get("growth"))
    container, build = _d(scenario.get("container")), _d(scenario.get("build"))
    verdict = _s(scenario.get("verdict"))[:24] or "unknown"
    passed = scenario.get("passed")
    signals = _d(scenario.get("signals"))
    return {
        "name": _s(scenario.get("name")) or dirname,
        "dir": dirname,
        "href": quote(dirname) + "/index.html",
        "file": _s(scenario.get("file")),
        "description": _s(scenario.get("description")),
        "expect": _s(scenario.get("expect")),
        "verdict": verdict,
        "verdict_class": verdict if verdict in ("leak", "clean", "error", "skipped") else "unknown",
        "passed": passed if isinstance(passed, bool) else None,
        "order": _order(scenario),
        "message": _s(scenario.get("message")),
        "error": _s(scenario.get("error")),
        "duration": fmt_seconds(scenario.get("duration_s")),
        "requests": fmt_count(scenario.get("requests")),
        "budgets": budgets,
        "key_growth": _key_growth(scenario, budgets),
        "culprit": culprits[0] if culprits else None,
        "other_culprits": culprits[1:],
        "charts": _charts(scenario, budgets, chart_base),
        # Error and skipped runs have little data: their pages hide empty sections instead of
        # listing "nothing recorded" a dozen times.
        "full": verdict not in ("error", "skipped"),
        "trends": [
            {
                "title": signals_mod.titles().get(k, k),
                "slope": fmt_slope(_d(v).get("slope_per_1k"), _d(v).get("unit")),
                "decision": _s(_d(v).get("decision")),
            }
            for k, v in sorted(signals.items(), key=lambda kv: _signal_rank(kv[0]))
        ],
        "snapshot_columns": [h for _, _, h in _snapshot_columns(scenario)],
        "snapshots": _snapshots(scenario, prefix),
        "growth_space": _growth_rows(growth.get("inuse_space"), "bytes"),
        "growth_objects": _growth_rows(growth.get("inuse_objects"), "count"),
        "groups": _groups(scenario),
        "ignored": [
            {k: _s(_d(g).get(k)) for k in ("rule", "count", "state", "function", "created_by")}
            for g in _l(scenario.get("ignored_goroutines"))
        ],
        "flame": flame.flame_svg(scenario.get("heap_diff_stacks")),
        "flame_stats": flame.build_tree(scenario.get("heap_diff_stacks"))[1],
        "gctrace": [_s(x) for x in _l(scenario.get("gctrace_excerpt"))][:60],
        "pprof_command": _s(scenario.get("pprof_command")),
        "pprof_diff_base_command": _s(scenario.get("pprof_diff_base_command")),
        "artifacts": [
            {"name": _s(k), "href": safe_href(v, prefix), "path": _s(v)}
            for k, v in sorted(_d(scenario.get("artifacts")).items())
        ],
        "container": _kv(container, ("runtime", "image", "id", "name", "memory_limit"), ("hardening",)),
        "build": _kv(build, ("go_version", "source", "hash", "cached", "seconds")),
        "hardening": [_s(h) for h in _l(container.get("hardening"))],
        "load": _load_phases(scenario),
        "warnings": [_s(w) for w in _l(scenario.get("analysis_errors"))][:20],
        "culprit_expected": _s(scenario.get("culprit_expected")),
        "vet": [
            {
                "analyzer": _s(_d(v).get("analyzer")),
                "position": _s(_d(v).get("position")),
                "message": _s(_d(v).get("message")),
            }
            for v in _l(scenario.get("vet"))
        ],
    }


def _validation(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    validation = _d(results.get("validation"))
    items = sorted(_d(validation.get("signals")).items())
    if validation.get("overall"):
        items.insert(0, ("overall verdict", validation["overall"]))
    rows = []
    for signal, raw in items:
        m = {k: num(_d(raw).get(k)) for k in ("tp", "fn", "fp", "tn")}
        total = sum(v for v in m.values() if v is not None)
        correct = (m["tp"] or 0) + (m["tn"] or 0)
        rows.append(
            {
                "signal": signals_mod.titles().get(str(signal), str(signal)),
                **{k: fmt_count(v) for k, v in m.items()},
                "accuracy": f"{100 * correct / total:.0f}%" if total else "\u2014",
                "perfect": bool(total) and correct == total,
            }
        )
    return rows


_COMPARISON_STATUS = {"regression": "over", "higher": "", "same": "", "lower": "within"}


def _trend_text(fig: object, unit: str) -> str:
    fig = _d(fig)
    ci = _l(fig.get("ci"))
    if num(fig.get("slope_per_1k")) is None:
        return "\u2014"
    bounds = f" [{fmt_value(ci[0], unit)}..{fmt_value(ci[1], unit)}]" if len(ci) == 2 else ""
    return fmt_value(fig.get("slope_per_1k"), unit) + bounds


def _comparison(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """The baseline comparison (``results["comparison"]``), every field made safe to read."""
    raw = results.get("comparison")
    if not isinstance(raw, Mapping):
        return None
    base = _d(raw.get("baseline"))
    rows = []
    for r in (_d(x) for x in _l(raw.get("rows"))):
        unit = "bytes" if r.get("unit") == "bytes" else "count"
        change = num(r.get("change"))
        signal = _s(r.get("signal"))
        rows.append({
            "scenario": _s(r.get("scenario")), "signal": signals_mod.titles().get(signal, signal),
            "baseline": _trend_text(r.get("baseline"), unit), "current": _trend_text(r.get("current"), unit),
            "change": fmt_delta(r.get("delta_per_1k"), unit) if change is None else f"{100 * change:+.0f}%",
            "rule": _s(r.get("rule")), "status": _s(r.get("status")),
            "status_class": _COMPARISON_STATUS.get(_s(r.get("status")), ""),
        })
    return {
        "passed": raw.get("passed") is True, "path": _s(base.get("path")),
        "commit": _s(base.get("commit"))[:12], "created": _s(base.get("created"))[:40],
        "error": _s(raw.get("error")),
        "rules": [_s(_d(x).get("expr")) for x in _l(raw.get("rules"))],
        "failures": [_s(f) for f in _l(raw.get("failures"))], "rows": rows,
        "new": [_s(n) for n in _l(raw.get("new_scenarios"))],
        "missing": [_s(n) for n in _l(raw.get("missing_scenarios"))],
    }


# ---------------------------------------------------------------- writing


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        count=fmt_count,
        bytes=fmt_bytes,
        value=fmt_value,
        slope=fmt_slope,
        delta=fmt_delta,
        short_path=short_path,
    )
    return env


def _inside(base: Path, target: Path) -> bool:
    return target.resolve().is_relative_to(base.resolve())


def _write(path: Path, text: str, base: Path, written: list[Path]) -> None:
    if not _inside(base, path):
        raise ValueError(f"refusing to write outside the report directory: {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def write_html(report_dir: Path, results: dict[str, Any]) -> list[Path]:
    """Write ``index.html`` and ``<scenario>/index.html`` for each scenario; return the paths written."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    taken: set[str] = {"index.html", "results.json"}  # names a scenario dir must not take
    views = []
    for i, raw in enumerate(_l(results.get("scenarios"))):
        scenario = _d(raw)
        views.append(scenario_view(scenario, scenario_dir_name(scenario.get("name"), i, taken)))
    views.sort(key=lambda v: v["order"])
    tool = _d(results.get("tool"))
    common = {
        "tool": f"{_s(tool.get('name')) or 'pytest-goleak'} {_s(tool.get('version'))}".strip()[:60],
        "created": _s(results.get("created"))[:40],
        "run_error": _s(results.get("error")),
    }
    written: list[Path] = []
    for view in views:
        page = env.get_template("scenario.html").render(s=view, **common)
        _write(report_dir / view["dir"] / "index.html", page, report_dir, written)
    index = env.get_template("index.html").render(
        scenarios=views, counts=_counts(views), validation=_validation(results),
        comparison=_comparison(results), **common
    )
    _write(report_dir / "index.html", index, report_dir, written)
    return written


def _counts(views: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = {"failed": 0, "error": 0, "passed": 0, "skipped": 0}
    for v in views:
        if v["verdict"] == "error":
            counts["error"] += 1
        elif v["verdict"] == "skipped":
            counts["skipped"] += 1
        elif v["passed"] is False:
            counts["failed"] += 1
        else:
            counts["passed"] += 1
    return counts
