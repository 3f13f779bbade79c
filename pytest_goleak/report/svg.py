"""Server-side SVG time-series charts: x = requests served, y = a signal with its unit.

Every piece of text that reaches the SVG goes through ``markupsafe.escape`` (titles, tick labels and
legend entries may carry untrusted names), and element ids are built from integers only.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..units import bytes_label, slope_label, unit_scale

Point = tuple[float, float]
Scale = Callable[[float], float]


COLOR_DATA = "#2563eb"
COLOR_EXTENSION = "#7a5af8"
COLOR_FIT = "#64748b"
COLOR_BUDGET = "#dc2626"


@dataclass(frozen=True)
class Budget:
    """A budget drawn on a chart: ``slope`` is a limit per 1k requests, ``cap`` a horizontal line."""

    kind: str  # "slope" | "cap"
    limit: float
    label: str


@dataclass(frozen=True)
class Layout:
    width: int = 580
    height: int = 270
    left: int = 70
    right: int = 18
    top: int = 52
    bottom: int = 44

    @property
    def plot_w(self) -> float:
        return float(self.width - self.left - self.right)

    @property
    def plot_h(self) -> float:
        return float(self.height - self.top - self.bottom)


def clean_series(raw: object) -> list[Point]:
    """Finite ``(x, y)`` pairs sorted by x; anything malformed is dropped rather than raised."""
    points: list[Point] = []
    if not isinstance(raw, (list, tuple)):
        return points
    for item in raw:
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            x, y = _finite(item[0]), _finite(item[1])
            if x is not None and y is not None:
                points.append((x, y))
    return sorted(points)


def _finite(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering ``[lo, hi]``."""
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-12:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw_step = (hi - lo) / max(target, 1)
    mag = 10.0 ** math.floor(math.log10(raw_step))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw_step)
    first = math.floor(lo / step) * step
    ticks: list[float] = []
    v = first
    while v <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    if ticks[-1] < hi - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def format_tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:,.10g}" if v == int(v) else f"{v:.4g}"


def format_requests(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def fit_line(points: Sequence[Point], slope_per_1k: float) -> tuple[Point, Point]:
    """The fitted trend at both ends of the x range.

    The analysis reports a Theil-Sen slope, so the intercept is the matching robust one: the median
    of ``y - slope * x``.
    """
    s = slope_per_1k / 1000.0
    intercept = statistics.median(y - s * x for x, y in points)
    x0, x1 = points[0][0], points[-1][0]
    return (x0, intercept + s * x0), (x1, intercept + s * x1)


def budget_line(points: Sequence[Point], budget: Budget) -> tuple[Point, Point]:
    """A per-1k budget is a slope anchored at the first (post-warm-up) point; a cap is horizontal."""
    x0, y0 = points[0]
    x1 = points[-1][0]
    if budget.kind == "slope":
        return (x0, y0), (x1, y0 + budget.limit * (x1 - x0) / 1000.0)
    return (x0, budget.limit), (x1, budget.limit)


def _y_domain(points: Sequence[Point], extra: Sequence[float]) -> tuple[float, float]:
    ys = [p[1] for p in points]
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or (abs(hi) * 0.2) or 1.0
    # Reference lines may extend the axis, but never so far that the data becomes a flat line.
    for y in extra:
        lo = max(min(lo, y), lo - span)
        hi = min(max(hi, y), hi + span)
    if lo >= 0 and lo < (hi - lo) * 0.5:
        lo = 0.0
    # A little air above and below, so markers on the extremes are not cut by the plot edge.
    pad = (hi - lo) * 0.04
    return (lo - pad if lo != 0 else lo), hi + pad


def line_chart(
    *,
    chart_id: int,
    title: str,
    unit: str,
    series: object,
    slope_per_1k: float | None = None,
    budget: Budget | None = None,
    note: str = "",
    layout: Layout | None = None,
    extension_from: float | None = None,
) -> Markup:
    """One signal against requests served, with the fitted slope and the budget in the legend.

    ``extension_from``: the request count after which the run was extended past its measured
    window (to tell filling from leaking); that part is shaded, and the fit and the budget line
    span the measured window only, as the budgets do."""
    lay = layout or Layout()
    points = clean_series(series)
    if not points:
        return _empty_chart(title, lay)
    ext = _finite(extension_from)
    measured = [pt for pt in points if ext is None or pt[0] <= ext] or points
    slope = _finite(slope_per_1k)
    fit = fit_line(measured, slope) if slope is not None and len(measured) >= 2 else None
    bline = budget_line(measured, budget) if budget is not None else None
    extra = [y for seg in (fit, bline) if seg for (_, y) in seg]
    ylo, yhi = _y_domain(points, extra)
    disp_unit, div = unit_scale(unit, max(abs(ylo), abs(yhi)))
    yticks = nice_ticks(ylo / div, yhi / div)
    xlo, xhi = points[0][0], points[-1][0]
    xticks = nice_ticks(xlo, xhi if xhi > xlo else xlo + 1, target=6)
    xdom = (min(xticks[0], xlo), max(xticks[-1], xhi))
    ydom = (yticks[0] * div, yticks[-1] * div)

    def sx(x: float) -> float:
        return lay.left + (x - xdom[0]) / ((xdom[1] - xdom[0]) or 1.0) * lay.plot_w

    def sy(y: float) -> float:
        return lay.top + lay.plot_h - (y - ydom[0]) / ((ydom[1] - ydom[0]) or 1.0) * lay.plot_h

    clip = f"clip-{int(chart_id)}"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {lay.width} {lay.height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<defs><clipPath id="{clip}"><rect x="{lay.left}" y="{lay.top}" width="{lay.plot_w:.1f}" '
        f'height="{lay.plot_h:.1f}"/></clipPath></defs>',
        f'<text class="chart-title" x="{lay.left}" y="18">{escape(title)}</text>',
    ]
    parts += _axes(lay, xticks, yticks, div, disp_unit, sx, sy)
    parts += _legend(lay, unit, slope, budget, note)
    body: list[str] = []
    if ext is not None and ext < points[-1][0]:
        x0 = sx(ext)
        body.append(f'<rect class="extension" x="{x0:.1f}" y="{lay.top}" width="{lay.left + lay.plot_w - x0:.1f}" '
                    f'height="{lay.plot_h:.1f}" fill="{COLOR_EXTENSION}" fill-opacity="0.12">'
                    f"<title>extension: after {format_requests(ext)} requests the load went on, to tell "
                    f"filling from leaking</title></rect>")
        body.append(f'<text class="extension-label" x="{x0 + 4:.1f}" y="{lay.top + 12}" font-size="10" '
                    f'fill="{COLOR_EXTENSION}">extension</text>')
    if bline:
        body.append(_segment(bline, sx, sy, COLOR_BUDGET, "6 4", 1.6, "budget"))
    if fit:
        body.append(_segment(fit, sx, sy, COLOR_FIT, "2 3", 1.4, "fit"))
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(points))
    body.append(f'<path class="series" d="{path}" fill="none" stroke="{COLOR_DATA}" stroke-width="2"/>')
    for x, y in points:
        tip = f"{format_requests(x)} requests: {_value_label(y, unit)}"
        body.append(
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{COLOR_DATA}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    parts.append(f'<g clip-path="url(#{clip})">{"".join(body)}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _value_label(y: float, unit: str) -> str:
    if unit == "bytes":
        return bytes_label(y)
    return f"{y:,.6g} {unit}".rstrip()


def _axes(
    lay: Layout, xticks: list[float], yticks: list[float], div: float, disp_unit: str, sx: Scale, sy: Scale
) -> list[str]:
    out = ['<g class="axes">']
    bottom = lay.top + lay.plot_h
    for t in yticks:
        y = sy(t * div)
        out.append(
            f'<line class="grid" x1="{lay.left}" x2="{lay.left + lay.plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{lay.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(format_tick(t))}</text>"
        )
    for t in xticks:
        x = sx(t)
        out.append(
            f'<line class="tickmark" x1="{x:.1f}" x2="{x:.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">'
            f"{escape(format_requests(t))}</text>"
        )
    out.append(f'<line class="axis" x1="{lay.left}" x2="{lay.left}" y1="{lay.top}" y2="{bottom:.1f}"/>')
    out.append(
        f'<line class="axis" x1="{lay.left}" x2="{lay.left + lay.plot_w:.1f}" '
        f'y1="{bottom:.1f}" y2="{bottom:.1f}"/>'
    )
    out.append(
        f'<text class="axis-label" x="{lay.left + lay.plot_w / 2:.1f}" y="{lay.height - 6}" '
        f'text-anchor="middle">requests served</text>'
    )
    cy = lay.top + lay.plot_h / 2
    out.append(
        f'<text class="axis-label" x="14" y="{cy:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {cy:.1f})">{escape(disp_unit or "value")}</text>'
    )
    out.append("</g>")
    return out


def _legend(lay: Layout, unit: str, slope: float | None, budget: Budget | None, note: str) -> list[str]:
    items: list[tuple[str, str, str]] = [(COLOR_DATA, "", "measured")]
    if slope is not None:
        items.append((COLOR_FIT, "2 3", f"fit {slope_label(slope, unit)}"))
    if budget is not None:
        items.append((COLOR_BUDGET, "6 4", budget.label))
    out = ['<g class="legend">']
    x = float(lay.left)
    y = 36
    for color, dash, text in items:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x:.0f}" x2="{x + 18:.0f}" y1="{y - 4}" y2="{y - 4}" stroke="{color}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        out.append(f'<text class="legend-text" x="{x + 23:.0f}" y="{y}">{escape(text)}</text>')
        x += 36 + 6.9 * len(text)
    if note:
        out.append(
            f'<text class="legend-note" x="{lay.width - lay.right}" y="18" text-anchor="end">'
            f"{escape(note)}</text>"
        )
    out.append("</g>")
    return out


def _segment(
    seg: tuple[Point, Point], sx: Scale, sy: Scale, color: str, dash: str, width: float, cls: str
) -> str:
    (x0, y0), (x1, y1) = seg
    return (
        f'<line class="{cls}" x1="{sx(x0):.1f}" y1="{sy(y0):.1f}" x2="{sx(x1):.1f}" y2="{sy(y1):.1f}" '
        f'stroke="{color}" stroke-width="{width}" stroke-dasharray="{dash}"/>'
    )


def _empty_chart(title: str, lay: Layout) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-empty" viewBox="0 0 {lay.width} 90" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text class="chart-title" x="{lay.left}" y="18">{escape(title)}</text>'
        f'<text class="legend-note" x="{lay.left}" y="54">no data points were recorded</text></svg>'
    )
