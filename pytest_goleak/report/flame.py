"""Diff icicle graph of heap growth: root at the top, width proportional to bytes gained.

Input is ``heap_diff_stacks`` from results.json: root-first frame lists with a ``delta_space``.
Only growth (positive deltas) takes width; shrinking stacks are reported in the caption instead.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .svg import unit_scale

ROW_H = 20
MIN_PX = 0.75  # narrower frames are merged into their parent's hover text instead of drawn
CHAR_PX = 6.6  # width of one 11px monospace character, for label truncation


@dataclass
class Node:
    name: str
    value: float = 0.0
    children: dict[str, Node] = field(default_factory=dict)

    def child(self, name: str) -> Node:
        if name not in self.children:
            self.children[name] = Node(name)
        return self.children[name]


@dataclass(frozen=True)
class FlameStats:
    grown_bytes: float
    shrunk_bytes: float
    stacks: int


def build_tree(stacks: object, max_depth: int = 64) -> tuple[Node, FlameStats]:
    """Merge root-first stacks into a tree weighted by positive ``delta_space``."""
    root = Node("all growth")
    grown = shrunk = 0.0
    count = 0
    for entry in stacks if isinstance(stacks, list) else []:
        if not isinstance(entry, dict):
            continue
        frames = entry.get("stack")
        delta = entry.get("delta_space")
        if not isinstance(frames, list) or isinstance(delta, bool) or not isinstance(delta, (int, float)):
            continue
        if not math.isfinite(delta):
            continue
        if delta <= 0:
            shrunk += -float(delta)
            continue
        count += 1
        grown += float(delta)
        node = root
        node.value += delta
        for frame in frames[:max_depth]:
            node = node.child(str(frame))
            node.value += delta
    return root, FlameStats(grown, shrunk, count)


def depth(node: Node) -> int:
    return 1 + max((depth(c) for c in node.children.values()), default=0)


def _color(name: str) -> str:
    """Warm hue per function, stable across runs, so one function keeps one colour."""
    h = int(hashlib.sha1(name.encode("utf-8", "replace")).hexdigest()[:6], 16)
    hue = 0 + h % 38
    light = 58 + (h >> 8) % 14
    return f"hsl({hue},78%,{light}%)"


def _bytes(v: float) -> str:
    disp, div = unit_scale("bytes", abs(v))
    return f"{v / div:.1f} {disp}" if div > 1 else f"{v:.0f} B"


def _label(name: str, width_px: float) -> str:
    room = int((width_px - 8) / CHAR_PX)
    if room < 3:
        return ""
    short = name.rsplit("/", 1)[-1]  # "net/http.(*conn).serve" -> "http.(*conn).serve"
    return short if len(short) <= room else short[: room - 1] + "\u2026"


def flame_svg(stacks: object, width: int = 1160) -> Markup:
    """The icicle graph as inline SVG; an explanatory note when there is no growth to draw."""
    root, stats = build_tree(stacks)
    if root.value <= 0:
        return Markup('<p class="muted">No heap growth between the compared snapshots.</p>')
    rows = depth(root)
    height = rows * ROW_H + 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flame" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="heap growth icicle graph">'
        "<title>Heap growth by call stack (root at top, width proportional to bytes gained)</title>"
    ]
    _draw(root, 0.0, 0, width / root.value, root.value, parts)
    parts.append("</svg>")
    return Markup("".join(parts))


def _draw(node: Node, x: float, level: int, px_per_byte: float, total: float, out: list[str]) -> None:
    w = node.value * px_per_byte
    y = level * ROW_H
    pct = 100.0 * node.value / total
    tip = f"{node.name}\n+{_bytes(node.value)} ({pct:.1f}% of growth)"
    fill = "#94a3b8" if level == 0 else _color(node.name)
    label = _label(node.name if level else f"all growth: +{_bytes(node.value)}", w)
    out.append(
        f'<g class="frame"><title>{escape(tip)}</title>'
        f'<rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.5):.2f}" height="{ROW_H - 1}" rx="2" '
        f'fill="{fill}"/>'
    )
    if label:
        out.append(f'<text x="{x + 4:.2f}" y="{y + 14}">{escape(label)}</text>')
    out.append("</g>")
    cx = x
    for child in sorted(node.children.values(), key=lambda c: (-c.value, c.name)):
        cw = child.value * px_per_byte
        if cw >= MIN_PX:
            _draw(child, cx, level + 1, px_per_byte, total, out)
        cx += cw
