"""Comparing two profiles of the same process.

``subtract(new, base)`` is ``go tool pprof -base base new``: the base is scaled by -1 and merged
into new the way pprof's profile.Merge does (samples with the same locations and labels are
summed; samples that end up all zero disappear; earliest time, summed durations, largest period).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .goroutines import group_by_stack
from .model import DIFF_BASE_LABEL, Frame, Label, LazyColumns, Location, Profile, ProfileError, no_cyclic_gc


@dataclass(frozen=True, slots=True)
class GrowthSite:
    """An allocation stack whose live heap grew between two heap profiles."""

    function: str
    file: str
    line: int
    stack: list[Frame]  # leaf first
    delta_space: int  # inuse_space new - base, bytes
    delta_objects: int  # inuse_objects new - base
    new_space: int
    new_objects: int

    @property
    def objects_grew(self) -> bool:
        """Field guide 3.3: growth in bytes confirmed by growth in object count points at
        accumulation (a leak) rather than one buffer that got bigger."""
        return self.delta_objects > 0


@dataclass(frozen=True, slots=True)
class GoroutineGrowth:
    frames: tuple[Frame, ...]  # leaf first
    base_count: int
    new_count: int

    @property
    def delta(self) -> int:
        return self.new_count - self.base_count


def subtract(new: Profile, base: Profile, *, diff_base: bool = False) -> Profile:
    """new minus base, exactly as ``go tool pprof -base`` builds its profile. With
    ``diff_base``, as ``-diff_base`` does: the base's samples are marked (DIFF_BASE_LABEL), so
    they stay apart from new's, and ``Profile.total`` is then the base's total. Raises
    ProfileError if the two profiles have different sample or period types."""
    _check_compatible(new, base)
    with no_cyclic_gc():
        return _subtract(new, base, diff_base)


def _subtract(new: Profile, base: Profile, diff_base: bool = False) -> Profile:
    parts = (_Groups(new), _Groups(base, mark=diff_base))
    canon = _canonical_stacks(stack for part in parts for stack in part.stacks)
    # Each (stack, labels) group of either profile gets the index of its merged entry, in order
    # of first occurrence (new's groups, then base's). Keyed by the id of the canonical stack
    # (unique per content, kept alive by `canon`): hashing an int instead of a tuple of ~30
    # Locations is most of the win on big profiles.
    merged: dict[tuple[int, tuple[Label, ...]], int] = {}
    label_ids: dict[tuple[Label, ...], int] = {}
    stack_ids: dict[int, int] = {}
    stacks: list[tuple[Location, ...]] = []
    sid: list[int] = []  # per merged entry: index into `stacks` and into the label sets
    lid: list[int] = []
    for part in parts:
        for locations, labels in zip(part.stacks, part.labels, strict=True):
            stack = canon[id(locations)]
            key = (id(stack), labels)
            j = merged.get(key)
            if j is None:
                j = merged[key] = len(sid)
                k = stack_ids.get(id(stack))
                if k is None:
                    k = stack_ids[id(stack)] = len(stacks)
                    stacks.append(stack)
                sid.append(k)
                lid.append(label_ids.setdefault(labels, len(label_ids)))
            part.entry.append(j)
    size = len(sid)

    def make(index: int) -> list[int]:
        # new + (-1 * base), one value index, per merged entry
        acc = [0] * size
        plus, minus = parts
        for j, v in zip(plus.entry, plus.column(index), strict=True):
            acc[j] += v
        for j, v in zip(minus.entry, minus.column(index), strict=True):
            acc[j] -= v
        return acc

    columns = LazyColumns(len(new.sample_types), stacks, list(label_ids), sid, lid, make)
    times = [t for t in (new.time_nanos, base.time_nanos) if t]
    return Profile._from_columns(
        columns,
        sample_types=new.sample_types, mappings=new.mappings or base.mappings,
        period_type=new.period_type, period=max(new.period, base.period),
        duration_nanos=new.duration_nanos + base.duration_nanos, time_nanos=min(times, default=0),
        default_sample_type=new.default_sample_type or base.default_sample_type,
        comments=tuple(dict.fromkeys(new.comments + base.comments)),
        drop_frames=new.drop_frames, keep_frames=new.keep_frames,
    )


class _Groups:
    """A profile's samples grouped by (stack, labels), in order of first occurrence; merging
    them one by one would sum each group's values. ``column(index)`` sums one value index per
    group, only when asked. ``entry`` is filled by ``subtract``: each group's merged entry."""

    def __init__(self, profile: Profile, mark: bool = False) -> None:
        self.entry: list[int] = []
        self.cols = cols = profile._columns
        if cols is None:
            self.samples = samples = profile.samples
            self.stacks = [s.locations for s in samples]
            self.labels = [s.labels for s in samples]
        else:
            self.gid, g_sid, g_lid = cols.group_ids()
            self.stacks = list(map(cols.stacks.__getitem__, g_sid))
            self.labels = list(map(cols.label_sets.__getitem__, g_lid))
        if mark:  # pprof's SetLabel: replaces any pprof::base label the sample had
            self.labels = [tuple(lb for lb in labels if lb[0] != DIFF_BASE_LABEL[0]) + (DIFF_BASE_LABEL,)
                           for labels in self.labels]

    def column(self, index: int) -> list[int]:
        if self.cols is None:
            return [s.values[index] for s in self.samples]
        return self.cols.sums_by(self.gid, len(self.stacks), index)


def _canonical_stacks(stacks: Iterable[tuple[Location, ...]]) -> dict[int, tuple[Location, ...]]:
    """id of each stack tuple -> one shared tuple of canonical Locations (the first Location
    seen with each merge key), so equal stacks from both profiles become the same object. The
    profiles keep the keyed tuples alive, so their ids stay valid; parse() shares one tuple per
    distinct stack, so this runs once per stack, not per sample."""
    by_key: dict[tuple[object, ...], Location] = {}
    canon_loc: dict[Location, Location] = {}
    unique: dict[tuple[Location, ...], tuple[Location, ...]] = {}
    canon: dict[int, tuple[Location, ...]] = {}
    for locations in stacks:
        if id(locations) in canon:
            continue
        for loc in locations:
            if loc not in canon_loc:
                canon_loc[loc] = by_key.setdefault(loc.merge_key, loc)
        stack = tuple(map(canon_loc.__getitem__, locations))
        canon[id(locations)] = unique.setdefault(stack, stack)
    return canon


def _by_frames(profile: Profile, space: int, objects: int) -> dict[tuple[Frame, ...], list[int]]:
    # Sum per location tuple first (cheap identity hashing), then expand frames once per stack.
    cols = profile._columns
    per_stack: dict[tuple[Location, ...], list[int]] = {}
    if cols is not None:
        per_stack = {st: [sp, ob] for st, sp, ob in zip(cols.stacks, cols.stack_sums(space),
                                                         cols.stack_sums(objects), strict=True)}
    else:
        for s in profile.samples:
            acc = per_stack.get(s.locations)
            if acc is None:
                per_stack[s.locations] = [s.values[space], s.values[objects]]
            else:
                acc[0] += s.values[space]
                acc[1] += s.values[objects]
    out: dict[tuple[Frame, ...], list[int]] = {}
    for locs, (sp, ob) in per_stack.items():
        frames = tuple(f for loc in locs for f in loc.frames)
        acc = out.setdefault(frames, [0, 0])
        acc[0] += sp
        acc[1] += ob
    return out


def _same_type(a: tuple[str, str], b: tuple[str, str]) -> bool:
    # pprof tolerates a trailing "s" on the type ("goroutine" vs "goroutines")
    return a[0].removesuffix("s") == b[0].removesuffix("s") and a[1] == b[1]


def _check_compatible(new: Profile, base: Profile) -> None:
    if len(new.sample_types) != len(base.sample_types) or not all(
            _same_type(a, b) for a, b in zip(new.sample_types, base.sample_types, strict=True)):
        raise ProfileError(f"cannot subtract profiles of different sample types: "
                           f"{list(new.sample_types)} vs {list(base.sample_types)}")
    if new.period_type and base.period_type and not _same_type(new.period_type, base.period_type):
        raise ProfileError(f"cannot subtract profiles of different period types: "
                           f"{new.period_type} vs {base.period_type}")


def growth(base: Profile, new: Profile, limit: int = 20) -> list[GrowthSite]:
    """Heap allocation stacks whose in-use bytes grew, biggest first, each cross-checked with
    its in-use object delta. Raises ProfileError unless both are heap profiles."""
    _check_compatible(new, base)
    with no_cyclic_gc():
        return _growth(base, new, limit)


def _growth(base: Profile, new: Profile, limit: int) -> list[GrowthSite]:
    space, objects = new.index_of("inuse_space"), new.index_of("inuse_objects")
    # Summed per stack, new - base is exactly what subtract() then grouping would give, without
    # building the merged profile.
    newest = _by_frames(new, space, objects)
    deltas = {fr: list(v) for fr, v in newest.items()}
    for fr, (sp, ob) in _by_frames(base, space, objects).items():
        acc = deltas.setdefault(fr, [0, 0])
        acc[0] -= sp
        acc[1] -= ob
    growing = sorted(((fr, d) for fr, d in deltas.items() if d[0] > 0 and fr),
                     key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    out = []
    for frames, (d_space, d_objects) in growing[:limit]:
        leaf = frames[0]
        n_space, n_objects = newest.get(frames, [0, 0])
        out.append(GrowthSite(leaf.function, leaf.file, leaf.line, list(frames), d_space, d_objects,
                              n_space, n_objects))
    return out


def stack_deltas(base: Profile, new: Profile, limit: int = 400) -> list[tuple[tuple[Frame, ...], int]]:
    """Every heap stack (frames leaf first) whose in-use bytes changed, in either direction,
    biggest change first, at most ``limit``: what a diff flame graph draws."""
    _check_compatible(new, base)
    with no_cyclic_gc():
        space, objects = new.index_of("inuse_space"), new.index_of("inuse_objects")
        deltas = {fr: v[0] for fr, v in _by_frames(new, space, objects).items()}
        for fr, (sp, _) in _by_frames(base, space, objects).items():
            deltas[fr] = deltas.get(fr, 0) - sp
    changed = sorted(((fr, d) for fr, d in deltas.items() if d and fr), key=lambda kv: (-abs(kv[1]), kv[0]))
    return changed[:limit]


def goroutine_growth(base: Profile, new: Profile, limit: int = 20) -> list[GoroutineGrowth]:
    """Goroutine stacks (from two goroutine profiles) whose count grew, biggest growth first."""
    before = {g.frames: g.count for g in group_by_stack(base)}
    grown = [GoroutineGrowth(g.frames, before.get(g.frames, 0), g.count) for g in group_by_stack(new)]
    grown = [g for g in grown if g.delta > 0]
    grown.sort(key=lambda g: (-g.delta, -g.new_count, g.frames))
    return grown[:limit]
