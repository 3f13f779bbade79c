"""Plain, immutable profile data: what `_proto` produces and everything else consumes.

Nothing here knows about protobuf. Locations keep their inlined frames in pprof order (leaf-most
first, the function the others were inlined into last), and samples keep their locations
leaf-first, so ``Sample.frames`` reads like a Go traceback.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

LabelValue = str | int
# (key, value, unit): unit is "" for string labels and for numeric labels without one.
Label = tuple[str, LabelValue, str]


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
        diff profile's total is the amount of change in both directions."""
        return sum(abs(s.values[index]) for s in self.samples)

    def net(self, index: int) -> int:
        """Signed sum of a value index: for ``subtract(new, base)`` the net growth."""
        return sum(s.values[index] for s in self.samples)

    def unit_of(self, index: int) -> str:
        return self.sample_types[index][1]
