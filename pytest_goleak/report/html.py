"""Self-contained HTML report: ``index.html`` plus one page per scenario.

Everything in a result that came from a profile or a container (function names, paths, logs,
messages) is untrusted. Jinja2 autoescapes it, the SVG helpers escape it themselves, links are only
made from relative paths that stay inside the report directory, and each page carries a
Content-Security-Policy that forbids scripts and remote fetches outright: the pages need neither.
The view models are in views.py, the formatting in format.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ..detectors.matrix import Cell
from ..record import ScenarioResult
from ..units import fmt_bytes, fmt_count, fmt_delta, fmt_seconds, fmt_slope, fmt_value, num
from .comparison import Comparison
from .confusion import Validation
from .detectors_page import BUCKETS, rows
from .format import safe_href, scenario_dir_name, short_path
from .views import (
    ScenarioView,
    budget_signal,
    budget_title,
    comparison_view,
    run_stages,
    scenario_summary,
    scenario_view,
    stage_rows,
    validation_rows,
)

__all__ = ["RunReport", "budget_signal", "budget_title", "fmt_bytes", "fmt_count", "fmt_delta", "fmt_seconds",
           "fmt_slope", "fmt_value", "num", "safe_href", "scenario_summary", "short_path", "write_html"]

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class RunReport:
    """What the report shows of a run: the typed scenario results and the run-wide tables."""

    scenarios: Sequence[ScenarioResult]
    validation: Validation = field(default_factory=Validation)
    comparison: Comparison | None = None  # when a baseline was compared
    tool: str = "pytest-goleak"
    created: str = ""
    error: str | None = None  # the run itself failed (no engine, say)
    detectors: Sequence[Cell] = ()  # the detector x corpus matrix (detectors.harness)


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


def write_html(report_dir: Path, report: RunReport) -> list[Path]:
    """Write ``index.html`` and ``<scenario>/index.html`` for each scenario; return the paths written."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    taken: set[str] = {"index.html", "results.json", "detectors.html"}  # names a scenario dir must not take
    views = [scenario_view(s, scenario_dir_name(s.name, i, taken)) for i, s in enumerate(report.scenarios)]
    views.sort(key=lambda v: v.order)
    common = {"tool": report.tool.strip()[:60], "created": report.created[:40], "run_error": report.error or ""}
    written: list[Path] = []
    for view in views:
        page = env.get_template("scenario.html").render(s=view, **common)
        _write(report_dir / view.dir / "index.html", page, report_dir, written)
    index = env.get_template("index.html").render(
        scenarios=views, counts=_counts(views), validation=validation_rows(report.validation),
        comparison=comparison_view(report.comparison), stages=stage_rows(run_stages(report.scenarios)), **common
    )
    _write(report_dir / "index.html", index, report_dir, written)
    page = env.get_template("detectors.html").render(
        rows=rows(report.detectors, {v.name: v.dir for v in views}), buckets=BUCKETS, **common)
    _write(report_dir / "detectors.html", page, report_dir, written)
    return written


def _counts(views: Iterable[ScenarioView]) -> dict[str, int]:
    counts = {"failed": 0, "error": 0, "passed": 0, "skipped": 0}
    for v in views:
        if v.verdict == "error":
            counts["error"] += 1
        elif v.verdict == "skipped":
            counts["skipped"] += 1
        elif v.passed is False:
            counts["failed"] += 1
        else:
            counts["passed"] += 1
    return counts
