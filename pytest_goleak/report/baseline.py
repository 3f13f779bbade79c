"""Baselines: save a run's growth figures, compare a later run against them, noise-aware.

A baseline holds, per scenario and signal, the Theil–Sen slope per 1,000 requests and its 95%
confidence interval. A signal *regresses* only when this run's whole interval lies above the
baseline's interval by the rule's margin, and this run's own trend rises significantly:

    regression  <=>  current.ci_low > baseline.ci_high + margin  and  current.p_value < ALPHA

Two runs of the same build draw their intervals from the same distribution, so disjoint 95%
intervals plus a margin are rare for them; a leak that adds a fixed amount per request shifts the
whole interval and is caught. Everything here is pure except :func:`write_baseline`,
:func:`read_baseline` and the commit look-up.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__, signals
from ..judge.analysis import ALPHA, Trend
from ..record import ScenarioResult
from ..units import format_bytes, parse_size
from . import results as results_mod

BASELINE_KIND = "pytest-goleak-baseline"
BASELINE_VERSION = 1
BASELINE_DIR = Path(".goleak") / "baselines"
#: Used when --goleak-compare is given without any --goleak-compare-fail.
DEFAULT_RULES = ("heap:+20%", "goroutines:+0")
_EXPR = re.compile(r"^\s*([A-Za-z_]+)\s*:\s*\+\s*([0-9]*\.?[0-9]+)\s*(%|[A-Za-z]*)\s*$")


# ---------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """``heap:+20%`` -> Rule("heap:+20%", "heap_inuse_bytes", relative=True, amount=0.2)."""

    expr: str
    signal: str
    relative: bool
    amount: float  # a fraction of the baseline slope when relative, else per 1k requests

    def margin(self, baseline_slope: float) -> float:
        return self.amount * abs(baseline_slope) if self.relative else self.amount

    def to_json(self) -> dict[str, Any]:
        return {"expr": self.expr, "signal": self.signal, "relative": self.relative, "amount": self.amount}


def parse_rule(expr: str) -> Rule:
    """Parse ``SIGNAL:+N%`` or ``SIGNAL:+N`` (sizes such as ``+64KiB`` for byte signals)."""
    m = _EXPR.match(expr)
    aliases, units = signals.aliases(), signals.units()
    known = ", ".join([*aliases, *(s for s in units if s not in aliases)])
    if not m:
        raise ValueError(f"bad compare-fail rule {expr!r}: expected SIGNAL:+N% or SIGNAL:+N "
                         f"(e.g. heap:+20%, goroutines:+0, heap:+64KiB)")
    name, number, suffix = m.groups()
    signal = aliases.get(name, name)
    if signal not in units:
        raise ValueError(f"bad compare-fail rule {expr!r}: unknown signal {name!r}; known: {known}")
    if suffix == "%":
        return Rule(expr.strip(), signal, True, float(number) / 100.0)
    if suffix and units[signal] != "bytes":
        raise ValueError(f"bad compare-fail rule {expr!r}: {signal} is a count; "
                         f"a size unit ({suffix!r}) only goes with a byte signal")
    try:
        amount = parse_size(number + suffix)
    except ValueError as exc:
        raise ValueError(f"bad compare-fail rule {expr!r}: {exc}") from None
    return Rule(expr.strip(), signal, False, amount)


def parse_rules(exprs: Sequence[str]) -> list[Rule]:
    return [parse_rule(e) for e in (exprs or DEFAULT_RULES)]


# ---------------------------------------------------------------------------------- storage


def resolve(ref: str, rootdir: Path) -> Path:
    """A NAME (no slash, no ``.json``) lives in ``<rootdir>/.goleak/baselines/NAME.json``;
    anything else is a path, taken as given."""
    if "/" not in ref and os.sep not in ref and not ref.endswith(".json"):
        return Path(rootdir) / BASELINE_DIR / f"{ref}.json"
    return Path(ref)


def discover_commit(rootdir: Path) -> str | None:
    sha = os.environ.get("GITHUB_SHA")
    if sha:
        return sha
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=rootdir, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def saved_figures(t: Trend) -> dict[str, Any]:
    """What a baseline keeps of a signal's trend (the baseline file's format)."""
    return {"unit": t.unit, "slope_per_1k": t.slope_per_1k, "ci": list(t.ci), "p_value": t.p_value,
            "decision": t.decision}


def snapshot(results: Sequence[ScenarioResult], commit: str | None) -> dict[str, Any]:
    """The growth figures of a run, as a baseline document."""
    scenarios = {s.name: {"verdict": s.verdict, "requests": s.requests,
                          "signals": {name: saved_figures(sig.trend) for name, sig in s.signals.items()}}
                 for s in results}
    return {"kind": BASELINE_KIND, "baseline_version": BASELINE_VERSION, "commit": commit,
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tool": {"name": "pytest-goleak", "version": __version__}, "scenarios": scenarios}


def write_baseline(results: Sequence[ScenarioResult], ref: str, rootdir: Path) -> Path:
    path = resolve(ref, rootdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = snapshot(results, discover_commit(rootdir))
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_baseline(ref: str, rootdir: Path) -> tuple[Path, dict[str, Any]]:
    """Read a baseline file, or a ``results.json`` (converted). Raises ValueError saying why not."""
    path = resolve(ref, rootdir)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        hint = f" (saved with --goleak-save {ref})" if path.parent.name == "baselines" else ""
        raise ValueError(f"baseline {ref!r}: {path} does not exist{hint}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"baseline {ref!r}: cannot read {path}: {exc}") from None
    if isinstance(doc, dict) and doc.get("kind") == BASELINE_KIND and isinstance(doc.get("scenarios"), dict):
        if doc.get("baseline_version") != BASELINE_VERSION:
            raise ValueError(f"baseline {path}: version {doc.get('baseline_version')!r} is not "
                             f"{BASELINE_VERSION}; save it again with this version")
        return path, doc
    if isinstance(doc, dict) and "schema_version" in doc and isinstance(doc.get("scenarios"), list):
        try:  # a results.json artifact works as a baseline too
            return path, snapshot(results_mod.read_document(doc, str(path)), None)
        except (results_mod.ResultsError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"baseline {path}: {exc}") from None
    raise ValueError(f"baseline {path}: neither a pytest-goleak baseline nor a results.json")


# ---------------------------------------------------------------------------------- comparing


def _ci(t: Mapping[str, Any]) -> tuple[float, float]:
    ci = t.get("ci") or [t.get("slope_per_1k", 0.0)] * 2
    return float(ci[0]), float(ci[1])


def _figures(t: Mapping[str, Any]) -> dict[str, Any]:
    return {"slope_per_1k": float(t["slope_per_1k"]), "ci": list(_ci(t)),
            "p_value": t.get("p_value"), "decision": t.get("decision")}


def compare_signal(base: Mapping[str, Any], cur: Mapping[str, Any], rules: Sequence[Rule]) -> dict[str, Any]:
    """One row: how ``cur`` (this run's trend) stands against ``base`` under ``rules``."""
    b_slope, (b_lo, b_hi) = float(base["slope_per_1k"]), _ci(base)
    c_slope, (c_lo, c_hi) = float(cur["slope_per_1k"]), _ci(cur)
    rising = c_slope > 0 and float(cur.get("p_value", 1.0) if cur.get("p_value") is not None else 1.0) < ALPHA
    limits = sorted(((b_hi + r.margin(b_slope), r) for r in rules), key=lambda x: x[0])
    limit, rule = limits[0] if limits else (None, None)
    if rule is not None and limit is not None and rising and c_lo > limit:
        status = "regression"
    elif rising and c_lo > b_hi:
        status = "higher"  # above the baseline's interval, within the allowed margin (or no rule)
    elif c_hi < b_lo:
        status = "lower"
    else:
        status = "same"
    change = (c_slope - b_slope) / abs(b_slope) if b_slope else None
    return {"baseline": _figures(base), "current": _figures(cur), "delta_per_1k": c_slope - b_slope,
            "change": change, "limit_per_1k": limit, "rule": rule.expr if rule else None, "status": status}


def compare_runs(results: Sequence[ScenarioResult], baseline: Mapping[str, Any],
                 rules: Sequence[Rule]) -> dict[str, Any]:
    """Every growth figure of this run against the baseline (a baseline document). Pure."""
    by_signal: dict[str, list[Rule]] = {}
    for r in rules:
        by_signal.setdefault(r.signal, []).append(r)
    base_scenarios: Mapping[str, Any] = baseline.get("scenarios") or {}
    rows: list[dict[str, Any]] = []
    new: list[str] = []
    for s in results:
        name = s.name
        if name not in base_scenarios:
            new.append(name)
            continue
        base_signals = base_scenarios[name].get("signals") or {}
        cur_signals = {sig: saved_figures(r.trend) for sig, r in s.signals.items()}
        for signal in _ordered(set(base_signals) | set(cur_signals), by_signal):
            rows.append(_row(name, signal, base_signals.get(signal), cur_signals.get(signal),
                             by_signal.get(signal, [])))
    ran = {s.name for s in results}
    failures = [failure_message(r) for r in rows if r["status"] == "regression"]
    return {"baseline": {"commit": baseline.get("commit"), "created": baseline.get("created")},
            "rules": [r.to_json() for r in rules], "alpha": ALPHA, "passed": not failures,
            "failures": failures, "rows": rows, "new_scenarios": new,
            "missing_scenarios": sorted(set(base_scenarios) - ran)}


def _ordered(names: set[str], ruled: Mapping[str, Any]) -> list[str]:
    order = list(signals.units())
    return sorted(names, key=lambda s: (s not in ruled, order.index(s) if s in order else len(order), s))


def _row(scenario: str, signal: str, base: Mapping[str, Any] | None, cur: Mapping[str, Any] | None,
         rules: Sequence[Rule]) -> dict[str, Any]:
    unit = str((cur or base or {}).get("unit") or signals.units().get(signal, "count"))
    head = {"scenario": scenario, "signal": signal, "unit": unit}
    if base is None or cur is None or base.get("slope_per_1k") is None or cur.get("slope_per_1k") is None:
        status = "new signal" if base is None else "not measured"
        return {**head, "baseline": _figures(base) if base and base.get("slope_per_1k") is not None else None,
                "current": _figures(cur) if cur and cur.get("slope_per_1k") is not None else None,
                "delta_per_1k": None, "change": None, "limit_per_1k": None,
                "rule": rules[0].expr if rules else None, "status": status}
    return {**head, **compare_signal(base, cur, rules)}


# ---------------------------------------------------------------------------------- text


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return format_bytes(value) if unit == "bytes" else f"{value:,.1f}"


def fmt_trend(fig: Mapping[str, Any] | None, unit: str) -> str:
    if not fig:
        return "-"
    lo, hi = fig["ci"]
    return f"{fmt(fig['slope_per_1k'], unit)} [{fmt(lo, unit)}..{fmt(hi, unit)}]"


def fmt_change(row: Mapping[str, Any]) -> str:
    if row.get("change") is not None:
        return f"{100 * row['change']:+.0f}%"
    if row.get("delta_per_1k") is not None:
        d = row["delta_per_1k"]
        return ("+" if d >= 0 else "") + fmt(d, row["unit"])
    return "-"


def failure_message(row: Mapping[str, Any]) -> str:
    unit = row["unit"]
    return (f"{row['scenario']}: {row['signal']} regressed against the baseline ({row['rule']}): "
            f"{fmt_trend(row['current'], unit)}/1k requests lies above "
            f"{fmt_trend(row['baseline'], unit)} by more than the allowed margin "
            f"(limit {fmt(row['limit_per_1k'], unit)})")


def table(comparison: Mapping[str, Any]) -> list[list[str]]:
    out = [["scenario", "signal", "baseline/1k [95% CI]", "current/1k [95% CI]", "change", "status"]]
    for r in comparison.get("rows") or []:
        status = "REGRESSION" if r["status"] == "regression" else r["status"]
        out.append([r["scenario"], r["signal"], fmt_trend(r.get("baseline"), r["unit"]),
                    fmt_trend(r.get("current"), r["unit"]), fmt_change(r), status])
    return out


def write_terminal(write_line: Callable[[str], None], comparison: Mapping[str, Any] | None) -> None:
    """The comparison table, then one line per regression. Nothing when there is no comparison."""
    if not comparison:
        return
    base = comparison.get("baseline") or {}
    commit = (base.get("commit") or "")[:12] or "unknown commit"
    rules = ", ".join(r["expr"] for r in comparison.get("rules") or [])
    write_line(f"baseline comparison against {base.get('path') or '?'} "
               f"({commit}, {base.get('created') or '?'}); rules: {rules}")
    rows = table(comparison)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        write_line("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    for name in comparison.get("new_scenarios") or []:
        write_line(f"{name}: not in the baseline (nothing to compare)")
    for name in comparison.get("missing_scenarios") or []:
        write_line(f"{name}: in the baseline but not run")
    for msg in comparison.get("failures") or []:
        write_line(f"REGRESSION {msg}")
    if comparison.get("passed"):
        write_line("baseline comparison: no regression")


# ---------------------------------------------------------------------------------- entry point


def check_options(*, save: str | None, compare: str | None, fail_exprs: Sequence[str], rootdir: Path) -> None:
    """Validate the options before anything runs. Raises ValueError (a usage error)."""
    parse_rules(fail_exprs)
    if fail_exprs and not compare:
        raise ValueError("--goleak-compare-fail needs --goleak-compare FILE|NAME")
    if save is not None and not save.strip():
        raise ValueError("--goleak-save needs a NAME or a PATH")
    if compare:
        read_baseline(compare, rootdir)


def apply(results: Sequence[ScenarioResult], *, save: str | None, compare: str | None, fail_exprs: tuple[str, ...],
          rootdir: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Compare (when asked) before saving (when asked), so a run may compare against and then
    replace the same baseline. Returns (the comparison for ``results["comparison"]``, failures)."""
    comparison: dict[str, Any] | None = None
    failures: list[str] = []
    if compare:
        rules = parse_rules(fail_exprs)
        try:
            path, doc = read_baseline(compare, rootdir)
        except ValueError as exc:
            comparison = {"baseline": {"path": str(resolve(compare, rootdir))}, "error": str(exc),
                          "rules": [r.to_json() for r in rules], "passed": False, "failures": [str(exc)],
                          "rows": [], "new_scenarios": [], "missing_scenarios": [], "alpha": ALPHA}
        else:
            comparison = compare_runs(results, doc, rules)
            comparison["baseline"]["path"] = str(path)
        failures = list(comparison["failures"])
    if save:
        path = write_baseline(results, save, rootdir)
        if comparison is not None:
            comparison["saved_to"] = str(path)
    return comparison, failures

