"""Baselines: save a run's growth figures, compare a later run against them, noise-aware.

A baseline holds, per scenario and signal, the Theil–Sen slope per 1,000 requests and its 95%
confidence interval. A signal *regresses* only when this run's whole interval lies above the
baseline's interval by the rule's margin, and this run's own trend rises significantly:

    regression  <=>  current.ci_low > baseline.ci_high + max(margin, noise)  and  current.p_value < ALPHA
                    and the run's extension did not find the signal's rise a plateau

``noise`` is the signal's noise floor (``Signal.noise``: how far a series that keeps nothing drifts
over a measured window) per 1,000 requests of this run's measured window. The intervals come from
one run's snapshots, and a clean service's heap moves in steps (one more keep-alive connection's
buffers, a timer heap that grows) that fall in one run and not in the next: in CI two runs of
goroutine_chan_fixed gave 715 B [160 B..1.8 KiB] and 5.6 KiB [2.4 KiB..12.3 KiB] per 1k, disjoint
and both under its 12 KiB floor over 1,000 requests. A leak that adds a fixed amount per request
past the floor shifts the whole interval and is caught. Everything here is pure except :func:`write_baseline`,
:func:`read_baseline` and the commit look-up.

A rise over the limit that the run's own extension followed to a plateau (``filled_signals``) is
``filled``: the measured window saw a cache or pool fill, at a pace that differs from run to run,
and the judge has already called it no leak.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from .. import signals
from ..judge.analysis import ALPHA, Trend
from ..record import ScenarioResult
from ..units import figure_grouped as figure
from ..units import parse_size
from . import results as results_mod
from .comparison import Baseline, Comparison, Figures, Row, Rule, SavedScenario, change_text, trend_text

BASELINE_KIND = results_mod.BASELINE_KIND
BASELINE_VERSION = results_mod.BASELINE_VERSION
BASELINE_DIR = Path(".goleak") / "baselines"
#: Used when --goleak-compare is given without any --goleak-compare-fail.
DEFAULT_RULES = ("heap:+20%", "goroutines:+0")
_EXPR = re.compile(r"^\s*([A-Za-z_]+)\s*:\s*\+\s*([0-9]*\.?[0-9]+)\s*(%|[A-Za-z]*)\s*$")


# ---------------------------------------------------------------------------------- rules


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


def saved_figures(t: Trend) -> Figures:
    """What a baseline keeps of a signal's trend."""
    return Figures(t.unit, t.slope_per_1k, t.ci, t.p_value, t.decision)


def snapshot(results: Sequence[ScenarioResult], commit: str | None) -> Baseline:
    """The growth figures of a run, as a baseline."""
    scenarios = {s.name: SavedScenario(s.verdict, s.requests,
                                       {name: saved_figures(sig.trend) for name, sig in s.signals.items()})
                 for s in results}
    return Baseline(commit, results_mod.now(), scenarios)


def write_baseline(results: Sequence[ScenarioResult], ref: str, rootdir: Path) -> Path:
    path = resolve(ref, rootdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = results_mod.baseline_json(snapshot(results, discover_commit(rootdir)))
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_baseline(ref: str, rootdir: Path) -> tuple[Path, Baseline]:
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
        try:
            return path, results_mod.baseline_of(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"baseline {path}: {exc!r}") from None
    if isinstance(doc, dict) and "schema_version" in doc and isinstance(doc.get("scenarios"), list):
        try:  # a results.json artifact works as a baseline too
            return path, snapshot(results_mod.read_document(doc, str(path)), None)
        except (results_mod.ResultsError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"baseline {path}: {exc}") from None
    raise ValueError(f"baseline {path}: neither a pytest-goleak baseline nor a results.json")


# ---------------------------------------------------------------------------------- comparing


def _status(base: Figures, cur: Figures, b_slope: float, c_slope: float, limit: float | None,
            filled: bool = False) -> str:
    rising = c_slope > 0 and (1.0 if cur.p_value is None else cur.p_value) < ALPHA
    (b_lo, b_hi), (c_lo, c_hi) = base.ci, cur.ci
    if limit is not None and rising and c_lo > limit:
        return "filled" if filled else "regression"
    if rising and c_lo > b_hi:
        return "higher"  # above the baseline's interval, within the allowed margin (or no rule)
    return "lower" if c_hi < b_lo else "same"


def compare_signal(scenario: str, signal: str, unit: str, base: Figures, cur: Figures, rules: Sequence[Rule],
                   noise: float = 0.0, filled: bool = False) -> Row:
    """One row: how ``cur`` (this run's trend) stands against ``base`` under ``rules``; both measured.
    ``noise``: the signal's noise floor per 1k requests of this run's window (``noise_per_1k``), the
    least margin any rule gets. ``filled``: this run's extension found the signal's rise a plateau
    (``filled_signals``), so a rise over the limit is ``filled``, not a regression."""
    b_slope, c_slope = float(base.slope_per_1k or 0.0), float(cur.slope_per_1k or 0.0)
    limits = sorted(((base.ci[1] + max(r.margin(b_slope), noise), r) for r in rules), key=lambda x: x[0])
    limit, rule = limits[0] if limits else (None, None)
    change = (c_slope - b_slope) / abs(b_slope) if b_slope else None
    return Row(scenario, signal, unit, base, cur, c_slope - b_slope, change, limit,
               rule.expr if rule else None, _status(base, cur, b_slope, c_slope, limit, filled))


def compare_runs(results: Sequence[ScenarioResult], baseline: Baseline, rules: Sequence[Rule]) -> Comparison:
    """Every growth figure of this run against the baseline. Pure."""
    by_signal: dict[str, list[Rule]] = {}
    for r in rules:
        by_signal.setdefault(r.signal, []).append(r)
    rows: list[Row] = []
    new: list[str] = []
    for s in results:
        saved = baseline.scenarios.get(s.name)
        if saved is None:
            new.append(s.name)
            continue
        cur_signals = {sig: saved_figures(r.trend) for sig, r in s.signals.items()}
        filled = filled_signals(s)
        for signal in _ordered(set(saved.signals) | set(cur_signals), by_signal):
            rows.append(_row(s.name, signal, saved.signals.get(signal), cur_signals.get(signal),
                             by_signal.get(signal, []), noise_per_1k(s, signal), signal in filled))
    ran = {s.name for s in results}
    failures = tuple(failure_message(r) for r in rows if r.status == "regression")
    return Comparison("", tuple(rules), ALPHA, not failures, failures, baseline.commit, baseline.created,
                      tuple(rows), tuple(new), tuple(sorted(set(baseline.scenarios) - ran)))


def _ordered(names: set[str], ruled: Mapping[str, object]) -> list[str]:
    order = list(signals.units())
    return sorted(names, key=lambda s: (s not in ruled, order.index(s) if s in order else len(order), s))


def _measured(f: Figures | None) -> Figures | None:
    return f if f is not None and f.slope_per_1k is not None else None


def noise_per_1k(result: ScenarioResult, signal: str) -> float:
    """``signal``'s noise floor per 1,000 requests of ``result``'s measured window (the series up to
    where an extension began); 0 when the signal has no floor or the window no span."""
    floor = (sig.noise if (sig := signals.get(signal)) else 0.0)
    got = result.signals.get(signal)
    if not floor or got is None or len(got.series) < 2:
        return 0.0
    end = got.series[-1][0]
    if result.extension is not None and result.extension.requests_at_start:
        end = min(end, float(result.extension.requests_at_start))
    span = (end - got.series[0][0]) / 1000.0
    return floor / span if span > 0 else 0.0


def filled_signals(result: ScenarioResult) -> frozenset[str]:
    """The signals whose rise in the measured window ``result``'s extension found a plateau: a
    fill that stopped with more requests. Its measured-window slope is how fast it filled, which
    moves from run to run (a clean goroutine_chan_fixed filled at 4-40 KiB per 1k in 30 runs
    here), not a leak's pace, so it is no regression (CI: one clean run of five failed its own
    baseline on it)."""
    ext = result.extension
    if ext is None:
        return frozenset()
    known = signals.budgets()
    return frozenset(known[b].signal for b in ext.plateaus if b in known)


def _row(scenario: str, signal: str, base: Figures | None, cur: Figures | None, rules: Sequence[Rule],
         noise: float = 0.0, filled: bool = False) -> Row:
    b, c = _measured(base), _measured(cur)
    given = cur or base
    unit = (given.unit if given else "") or signals.units().get(signal, "count")
    if b is not None and c is not None:
        return compare_signal(scenario, signal, unit, b, c, rules, noise, filled)
    return Row(scenario, signal, unit, b, c, None, None, None,
               rules[0].expr if rules else None, "new signal" if base is None else "not measured")


# ---------------------------------------------------------------------------------- text


def fmt_trend(fig: Figures | None, unit: str) -> str:
    return trend_text(fig, unit, figure, "-")


def _signed(value: float, unit: str) -> str:
    return ("+" if value >= 0 else "") + figure(value, unit)


def fmt_change(row: Row) -> str:
    return change_text(row, _signed, "-")


def failure_message(row: Row) -> str:
    unit = row.unit
    return (f"{row.scenario}: {row.signal} regressed against the baseline ({row.rule}): "
            f"{fmt_trend(row.current, unit)}/1k requests lies above "
            f"{fmt_trend(row.baseline, unit)} by more than the allowed margin "
            f"(limit {figure(row.limit_per_1k, unit)})")


def table(comparison: Comparison) -> list[list[str]]:
    out = [["scenario", "signal", "baseline/1k [95% CI]", "current/1k [95% CI]", "change", "status"]]
    for r in comparison.rows:
        status = "REGRESSION" if r.status == "regression" else r.status
        out.append([r.scenario, r.signal, fmt_trend(r.baseline, r.unit), fmt_trend(r.current, r.unit),
                    fmt_change(r), status])
    return out


def write_terminal(write_line: Callable[[str], None], comparison: Comparison | None) -> None:
    """The comparison table, then one line per regression. Nothing when there is no comparison."""
    if comparison is None:
        return
    commit = (comparison.commit or "")[:12] or "unknown commit"
    rules = ", ".join(r.expr for r in comparison.rules)
    write_line(f"baseline comparison against {comparison.path or '?'} "
               f"({commit}, {comparison.created or '?'}); rules: {rules}")
    rows = table(comparison)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        write_line("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    for name in comparison.new_scenarios:
        write_line(f"{name}: not in the baseline (nothing to compare)")
    for name in comparison.missing_scenarios:
        write_line(f"{name}: in the baseline but not run")
    for row in comparison.rows:
        if row.status == "filled":
            write_line(f"{row.scenario}: {row.signal} rose over the limit ({figure(row.limit_per_1k, row.unit)}/1k) "
                       "as a fill: this run's extension followed it to a plateau, so it is no regression")
    for msg in comparison.failures:
        write_line(f"REGRESSION {msg}")
    if comparison.passed:
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
          rootdir: Path) -> tuple[Comparison | None, list[str]]:
    """Compare (when asked) before saving (when asked), so a run may compare against and then
    replace the same baseline. Returns (the comparison for results.json, failures)."""
    comparison: Comparison | None = None
    if compare:
        rules = tuple(parse_rules(fail_exprs))
        try:
            path, doc = read_baseline(compare, rootdir)
        except ValueError as exc:
            comparison = Comparison(str(resolve(compare, rootdir)), rules, ALPHA, False, (str(exc),), error=str(exc))
        else:
            comparison = replace(compare_runs(results, doc, rules), path=str(path))
    if save:
        path = write_baseline(results, save, rootdir)
        if comparison is not None:
            comparison = replace(comparison, saved_to=str(path))
    return comparison, list(comparison.failures) if comparison else []
