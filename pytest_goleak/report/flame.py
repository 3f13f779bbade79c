"""Diff icicle graph of the heap between two snapshots: root at the top, coloured by growth.

Input is ``heap_diff_stacks`` from results.json: root-first frame lists with a signed
``delta_space``. A frame's width is the bytes that changed under it in either direction, so
stacks that shrank are drawn too. Its colour follows the convention of diff flame graphs
(Pyroscope, inferno, pprof): red where the frame's net change is growth, blue where it is
shrinkage, the deeper the colour the larger the net change relative to all change; grey where it
did not change on balance. Frames too narrow to draw are summed into their parent's hover text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from ..judge.culprit import HeapDiffStack
from ..units import bytes_label

ROW_H = 20
MIN_PX = 0.75  # narrower frames are merged into their parent's hover text instead of drawn
CHAR_PX = 6.6  # width of one 11px monospace character, for label truncation
NEUTRAL = "#d1d5db"
GROW_HUE, SHRINK_HUE = 2, 217  # red, blue


@dataclass
class Node:
    name: str
    grown: float = 0.0  # bytes gained by the stacks through this frame
    shrunk: float = 0.0  # bytes lost by them (positive)
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def value(self) -> float:
        """The width: all change under this frame, in both directions."""
        return self.grown + self.shrunk

    @property
    def net(self) -> float:
        return self.grown - self.shrunk

    def child(self, name: str) -> Node:
        if name not in self.children:
            self.children[name] = Node(name)
        return self.children[name]


@dataclass(frozen=True)
class FlameStats:
    grown_bytes: float
    shrunk_bytes: float
    stacks: int


def build_tree(stacks: Iterable[HeapDiffStack], max_depth: int = 64) -> tuple[Node, FlameStats]:
    """Merge root-first stacks into a tree of bytes gained and lost per frame."""
    root = Node("all change")
    count = 0
    for entry in stacks:
        delta = entry.delta_space
        if not math.isfinite(delta) or delta == 0:
            continue
        count += 1
        node = root
        for name in entry.stack[:max_depth]:
            node = node.child(name)
            if delta > 0:
                node.grown += delta
            else:
                node.shrunk -= delta
        if delta > 0:
            root.grown += delta
        else:
            root.shrunk -= delta
    return root, FlameStats(root.grown, root.shrunk, count)


def depth(node: Node) -> int:
    return 1 + max((depth(c) for c in node.children.values()), default=0)


def color(net: float, total: float) -> str:
    """Red for growth, blue for shrinkage, lightness by the share of all change; grey at zero.
    The square root keeps a frame with a few percent of the change visibly tinted."""
    if net == 0 or total <= 0:
        return NEUTRAL
    t = min(1.0, math.sqrt(abs(net) / total))
    hue = GROW_HUE if net > 0 else SHRINK_HUE
    return f"hsl({hue},{60 + 25 * t:.0f}%,{88 - 36 * t:.0f}%)"


def _signed(v: float) -> str:
    return ("+" if v >= 0 else "\u2212") + bytes_label(abs(v))


def _label(name: str, width_px: float) -> str:
    room = int((width_px - 8) / CHAR_PX)
    if room < 3:
        return ""
    short = name.rsplit("/", 1)[-1]  # "net/http.(*conn).serve" -> "http.(*conn).serve"
    return short if len(short) <= room else short[: room - 1] + "\u2026"


def flame_svg(stacks: Iterable[HeapDiffStack], width: int = 1160) -> Markup:
    """The icicle graph as inline SVG; an explanatory note when nothing changed."""
    root, stats = build_tree(stacks)
    if root.value <= 0:
        return Markup('<p class="muted">No heap growth or shrinkage between the compared snapshots.</p>')
    rows = depth(root)
    height = rows * ROW_H + 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flame" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="heap change icicle graph">'
        "<title>Heap change by call stack (root at top, width proportional to bytes changed; "
        "red grew, blue shrank)</title>"
    ]
    _draw(root, 0.0, 0, width / root.value, root.value, parts)
    parts.append("</svg>")
    return Markup("".join(parts))


def _tip(node: Node, total: float, hidden: list[Node]) -> str:
    pct = 100.0 * node.value / total
    lines = [node.name, f"{_signed(node.net)} net: +{bytes_label(node.grown)} grown, \u2212{bytes_label(node.shrunk)} "
             f"shrunk ({pct:.1f}% of all change)"]
    if hidden:
        grown, shrunk = sum(c.grown for c in hidden), sum(c.shrunk for c in hidden)
        plural = "s" if len(hidden) > 1 else ""
        lines.append(f"{len(hidden)} narrower frame{plural} not drawn: +{bytes_label(grown)} grown, "
                     f"\u2212{bytes_label(shrunk)} shrunk")
    return "\n".join(lines)


def _draw(node: Node, x: float, level: int, px_per_byte: float, total: float, out: list[str]) -> None:
    w = node.value * px_per_byte
    y = level * ROW_H
    children = sorted(node.children.values(), key=lambda c: (-c.value, c.name))
    hidden = [c for c in children if c.value * px_per_byte < MIN_PX]
    whole = f"all change: +{bytes_label(node.grown)}, \u2212{bytes_label(node.shrunk)}"
    label = _label(node.name if level else whole, w)
    growth = "grew" if node.net > 0 else "shrank" if node.net < 0 else "unchanged"
    out.append(
        f'<g class="frame {growth}"><title>{escape(_tip(node, total, hidden))}</title>'
        f'<rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.5):.2f}" height="{ROW_H - 1}" rx="2" '
        f'fill="{color(node.net, total)}"/>'
    )
    if label:
        out.append(f'<text x="{x + 4:.2f}" y="{y + 14}">{escape(label)}</text>')
    out.append("</g>")
    cx = x
    for child in children:
        cw = child.value * px_per_byte
        if cw >= MIN_PX:
            _draw(child, cx, level + 1, px_per_byte, total, out)
        cx += cw
