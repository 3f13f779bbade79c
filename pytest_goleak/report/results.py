"""``results.json``: the versioned, machine-readable outcome of a run, and the validation matrix.

The one place where a :class:`~pytest_goleak.record.ScenarioResult` becomes JSON
(:func:`to_json`) and where JSON becomes one again (:func:`from_json`, for baselines made from a
results.json, ``goleak run --compare`` and xdist workers handing results to the controller).
What is read back is checked against the published schema first (with jsonschema, when it is
installed), so the readers below may trust its shapes.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from .. import __version__, signals
from ..detectors.base import DetectorResult, Finding
from ..detectors.matrix import BUCKETS, Cell
from ..detectors.vet import VetFinding
from ..judge.analysis import Trend, TrendDecision
from ..judge.culprit import Culprit, CulpritReport, Frame, GoroutineGroup, GrowthSite, HeapDiffStack, IgnoredGroup
from ..judge.extension import ExtensionInfo, Stop
from ..judge.verdict import BudgetCheck, VerdictName
from ..options import Settings
from ..record import ContainerInfo, Extended, MemProfileRate, ScenarioResult, SignalResult
from ..run.build import Artifact
from ..run.capture import Snapshot
from ..run.load import EntryResult, LoadSummary, PhaseResult
from ..run.runtime.base import Status
from .comparison import Baseline, Comparison, Figures, Row, Rule, SavedScenario
from .confusion import Confusion, Validation, validation
from .html import RunReport

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).parents[1] / "schema" / "results.schema.json"
VERDICT_ORDER = {"error": 0, "leak": 1, "clean": 2, "skipped": 3}
BASELINE_KIND = "pytest-goleak-baseline"
BASELINE_VERSION = 1
#: A JSON object as json.loads gives it and json.dumps takes it: only this module handles one.
JSONObject = dict[str, Any]


class ResultsError(ValueError):
    """A results document that does not follow the schema."""


# ---------------------------------------------------------------- typed -> JSON


def _frame(f: Frame) -> JSONObject:
    return {"function": f.function, "file": f.file, "line": f.line}


def culprit_json(c: Culprit) -> JSONObject:
    return _culprit(c)


def _culprit(c: Culprit) -> JSONObject:
    return {"kind": c.kind, "function": c.function, "file": c.file, "line": c.line, "delta": c.delta,
            "delta_space": c.delta_space, "delta_objects": c.delta_objects, "state": c.state,
            "stack": [_frame(f) for f in c.stack], "source_context": [list(x) for x in c.source_context],
            "source": c.source}


def _trend(t: Trend) -> JSONObject:
    d: JSONObject = {"unit": t.unit, "slope_per_1k": t.slope_per_1k, "ci": list(t.ci), "p_value": t.p_value,
                     "decision": t.decision, "late_slope_per_1k": t.late_slope_per_1k,
                     "series": [list(p) for p in t.series]}
    if t.slope_per_minute is not None:
        d["slope_per_minute"] = t.slope_per_minute
    return d


def _artifact(a: Artifact) -> JSONObject:
    return {**asdict(a), "binary": str(a.binary) if a.binary else None}


def load_json(s: LoadSummary) -> JSONObject:
    return {"phases": [asdict(p) for p in s.phases], "driver_requests": s.driver_requests, "rps": s.rps,
            "errors": s.errors, "status": dict(s.status), "aborted": s.aborted,
            "entries": [asdict(e) for e in s.entries], "seed": s.seed, "protocol": s.protocol}


def _extension(e: ExtensionInfo) -> JSONObject:
    d: JSONObject = {"reason": e.reason, "budgets": list(e.budgets), "from_snapshot": e.from_snapshot,
                     "requests_at_start": e.requests_at_start, "requests_at_end": e.requests_at_end,
                     "bound_requests": e.bound_requests, "stopped": e.stopped, "snapshots": e.snapshots,
                     "seconds": e.seconds, "undecided_at": e.undecided_at}
    if e.outcome is not None:
        d.update(outcome=e.outcome, plateaus=list(e.plateaus), notes=list(e.notes))
    return d


def _signal(s: SignalResult) -> JSONObject:
    d: JSONObject = {**_trend(s.trend), "series": [list(p) for p in s.series]}
    if s.extended is not None:
        d["extended"] = asdict(s.extended)
    return d


def _container(c: ContainerInfo) -> JSONObject:
    d = {"runtime": c.runtime, **c.details}
    if c.status is not None:
        d.update(exit_code=c.status.exit_code, oom_killed=c.status.oom_killed)
    return d


def _vet(f: VetFinding) -> JSONObject:
    d: JSONObject = {"analyzer": f.analyzer, "file": f.file, "line": f.line, "message": f.message}
    if f.error:
        d["error"] = True
    d["points_at_leak"] = f.points_at_leak
    return d


def to_json(r: ScenarioResult) -> JSONObject:
    """One entry of results.json (schema v1)."""
    found = r.culprits
    d: JSONObject = {
        "name": r.name, "file": r.file, "description": r.description, "expect": r.expect,
        "culprit_expected": r.culprit_expected, "verdict": r.verdict, "passed": r.passed, "message": r.message,
        "error": r.error, "duration_s": r.duration_s, "requests": r.requests,
        "budgets": {c.name: asdict(c) for c in r.budgets},
        "signals": {name: _signal(s) for name, s in r.signals.items()},
        "culprits": [_culprit(c) for c in found.culprits],
        "growth": {k: [asdict(g) for g in v] for k, v in found.growth.items()},
        "heap_diff_stacks": [{"stack": list(h.stack), "delta_space": h.delta_space} for h in found.heap_diff_stacks],
        "goroutine_groups": [{"count": g.count, "state": g.state, "wait_minutes": list(g.wait_minutes),
                              "created_by": g.created_by, "stack": [_frame(f) for f in g.stack]}
                             for g in found.goroutine_groups],
        "snapshots": [asdict(s) for s in r.snapshots],
        "artifacts": dict(r.artifacts), "gctrace_excerpt": list(r.gctrace_excerpt),
        "pprof_command": r.pprof_command,
        "container": _container(r.container) if r.container else None,
        "build": _artifact(r.build) if r.build else None,
        "pprof_diff_base_command": r.pprof_diff_base_command,
        "server_connections": {k: [list(p) for p in v] for k, v in r.server_connections.items()},
        "vet": [_vet(f) for f in r.vet] if r.vet is not None else None,
        "load": load_json(r.load) if r.load else None,
        "extension": _extension(r.extension) if r.extension else None,
        "memprofilerate": asdict(r.memprofilerate) if r.memprofilerate else None,
        "health_path": r.health_path,
        "detectors": [detector_json(a) for a in r.detectors],
        "stages_s": dict(r.stages_s),
    }
    if r.oom is not None:
        d["oom"] = r.oom
    if r.cut_short is not None:
        d["cut_short"] = r.cut_short
    if found.errors:
        d["analysis_errors"] = list(found.errors)
    if r.ignore_listed:
        d["ignored_goroutines"] = [asdict(g) for g in found.ignored]
    return d


# ---------------------------------------------------------------- JSON -> typed (read back once)


def _num(v: Any) -> float:
    """A JSON number as it was written: an int stays an int (results.json keeps 12000, not 12000.0)."""
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else float(v)


def _opt_float(v: Any) -> float | None:
    return None if v is None else _num(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _frame_of(d: Mapping[str, Any]) -> Frame:
    return Frame(str(d["function"]), d.get("file"), _opt_int(d.get("line")))


def _trend_of(d: Mapping[str, Any]) -> Trend:
    ci = d.get("ci") or [d.get("slope_per_1k", 0.0)] * 2
    series = tuple((float(a), float(b)) for a, b in d.get("series") or [])
    return Trend(str(d.get("unit") or "count"), float(d.get("slope_per_1k", 0.0)), (float(ci[0]), float(ci[1])),
                 float(d.get("p_value", 1.0)), cast(TrendDecision, str(d.get("decision") or "flat")),
                 float(d.get("late_slope_per_1k", d.get("slope_per_1k", 0.0))), series,
                 _opt_float(d.get("slope_per_minute")))


def _signal_of(d: Mapping[str, Any]) -> SignalResult:
    trend = _trend_of(d)
    ext = d.get("extended")
    extended = None if not ext else Extended(int(ext["from_requests"]), float(ext["slope_per_1k"]),
                                             cast(TrendDecision, str(ext["decision"])),
                                             float(ext["late_slope_per_1k"]))
    return SignalResult(trend, trend.series, extended)


def _budget_of(name: str, d: Mapping[str, Any]) -> BudgetCheck:
    known = signals.budgets().get(name)
    signal = d.get("signal") or (known.signal if known else "")
    return BudgetCheck(str(d.get("name") or name), str(signal), _num(d["limit"]), _opt_float(d.get("measured")),
                       d.get("exceeded") is True, str(d.get("unit") or "count"), str(d.get("detail") or ""),
                       _opt_float(d.get("late_slope_per_1k")), _opt_float(d.get("plateau_at_requests")),
                       d.get("over_in_plateau") is True,
                       str(d["proven_by"]) if isinstance(d.get("proven_by"), str) else None)


def _culprit_of(d: Mapping[str, Any]) -> Culprit:
    return Culprit(str(d["kind"]), str(d["function"]), d.get("file"), _opt_int(d.get("line")),
                   _opt_float(d.get("delta")), _opt_float(d.get("delta_space")), _opt_float(d.get("delta_objects")),
                   d.get("state"), tuple(_frame_of(f) for f in d.get("stack") or []),
                   tuple((int(n), str(text)) for n, text in d.get("source_context") or []), d.get("source"))


def _snapshot_of(d: Mapping[str, Any]) -> Snapshot:
    fields = set(Snapshot.__dataclass_fields__)
    known = {k: v for k, v in d.items() if k in fields}
    known["profiles"] = dict(d.get("profiles") or {})
    known["memstats"] = {k: float(v) for k, v in (d.get("memstats") or {}).items()}
    return Snapshot(**known)


def _container_of(d: Mapping[str, Any]) -> ContainerInfo:
    details = {k: v for k, v in d.items() if k not in ("runtime", "exit_code", "oom_killed")}
    status = Status(False, d.get("exit_code"), bool(d.get("oom_killed"))) if "oom_killed" in d else None
    return ContainerInfo(str(d.get("runtime") or "?"), details, status)


def _artifact_of(d: Mapping[str, Any]) -> Artifact:
    return Artifact(source=str(d.get("source") or ""), binary=Path(d["binary"]) if d.get("binary") else None,
                    image=d.get("image"), hash=str(d.get("hash") or ""), go_version=d.get("go_version"),
                    cached=bool(d.get("cached")), seconds=float(d.get("seconds") or 0.0),
                    goexperiment=d.get("goexperiment"))


def _load_of(d: Mapping[str, Any]) -> LoadSummary:
    return LoadSummary(tuple(PhaseResult.from_json(p) for p in d.get("phases") or []),
                       int(d.get("driver_requests") or 0), float(d.get("rps") or 0.0), int(d.get("errors") or 0),
                       {str(k): int(v) for k, v in (d.get("status") or {}).items()}, int(d.get("aborted") or 0),
                       tuple(EntryResult.from_json(e) for e in d.get("entries") or ()),
                       None if d.get("seed") is None else int(d["seed"]), str(d.get("protocol") or "http"))


def _extension_of(d: Mapping[str, Any]) -> ExtensionInfo:
    return ExtensionInfo(str(d.get("reason") or ""), tuple(d.get("budgets") or ()), int(d.get("from_snapshot") or 0),
                         int(d.get("requests_at_start") or 0), int(d.get("requests_at_end") or 0),
                         int(d.get("bound_requests") or 0), cast(Stop, str(d.get("stopped") or "")),
                         int(d.get("snapshots") or 0), float(d.get("seconds") or 0.0),
                         None if d.get("undecided_at") is None else int(d["undecided_at"]), d.get("outcome"),
                         tuple(d.get("plateaus") or ()), tuple(d.get("notes") or ()))


def _vet_of(d: Mapping[str, Any]) -> VetFinding:
    return VetFinding(str(d["analyzer"]), str(d.get("file") or ""), int(d.get("line") or 0), str(d["message"]),
                      bool(d.get("points_at_leak")), bool(d.get("error")))


def from_json(d: Mapping[str, Any]) -> ScenarioResult:
    """A results.json scenario entry as a ScenarioResult. Check it against the schema first
    (:func:`read_scenario`, :func:`read_document`); what the schema leaves optional gets a default."""
    growth = {str(k): tuple(GrowthSite(str(g["function"]), g.get("file"), _opt_int(g.get("line")),
                                       _num(g.get("delta") or 0)) for g in v)
              for k, v in (d.get("growth") or {}).items()}
    found = CulpritReport(
        culprits=tuple(_culprit_of(c) for c in d.get("culprits") or []), growth=growth,
        heap_diff_stacks=tuple(HeapDiffStack(tuple(h["stack"]), _num(h.get("delta_space") or 0))
                               for h in d.get("heap_diff_stacks") or []),
        goroutine_groups=tuple(GoroutineGroup(int(g["count"]), g.get("state"), tuple(g.get("wait_minutes") or ()),
                                              g.get("created_by"), tuple(_frame_of(f) for f in g.get("stack") or []))
                               for g in d.get("goroutine_groups") or []),
        ignored=tuple(IgnoredGroup(str(g.get("rule")), int(g.get("count") or 0), g.get("state"), g.get("function"),
                                   g.get("created_by")) for g in d.get("ignored_goroutines") or []),
        errors=tuple(str(e) for e in d.get("analysis_errors") or []))
    rate = d.get("memprofilerate")
    return ScenarioResult(
        name=str(d["name"]), file=str(d.get("file") or ""), description=str(d.get("description") or ""),
        expect=d.get("expect"), culprit_expected=d.get("culprit_expected"),
        verdict=cast(VerdictName, str(d.get("verdict") or "")),
        passed=d.get("passed") is True, message=str(d.get("message") or ""), error=d.get("error"), oom=d.get("oom"),
        duration_s=float(d.get("duration_s") or 0.0), requests=int(d.get("requests") or 0),
        budgets=tuple(_budget_of(k, v) for k, v in (d.get("budgets") or {}).items()),
        signals={k: _signal_of(v) for k, v in (d.get("signals") or {}).items()}, culprits=found,
        snapshots=tuple(_snapshot_of(s) for s in d.get("snapshots") or []),
        artifacts={str(k): str(v) for k, v in (d.get("artifacts") or {}).items()},
        gctrace_excerpt=tuple(d.get("gctrace_excerpt") or ()), pprof_command=d.get("pprof_command"),
        pprof_diff_base_command=d.get("pprof_diff_base_command"),
        container=_container_of(d["container"]) if d.get("container") else None,
        build=_artifact_of(d["build"]) if d.get("build") else None,
        server_connections={str(k): tuple((int(p[0]), _opt_int(p[1])) for p in v)
                            for k, v in (d.get("server_connections") or {}).items()},
        vet=tuple(_vet_of(f) for f in d["vet"]) if d.get("vet") is not None else None,
        load=_load_of(d["load"]) if d.get("load") else None,
        extension=_extension_of(d["extension"]) if d.get("extension") else None,
        memprofilerate=MemProfileRate(rate.get("requested"), rate.get("in_force")) if rate else None,
        health_path=d.get("health_path"), ignore_listed="ignored_goroutines" in d,
        detectors=tuple(detector_of(a) for a in d.get("detectors") or ()),
        stages_s={str(k): float(v) for k, v in (d.get("stages_s") or {}).items()}, cut_short=d.get("cut_short"))


def schema_errors(doc: Mapping[str, Any], part: str | None = None) -> list[str]:
    """Where a results document (or, with ``part``, one of its ``$defs``) breaks the schema;
    [] when it follows it, or when jsonschema is not installed."""
    try:
        import jsonschema  # type: ignore[import-untyped]  # optional: the schema extra
    except ImportError:
        return []
    schema = json.loads(SCHEMA_PATH.read_text())
    if part is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{part}"}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def scenario_errors(entry: Mapping[str, Any]) -> list[str]:
    """Schema errors of one scenario entry (as an xdist worker hands it over)."""
    return schema_errors(entry, "scenario")


def read_scenario(entry: Mapping[str, Any]) -> ScenarioResult:
    errors = scenario_errors(entry)
    if errors:
        raise ResultsError(f"a scenario result that does not follow results schema v{SCHEMA_VERSION}: "
                           + "; ".join(errors[:5]))
    return from_json(entry)


def report_of(doc: Mapping[str, Any]) -> RunReport:
    """What the HTML report shows of a results document (regenerating a report from a file)."""
    tool = doc.get("tool") or {}
    given = doc.get("comparison")
    return RunReport([from_json(s) for s in doc.get("scenarios") or []], validation_of(doc.get("validation") or {}),
                     comparison_of(given) if isinstance(given, Mapping) else None,
                     f"{tool.get('name') or 'pytest-goleak'} {tool.get('version') or ''}",
                     str(doc.get("created") or ""), doc.get("error"), cells_of(doc.get("detectors") or {}))


def read_document(doc: Mapping[str, Any], where: str = "results.json") -> list[ScenarioResult]:
    """The scenarios of a results document, checked against the schema."""
    errors = schema_errors(doc)
    if errors:
        raise ResultsError(f"{where}: does not follow results schema v{SCHEMA_VERSION}: " + "; ".join(errors[:5]))
    return [from_json(s) for s in doc["scenarios"]]


@dataclass(frozen=True)
class Document:
    """A results.json file read back: its scenarios, its settings and the run's own error."""

    scenarios: tuple[ScenarioResult, ...]
    settings: Mapping[str, object]
    error: str | None


def read_file(path: Path) -> Document:
    """A results.json file, checked against the schema. Raises ResultsError saying why not."""
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise ResultsError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ResultsError(f"{path}: not a results document")
    try:
        scenarios = read_document(doc, str(path))
    except (KeyError, TypeError) as exc:
        raise ResultsError(f"{path}: {exc!r}") from exc
    settings = doc.get("settings")
    error = doc.get("error")
    return Document(tuple(scenarios), dict(settings) if isinstance(settings, dict) else {},
                    str(error) if error else None)


# ---------------------------------------------------------------- the document


def ordered(scenarios: Iterable[ScenarioResult]) -> list[ScenarioResult]:
    """Failures first, then by verdict (error, leak, clean, skipped), then by name."""
    return sorted(scenarios, key=lambda s: (s.passed, VERDICT_ORDER.get(s.verdict, 9), s.name))


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(scenarios: Sequence[ScenarioResult], settings: Mapping[str, Any], *, created: str | None = None,
          comparison: Comparison | None = None, error: str | None = None,
          cells: Sequence[Cell] | None = None, report_s: float | None = None) -> JSONObject:
    """The results.json document; ``cells``: the detector matrix, when the session made one;
    ``report_s``: the seconds the session took to write its reports."""
    runs = ordered(scenarios)
    doc: JSONObject = {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "created": created or now(),
        "settings": dict(settings),
        "scenarios": [to_json(s) for s in runs],
        "validation": validation_json(validation(runs)),
        "comparison": comparison_json(comparison) if comparison is not None else None,
    }
    if error:
        doc["error"] = error
    if cells is not None:
        doc["detectors"] = cells_json(cells)
    if report_s is not None:
        doc["timing"] = {"report_s": report_s}
    return doc


def settings_json(s: Settings) -> JSONObject:
    """results.json's ``settings``: what a run was asked to do."""
    return {"runtime": s.runtime, "budgets": s.budgets, "memprofilerate": s.memprofilerate,
            "snapshots": s.snapshots, "requests": s.requests, "report_dir": str(s.report_dir)}


def _tool() -> JSONObject:
    return {"name": "pytest-goleak", "version": __version__}


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, however deep, made None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def write(report_dir: Path, results: Mapping[str, Any]) -> Path:
    """Write results.json atomically (a reader never sees half a file)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "results.json"
    tmp = path.with_suffix(f".json.tmp{os.getpid()}")
    # allow_nan=False: bare NaN / Infinity are not JSON; finite() has made them null already.
    tmp.write_text(json.dumps(finite(results), indent=2, sort_keys=False, default=str, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------- the run-wide sections


def _confusion_json(c: Confusion, names: bool) -> JSONObject:
    d: JSONObject = {"tp": c.tp, "fn": c.fn, "fp": c.fp, "tn": c.tn}
    if names:
        d.update(caught=list(c.caught), false_alarms=list(c.false_alarms))
    return d


def validation_json(v: Validation) -> JSONObject:
    return {"overall": _confusion_json(v.overall or Confusion(), False),
            "signals": {k: _confusion_json(c, True) for k, c in v.signals.items()}}


def _confusion_of(d: Mapping[str, Any]) -> Confusion:
    tp, fn, fp, tn = (int(d.get(k) or 0) for k in ("tp", "fn", "fp", "tn"))
    return Confusion(tp, fn, fp, tn, tuple(str(n) for n in d.get("caught") or ()),
                     tuple(str(n) for n in d.get("false_alarms") or ()))


def validation_of(d: Mapping[str, Any]) -> Validation:
    given = d.get("signals")
    signals_ = given if isinstance(given, Mapping) else {}
    overall = d.get("overall")
    return Validation(_confusion_of(overall) if isinstance(overall, Mapping) and overall else None,
                      {str(k): _confusion_of(v) for k, v in sorted(signals_.items()) if isinstance(v, Mapping)})


def cells_json(cells: Sequence[Cell]) -> JSONObject:
    """``results.json``'s ``detectors`` section: the cells, and the names in order."""
    return {"cells": [_cell_json(c) for c in cells],
            "detectors": list(dict.fromkeys(c.detector for c in cells)),
            "corpora": list(dict.fromkeys(c.corpus for c in cells))}


def _cell_json(c: Cell) -> JSONObject:
    out: JSONObject = {"detector": c.detector, "corpus": c.corpus}
    out.update({b: c.count(b) for b in BUCKETS})
    out.update(recall=c.recall, false_alarm_rate=c.false_alarm_rate, right_place_rate=c.right_place_rate,
               scenarios={b: list(c.scenarios.get(b, ())) for b in BUCKETS})
    return out


def cells_of(d: Mapping[str, Any]) -> tuple[Cell, ...]:
    out = []
    for c in d.get("cells") or ():
        names = c.get("scenarios") or {}
        out.append(Cell(str(c.get("detector") or ""), str(c.get("corpus") or ""),
                        {str(b): tuple(str(n) for n in v) for b, v in names.items() if v}))
    return tuple(out)


def _finding_json(f: Finding) -> JSONObject:
    return {"file": f.file, "line": f.line, "column": f.column, "message": f.message,
            "function": f.function, "check": f.check, "points_at_leak": f.points_at_leak}


def detector_json(a: DetectorResult) -> JSONObject:
    return {"detector": a.detector, "status": a.status, "flagged": a.flagged,
            "reason": a.reason, "seconds": round(a.seconds, 3),
            "where": _finding_json(a.where) if a.where else None,
            "findings": [_finding_json(f) for f in a.findings]}


def _finding_of(f: Mapping[str, Any]) -> Finding:
    return Finding(str(f.get("file") or ""), int(f.get("line") or 0), str(f.get("message") or ""),
                   f.get("column"), f.get("function"), f.get("check"), bool(f.get("points_at_leak")))


def detector_of(d: Mapping[str, Any]) -> DetectorResult:
    return DetectorResult(str(d["detector"]), d.get("status", "error"), bool(d.get("flagged")),
                          tuple(_finding_of(f) for f in d.get("findings") or ()), d.get("reason"),
                          float(d.get("seconds") or 0.0))


# ---------------------------------------------------------------- the baseline comparison and file


def _figures_json(f: Figures | None) -> JSONObject | None:
    if f is None:
        return None
    return {"slope_per_1k": f.slope_per_1k, "ci": list(f.ci), "p_value": f.p_value, "decision": f.decision}


def _row_json(r: Row) -> JSONObject:
    return {"scenario": r.scenario, "signal": r.signal, "unit": r.unit, "baseline": _figures_json(r.baseline),
            "current": _figures_json(r.current), "delta_per_1k": r.delta_per_1k, "change": r.change,
            "limit_per_1k": r.limit_per_1k, "rule": r.rule, "status": r.status}


def _rule_json(r: Rule) -> JSONObject:
    return {"expr": r.expr, "signal": r.signal, "relative": r.relative, "amount": r.amount}


def comparison_json(c: Comparison) -> JSONObject:
    """results.json's ``comparison``."""
    base: JSONObject = {"path": c.path} if c.error else {"commit": c.commit, "created": c.created, "path": c.path}
    d: JSONObject = {"baseline": base}
    if c.error:
        d["error"] = c.error
    d.update({"rules": [_rule_json(r) for r in c.rules], "alpha": c.alpha, "passed": c.passed,
              "failures": list(c.failures), "rows": [_row_json(r) for r in c.rows],
              "new_scenarios": list(c.new_scenarios), "missing_scenarios": list(c.missing_scenarios)})
    if c.saved_to is not None:
        d["saved_to"] = c.saved_to
    return d


def _text(v: object) -> str:
    return "" if v is None else str(v)


def _texts(v: object) -> tuple[str, ...]:
    return tuple(_text(x) for x in v) if isinstance(v, (list, tuple)) else ()


def _opt_text(v: object) -> str | None:
    return None if v is None else str(v)


def _figures_of(d: object, unit: str) -> Figures | None:
    """Saved figures, read defensively: a baseline file is given on the command line."""
    if not isinstance(d, Mapping):
        return None
    slope = _finite(d.get("slope_per_1k"))
    ci = d.get("ci")
    lo, hi = (_finite(ci[0]), _finite(ci[1])) if isinstance(ci, (list, tuple)) and len(ci) == 2 else (slope, slope)
    return Figures(str(d.get("unit") or unit), slope, (lo or 0.0, hi or 0.0) if slope is not None else (0.0, 0.0),
                   _finite(d.get("p_value")), _opt_text(d.get("decision")))


def _finite(v: object) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _row_of(d: Mapping[str, Any]) -> Row:
    unit = "bytes" if d.get("unit") == "bytes" else "count"
    return Row(_text(d.get("scenario")), _text(d.get("signal")), unit, _figures_of(d.get("baseline"), unit),
               _figures_of(d.get("current"), unit), _finite(d.get("delta_per_1k")), _finite(d.get("change")),
               _finite(d.get("limit_per_1k")), _opt_text(d.get("rule")), _text(d.get("status")))


def _rule_of(d: object) -> Rule:
    m: Mapping[str, Any] = d if isinstance(d, Mapping) else {}
    return Rule(_text(m.get("expr")), _text(m.get("signal")), m.get("relative") is True,
                _finite(m.get("amount")) or 0.0)


def comparison_of(d: Mapping[str, Any]) -> Comparison:
    """results.json's ``comparison`` read back, defensively (its baseline came from a given file)."""
    given = d.get("baseline")
    base: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    rows = [r for r in d.get("rows") or () if isinstance(r, Mapping)]
    return Comparison(
        _text(base.get("path")), tuple(_rule_of(r) for r in d.get("rules") or ()), _finite(d.get("alpha")) or 0.0,
        d.get("passed") is True, _texts(d.get("failures")), _opt_text(base.get("commit")),
        _opt_text(base.get("created")), tuple(_row_of(r) for r in rows),
        _texts(d.get("new_scenarios")), _texts(d.get("missing_scenarios")),
        _opt_text(d.get("error")), _opt_text(d.get("saved_to")))


def baseline_json(b: Baseline) -> JSONObject:
    """A baseline file."""
    def figures(f: Figures) -> JSONObject:
        return {"unit": f.unit, "slope_per_1k": f.slope_per_1k, "ci": list(f.ci), "p_value": f.p_value,
                "decision": f.decision}

    scenarios = {name: {"verdict": s.verdict, "requests": s.requests,
                        "signals": {k: figures(f) for k, f in s.signals.items()}} for name, s in b.scenarios.items()}
    return {"kind": BASELINE_KIND, "baseline_version": BASELINE_VERSION, "commit": b.commit, "created": b.created,
            "tool": _tool(), "scenarios": scenarios}


def baseline_of(doc: Mapping[str, Any]) -> Baseline:
    """A baseline file's figures (its kind and version checked by the caller)."""
    scenarios = {}
    for name, s in (doc.get("scenarios") or {}).items():
        sigs = s.get("signals") or {}
        scenarios[str(name)] = SavedScenario(
            _text(s.get("verdict")), int(s.get("requests") or 0),
            {str(k): f for k, v in sigs.items() if (f := _figures_of(v, signals.units().get(k, "count")))})
    return Baseline(_opt_text(doc.get("commit")), _opt_text(doc.get("created")), scenarios)
