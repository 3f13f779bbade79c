"""Plain, immutable profile data: what `_proto` produces and everything else consumes.

Nothing here knows about protobuf. Locations keep their inlined frames in pprof order (leaf-most
first, the function the others were inlined into last), and samples keep their locations
leaf-first, so ``Sample.frames`` reads like a Go traceback.
"""

from __future__ import annotations

import gc
import itertools
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress, count, repeat
from typing import Any

LabelValue = str | int
# (key, value, unit): unit is "" for string labels and for numeric labels without one.
Label = tuple[str, LabelValue, str]


#: pprof's mark on the samples of a ``-diff_base`` profile (profile.Sample.DiffBaseSample).
DIFF_BASE_LABEL: Label = ("pprof::base", "true", "")


class ProfileError(Exception):
    """The one exception the engine raises for any bad input: unreadable bytes, a broken profile,
    a sample index that does not exist, profiles that cannot be compared. The message says what
    is wrong."""


@dataclass(frozen=True, slots=True, order=True)
class Frame:
    """One source position; for an inlined call there is one Frame per inlining level."""

    function: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.function} {self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Mapping:
    start: int
    limit: int
    offset: int
    file: str
    build_id: str


# eq=False: a Location is compared and hashed by identity. Stacks are tuples of Locations and
# are hashed millions of times on big profiles; field-wise hashing made that the bottleneck.
# Across profiles, use ``merge_key``.
@dataclass(frozen=True, slots=True, eq=False)
class Location:
    """A program counter with its (possibly inlined) frames, leaf-most first."""

    id: int
    address: int
    mapping: Mapping | None
    frames: tuple[Frame, ...]
    is_folded: bool = False

    @property
    def merge_key(self) -> tuple[object, ...]:
        """Identity across two profiles of the same binary, as pprof's merge uses it: the address
        relative to its mapping (so ASLR does not matter) plus the frames."""
        if self.mapping is None:
            return (self.address, None, self.frames, self.is_folded)
        m = self.mapping
        return (self.address - m.start, (m.file, m.build_id, m.limit - m.start, m.offset),
                self.frames, self.is_folded)


@dataclass(frozen=True, slots=True)
class Sample:
    values: tuple[int, ...]
    locations: tuple[Location, ...]  # leaf first
    labels: tuple[Label, ...] = ()

    @property
    def frames(self) -> tuple[Frame, ...]:
        """Every frame of the stack, leaf first, inlined frames expanded."""
        return tuple(itertools.chain.from_iterable(loc.frames for loc in self.locations))


class Columns:
    """The samples of a parsed profile, column-wise: per sample an index into ``stacks`` and
    into ``label_sets`` (each distinct stack and label set exists once, as one shared tuple) and
    its values, flat (``values[i * n_types + k]`` is value k of sample i).

    ``parse`` builds this instead of a million ``Sample`` objects: top, subtract and growth only
    need sums per distinct stack, which are computed from the columns; ``Profile.samples`` is
    made from them on first use, equal to what a sample-by-sample parse gives. Internal."""

    __slots__ = ("n_types", "stacks", "label_sets", "sid", "lid", "values")

    def __init__(self, n_types: int, stacks: list[tuple[Location, ...]], label_sets: list[tuple[Label, ...]],
                 sid: list[int], lid: list[int], values: list[int]) -> None:
        self.n_types = n_types
        self.stacks = stacks  # distinct, no two equal
        self.label_sets = label_sets  # distinct, no two equal
        self.sid = sid
        self.lid = lid
        self.values = values

    def column(self, index: int) -> list[int]:
        return self.values[index::self.n_types]

    def samples(self) -> tuple[Sample, ...]:
        it = iter(self.values)
        values: Iterator[tuple[int, ...]] = zip(*repeat(it, self.n_types), strict=False)
        return tuple(map(Sample, values, map(self.stacks.__getitem__, self.sid),
                         map(self.label_sets.__getitem__, self.lid)))

    def stack_sums(self, index: int) -> list[int]:
        """Sum of value ``index`` per stack id."""
        acc = [0] * len(self.stacks)
        for k, v in zip(self.sid, self.column(index), strict=True):
            acc[k] += v
        return acc

    def stack_weights(self, index: int) -> dict[tuple[Location, ...], int]:
        """stack -> summed value, for the stacks with at least one non-zero value, in the order
        they first have one (what summing sample by sample, skipping zeros, gives)."""
        col = self.column(index)
        acc = [0] * len(self.stacks)
        for k, v in zip(self.sid, col, strict=True):
            acc[k] += v
        stacks = self.stacks
        return {stacks[k]: acc[k] for k in dict.fromkeys(compress(self.sid, col))}

    def group_ids(self) -> tuple[list[int], list[int], list[int]]:
        """Samples grouped by (stack id, label set id), groups numbered in order of first
        occurrence: per sample its group, and per group its stack id and label set id."""
        n_labels = len(self.label_sets)
        keys = list(map(operator.add, map(operator.mul, self.sid, repeat(n_labels)), self.lid)) \
            if n_labels > 1 else self.sid
        index = dict(zip(dict.fromkeys(keys), count(), strict=False))
        gid = list(map(index.__getitem__, keys))
        if n_labels > 1:
            return gid, [k // n_labels for k in index], [k % n_labels for k in index]
        return gid, list(index), [0] * len(index)

    def sums_by(self, ids: list[int], size: int, index: int) -> list[int]:
        """Sum of value ``index`` per id, for ids (one per sample) in range(size)."""
        acc = [0] * size
        for k, v in zip(ids, self.column(index), strict=True):
            acc[k] += v
        return acc


class LazyColumns(Columns):
    """Columns whose values are made one value index at a time, when first asked for, by
    ``make(index)`` (one value per entry of ``sid``/``lid``): what ``subtract`` returns, as
    ``goleak top --base`` needs one value index of four. Until every value is needed, entries
    whose values are all zero are still there; they add nothing to a sum or a weight, and are
    dropped (as pprof's merge drops them) when the values are made, before ``samples``,
    ``stack_sums`` or grouping can see them. Internal."""

    __slots__ = ("_make", "_made", "_done")

    def __init__(self, n_types: int, stacks: list[tuple[Location, ...]], label_sets: list[tuple[Label, ...]],
                 sid: list[int], lid: list[int], make: Callable[[int], list[int]]) -> None:
        super().__init__(n_types, stacks, label_sets, sid, lid, [])
        self._make: Callable[[int], list[int]] | None = make
        self._made: dict[int, list[int]] = {}
        self._done = False

    def column(self, index: int) -> list[int]:
        if self._done:
            return super().column(index)
        col = self._made.get(index)
        if col is None:
            assert self._make is not None
            col = self._made[index] = self._make(index)
        return col

    def finish(self) -> None:
        """Make every value, drop the all-zero entries and the stacks and label sets only they used."""
        if self._done:
            return
        cols = [self.column(i) for i in range(self.n_types)]
        keep = list(map(any, zip(*cols, strict=True))) if cols else [False] * len(self.sid)
        sid, lid = list(compress(self.sid, keep)), list(compress(self.lid, keep))
        cols = [list(compress(col, keep)) for col in cols]
        self.values = list(itertools.chain.from_iterable(zip(*cols, strict=True)))
        self.sid, self.stacks = _compact(sid, self.stacks)
        self.lid, self.label_sets = _compact(lid, self.label_sets)
        self._done = True
        self._made.clear()
        self._make = None  # let go of the profiles it sums

    def samples(self) -> tuple[Sample, ...]:
        self.finish()
        return super().samples()

    def stack_sums(self, index: int) -> list[int]:
        self.finish()
        return super().stack_sums(index)

    def group_ids(self) -> tuple[list[int], list[int], list[int]]:
        self.finish()
        return super().group_ids()


def _compact(ids: list[int], objs: list[Any]) -> tuple[list[int], list[Any]]:
    """Renumber ids (first-seen order) to the objects they use, dropping the unused ones."""
    used = dict(zip(dict.fromkeys(ids), count(), strict=False))
    return list(map(used.__getitem__, ids)), list(map(objs.__getitem__, used))


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building big acyclic structures: with millions
    of live objects, its full collections cost seconds and can free nothing. Reference counting
    still frees everything; the collector is re-enabled (if it was enabled) on the way out."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True, slots=True)
class Profile:
    sample_types: tuple[tuple[str, str], ...]  # (type, unit), e.g. ("inuse_space", "bytes")
    samples: tuple[Sample, ...]
    mappings: tuple[Mapping, ...] = ()
    period_type: tuple[str, str] | None = None
    period: int = 0
    duration_nanos: int = 0
    time_nanos: int = 0
    default_sample_type: str = ""
    comments: tuple[str, ...] = ()
    drop_frames: str = ""
    keep_frames: str = ""
    # Set by parse(), which then leaves ``samples`` unset: it is made from the columns on first
    # access (see __getattr__). None for profiles built from Sample objects.
    _columns: Columns | None = field(default=None, init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> object:
        # Only reached for an attribute that is not set: ``samples`` of a parsed profile.
        if name == "samples":
            cols = object.__getattribute__(self, "_columns")
            if cols is not None:
                samples = cols.samples()
                object.__setattr__(self, "samples", samples)
                return samples
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def _from_columns(cls, columns: Columns, **fields: object) -> Profile:
        """A Profile whose samples are made from ``columns`` when first asked for."""
        prof = object.__new__(cls)
        for name in _PROFILE_FIELDS:
            object.__setattr__(prof, name, fields.get(name, _PROFILE_DEFAULTS.get(name)))
        object.__setattr__(prof, "_columns", columns)
        return prof

    def stack_weights(self, index: int) -> dict[tuple[Location, ...], int]:
        """Per distinct stack, the sum of value ``index`` over its samples with a non-zero value
        (stacks without one are left out), in order of first such sample."""
        if self._columns is not None:
            return self._columns.stack_weights(index)
        acc: dict[tuple[Location, ...], int] = {}
        get = acc.get
        for s in self.samples:
            v = s.values[index]
            if v:
                acc[s.locations] = get(s.locations, 0) + v
        return acc

    def index_of(self, name: str | None = None) -> int:
        """The value index for a sample type, resolved like ``go tool pprof -sample_index``:
        a type name, ``inuse_X`` for a type ``X``, or a number; None or "" means the profile's
        default_sample_type, else the last type. Raises ProfileError if there is no such type."""
        types = [t for t, _ in self.sample_types]
        if not name:
            if self.default_sample_type in types:
                return types.index(self.default_sample_type)
            return len(types) - 1
        if name.isdigit():
            if int(name) < len(types):
                return int(name)
            raise ProfileError(f"sample index {name} is outside the range [0..{len(types) - 1}]")
        bare = name.removeprefix("inuse_")
        for i, t in enumerate(types):
            if t in (name, bare):
                return i
        raise ProfileError(f"sample type {name!r} is not in this profile; it has: {', '.join(types)}")

    def total(self, index: int) -> int:
        """The total pprof reports for a value index: the sum of absolute sample values, so a
        ``-base`` diff's total is the amount of change in both directions. When samples carry
        the ``-diff_base`` mark (:data:`DIFF_BASE_LABEL`), only theirs count: pprof then shows
        percentages relative to the base profile (report.computeTotal)."""
        if self._columns is not None:
            cols = self._columns
            col = cols.column(index)
            marked = [DIFF_BASE_LABEL in labels for labels in cols.label_sets]
            if any(marked):
                base = sum(abs(v) for k, v in zip(cols.lid, col, strict=True) if marked[k])
                if base:
                    return base
            return sum(map(abs, col))
        base = sum(abs(s.values[index]) for s in self.samples if DIFF_BASE_LABEL in s.labels)
        return base or sum(abs(s.values[index]) for s in self.samples)

    def net(self, index: int) -> int:
        """Signed sum of a value index: for ``subtract(new, base)`` the net growth."""
        if self._columns is not None:
            return sum(self._columns.column(index))
        return sum(s.values[index] for s in self.samples)

    def unit_of(self, index: int) -> str:
        return self.sample_types[index][1]


_PROFILE_FIELDS = ("sample_types", "mappings", "period_type", "period", "duration_nanos", "time_nanos",
                   "default_sample_type", "comments", "drop_frames", "keep_frames")
_PROFILE_DEFAULTS: dict[str, object] = {"mappings": (), "period_type": None, "period": 0, "duration_nanos": 0,
                                        "time_nanos": 0, "default_sample_type": "", "comments": (),
                                        "drop_frames": "", "keep_frames": ""}
