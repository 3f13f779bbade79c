"""Flat and cum per function, per file:line or per whole stack, the way ``go tool pprof -top``
computes them (pprof's internal/graph + report.newTrimmedGraph), so the numbers match exactly:

* a sample adds its value to the cum of every node on its stack once, even if the node recurs;
* flat goes to the leaf-most frame (inlined frames count as frames);
* nodes whose |cum| is below ``nodefraction`` of the shown flat total are dropped (pprof's
  default 0.005), then the rest are sorted by |flat|, name, |cum|, and cut to ``nodecount``;
* focus keeps a sample if any of its frames matches, ignore drops it if any frame matches
  (regex search against function name, file and mapping file, as pprof does).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .model import Frame, Location, Profile, ProfileError, no_cyclic_gc

By = Literal["function", "line", "stack"]
NODE_FRACTION = 0.005
EDGE_FRACTION = 0.001
# pprof trims these prefixes from file names when no -trim_path is given.
_TRIM_PREFIXES = ("/proc/self/cwd/./", "/proc/self/cwd/")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a top table. ``frame`` is the node's frame (line number 0 when aggregated by
    function); ``frames`` is the whole stack, leaf first, for by="stack" rows."""

    name: str
    flat: int
    cum: int
    frame: Frame | None = None
    frames: tuple[Frame, ...] = ()
    inline: str = ""  # "", "(inline)" or "(partial-inline)", as pprof annotates


@dataclass(frozen=True, slots=True)
class TopResult:
    """What a top table needs besides its rows (see ``text.render_top``)."""

    rows: tuple[Row, ...]
    total: int  # pprof's total: sum of |value| over all samples, before focus/ignore
    dropped_nodes: int
    orig_count: int  # node count after the nodefraction cut, before nodecount
    node_fraction: float


def top(profile: Profile, sample_index: int, by: By = "function", focus: str | None = None,
        ignore: str | None = None, nodecount: int | None = None) -> tuple[list[Row], int]:
    """Rows of ``go tool pprof -top`` (by="function"), ``-top -lines`` (by="line"), or one row
    per distinct stack (by="stack"), and the total. Raises ProfileError for a bad regex or
    an out-of-range sample index."""
    res = top_report(profile, sample_index, by, focus, ignore, nodecount)
    return list(res.rows), res.total


def top_report(profile: Profile, sample_index: int, by: By = "function", focus: str | None = None,
               ignore: str | None = None, nodecount: int | None = None,
               node_fraction: float = NODE_FRACTION, cum: bool = False) -> TopResult:
    """Like ``top`` but also returns what the table header reports (dropped nodes and so on).
    ``cum`` sorts by cumulative value, as ``-cum`` does."""
    with no_cyclic_gc():
        return _top_report(profile, sample_index, by, focus, ignore, nodecount, node_fraction, cum)


def _top_report(profile: Profile, sample_index: int, by: By, focus: str | None, ignore: str | None,
                nodecount: int | None, node_fraction: float, cum: bool = False) -> TopResult:
    if not 0 <= sample_index < len(profile.sample_types):
        raise ProfileError(f"sample index {sample_index} is outside [0..{len(profile.sample_types) - 1}]")
    total = profile.total(sample_index)  # pprof takes the total before focusing
    # Flat and cum are linear in the sample value for a given stack, and focus/ignore decide
    # per stack, so everything below works on the sum per distinct stack (big profiles have
    # many samples per stack: same stack, different labels).
    weights = _filter_stacks(profile.stack_weights(sample_index), focus, ignore)
    if by == "stack":
        return _stack_rows(weights, total, nodecount)
    if by not in ("function", "line"):
        raise ProfileError(f"unknown aggregation {by!r}; use function, line or stack")
    graph = _Graph.build(weights, by)
    return graph.trim(total, nodecount or 0, node_fraction, cum)


def _filter_stacks(weights: dict[tuple[Location, ...], int], focus: str | None,
                   ignore: str | None) -> dict[tuple[Location, ...], int]:
    keep = _stack_filter(focus, ignore)
    return weights if keep is None else {st: w for st, w in weights.items() if keep(st)}


def _stack_filter(focus: str | None, ignore: str | None) -> Callable[[tuple[Location, ...]], bool] | None:
    focus_re, ignore_re = _compile(focus, "focus"), _compile(ignore, "ignore")
    if focus_re is None and ignore_re is None:
        return None
    verdict: dict[int, bool | None] = {}  # per location: True focus, False ignore, None neither

    def keep(locations: tuple[Location, ...]) -> bool:
        focused = focus_re is None
        for loc in locations:
            v = verdict.get(id(loc), ...)
            if v is ...:
                v = verdict[id(loc)] = _classify(loc, focus_re, ignore_re)
            if v is False:
                return False
            focused = focused or v is True
        return focused
    return keep


def _compile(pattern: str | None, what: str) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as err:
        raise ProfileError(f"bad {what} regex {pattern!r}: {err}") from None


def _classify(loc: Location, focus: re.Pattern[str] | None, ignore: re.Pattern[str] | None) -> bool | None:
    if ignore is not None and _matches(loc, ignore):
        return False
    if focus is not None and _matches(loc, focus):
        return True
    return None


def _matches(loc: Location, rx: re.Pattern[str]) -> bool:
    if any(rx.search(f.function) or rx.search(f.file) for f in loc.frames):
        return True
    return loc.mapping is not None and rx.search(loc.mapping.file) is not None


# --- the call graph -------------------------------------------------------------------------------

NodeKey = tuple[str, str, int]  # (name, file, line); file/line empty/0 by function
_Path = tuple[tuple[int, ...], tuple[bool, ...]]  # node ids root->leaf, "reached inline" flags


def _clean(path: str) -> str:
    for p in _TRIM_PREFIXES:
        if path.startswith(p):
            path = path[len(p):]
            break
    return posixpath.normpath(path) if path else path


def _node_keys(loc: Location, by: By) -> list[NodeKey]:
    """A location's nodes, root-most (the function the others were inlined into) first."""
    if not loc.frames:
        obj = os.path.basename(loc.mapping.file) if loc.mapping and loc.mapping.file else ""
        return [(f"[{obj}]" if obj else "<unknown>", "", 0)]
    keys = []
    for f in reversed(loc.frames):
        if by == "line":
            keys.append((f.function, _clean(f.file), f.line))
        else:
            keys.append((f.function, "", 0))
    return keys


def printable(key: NodeKey) -> str:
    name, file, line = key
    if line:
        return f"{name} {file}:{line}" if name else f"{file}:{line}"
    return name or file or "<unknown>"


class _Graph:
    """Nodes with flat/cum and in-edges (for the inline annotation), built from stack weights."""

    def __init__(self, stacks: dict[_Path, int], keys: list[NodeKey]) -> None:
        # (node-id path root->leaf, per node "reached by an inlined call") -> weight. The inline
        # flags are part of the key: the same function path can be inlined in one binary
        # location and a real call in another.
        self.stacks = stacks
        self.keys = keys

    @classmethod
    def build(cls, weights: dict[tuple[Location, ...], int], by: By) -> _Graph:
        ids: dict[NodeKey, int] = {}
        keys: list[NodeKey] = []
        per_loc: dict[int, tuple[tuple[int, ...], tuple[bool, ...]]] = {}
        stacks: dict[_Path, int] = {}
        for locs, w in weights.items():
            path: list[int] = []
            inl: list[bool] = []
            for loc in reversed(locs):  # root first, as pprof walks
                entry = per_loc.get(id(loc))
                if entry is None:
                    nk = _node_keys(loc, by)
                    for k in nk:
                        if k not in ids:
                            ids[k] = len(keys)
                            keys.append(k)
                    # a node reached from its caller inside the same location is an inlined call
                    entry = per_loc[id(loc)] = (tuple(ids[k] for k in nk),
                                                tuple(i > 0 for i in range(len(nk))))
                path.extend(entry[0])
                inl.extend(entry[1])
            p = (tuple(path), tuple(inl))
            stacks[p] = stacks.get(p, 0) + w
        return cls(stacks, keys)

    def values(self, kept: set[int] | None) -> tuple[dict[int, int], dict[int, int],
                                                      dict[tuple[int, int], list[int]]]:
        """flat, cum and edges {(src, dst): [weight, all_inline]} over the kept nodes."""
        flat: dict[int, int] = {}
        cum: dict[int, int] = {}
        edges: dict[tuple[int, int], list[int]] = {}
        for (path, inl), w in self.stacks.items():
            seen: set[int] = set()
            seen_edge: set[tuple[int, int]] = set()
            parent = -1
            residual = False
            for n, inline in zip(path, inl, strict=True):
                if kept is not None and n not in kept:
                    residual = True
                    continue
                if n not in seen:
                    seen.add(n)
                    cum[n] = cum.get(n, 0) + w
                if parent >= 0 and n != parent and (parent, n) not in seen_edge:
                    seen_edge.add((parent, n))
                    e = edges.get((parent, n))
                    if e is None:
                        edges[(parent, n)] = [w, int(inline)]
                    else:
                        e[0] += w
                        e[1] &= int(inline)
                parent = n
                residual = False
            if parent >= 0 and not residual:
                flat[parent] = flat.get(parent, 0) + w
        return flat, cum, edges

    def trim(self, total: int, nodecount: int, node_fraction: float, cum_sort: bool = False) -> TopResult:
        flat, cum, edges = self.values(None)
        nodes = [n for n in cum if cum[n] or flat.get(n, 0)]
        shown_flat = sum(flat.get(n, 0) for n in nodes)
        cutoff = abs(int(shown_flat * node_fraction))
        dropped = 0
        if cutoff > 0:
            kept = {n for n in nodes if abs(cum[n]) >= cutoff}
            if len(kept) != len(nodes):
                dropped = len(nodes) - len(kept)
                flat, cum, edges = self.values(kept)
                nodes = [n for n in cum if cum[n] or flat.get(n, 0)]
        orig_count = len(nodes)
        nodes = self._sorted(nodes, flat, cum, cum_sort)
        if 0 < nodecount < len(nodes):
            kept = set(nodes[:nodecount])
            flat, cum, edges = self.values(kept)
            nodes = self._sorted([n for n in cum if cum[n] or flat.get(n, 0)], flat, cum, cum_sort)
        # pprof's last step drops light edges; that only shows here in the inline annotation
        edge_cutoff = abs(int(shown_flat * EDGE_FRACTION))
        edges = {k: e for k, e in edges.items() if abs(e[0]) >= edge_cutoff}
        into: dict[int, list[int]] = {}
        for (_, dst), e in edges.items():
            into.setdefault(dst, []).append(e[1])
        rows = tuple(self._row(n, flat, cum, into.get(n, [])) for n in nodes)
        return TopResult(rows, total, dropped, orig_count, node_fraction)

    def _sorted(self, nodes: list[int], flat: dict[int, int], cum: dict[int, int],
                cum_sort: bool = False) -> list[int]:
        """pprof's FlatNameOrder, or with ``cum_sort`` its CumNameOrder (|cum|, name, |flat|)."""
        keys = self.keys
        if cum_sort:
            return sorted(nodes, key=lambda n: (-abs(cum[n]), printable(keys[n]), -abs(flat.get(n, 0)), keys[n]))
        return sorted(nodes, key=lambda n: (-abs(flat.get(n, 0)), printable(keys[n]), -abs(cum[n]), keys[n]))

    def _row(self, n: int, flat: dict[int, int], cum: dict[int, int], ins: list[int]) -> Row:
        inline = ""
        if any(ins):
            inline = "(inline)" if all(ins) else "(partial-inline)"
        name, file, line = self.keys[n]
        return Row(printable(self.keys[n]), flat.get(n, 0), cum[n], Frame(name, file, line), inline=inline)


def _stack_rows(weights: dict[tuple[Location, ...], int], total: int, nodecount: int | None) -> TopResult:
    acc: dict[tuple[Frame, ...], int] = {}
    for locs, w in weights.items():
        fr = tuple(f for loc in locs for f in loc.frames)
        acc[fr] = acc.get(fr, 0) + w
    items = sorted(acc.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    rows = tuple(Row(";".join(f.function for f in reversed(fr)) or "<unknown>", v, v,
                     fr[0] if fr else None, fr) for fr, v in items if v)
    cut = rows[:nodecount] if nodecount else rows
    return TopResult(cut, total, 0, len(rows), 0.0)
