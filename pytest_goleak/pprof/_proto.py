"""Bytes <-> Profile. The only module that imports the generated protobuf code.

Everything is converted to the plain dataclasses of ``model`` here, with string_table indices
resolved, so no protobuf object escapes and the rest of the engine never sees an index.
"""

from __future__ import annotations

import operator
import zlib
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import DecodeError

from . import profile_pb2
from .model import Frame, Label, Location, Mapping, Profile, ProfileError, Sample

GZIP_MAGIC = b"\x1f\x8b"
# A profile that inflates past this is a decompression bomb, not something Go wrote.
MAX_INFLATED = 2 << 30


def parse(data: bytes) -> Profile:
    """Parse a pprof profile, gzipped (told apart by its magic bytes) or raw protobuf.

    Raises ProfileError, saying what is wrong, for: empty input; truncated or corrupt gzip;
    bytes that are not a protobuf Profile (random bytes, text, a huge varint); a profile
    without sample types; string, location, function or mapping references that point
    nowhere; samples whose value count does not match the sample types.
    """
    if not data:
        raise ProfileError("empty input (0 bytes): not a pprof profile")
    raw = _gunzip(data) if data[:2] == GZIP_MAGIC else bytes(data)
    msg = profile_pb2.Profile()
    try:
        msg.ParseFromString(raw)
    except (DecodeError, RuntimeError, ValueError) as err:
        what = "gzip content" if data[:2] == GZIP_MAGIC else "data (not gzip either)"
        raise ProfileError(f"{what} is not a protobuf pprof profile: {err}") from None
    return _convert(msg)


def _gunzip(data: bytes) -> bytes:
    # zlib directly rather than the gzip module: it reports truncation precisely and lets us cap
    # the inflated size. Concatenated gzip members are legal and are all inflated.
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            chunk = d.decompress(rest, MAX_INFLATED + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > MAX_INFLATED:
                raise ProfileError(f"gzip data inflates past {MAX_INFLATED >> 30} GiB: refusing it")
            if not d.eof:
                raise ProfileError(f"truncated gzip data: the stream ends early after {len(data)} bytes")
            rest = d.unused_data
            if rest[:2] != GZIP_MAGIC:
                break  # trailing garbage after the last member is ignored, as gzip(1) does
    except zlib.error as err:
        raise ProfileError(f"corrupt gzip data: {err}") from None
    return b"".join(out)


class _Strings:
    """string_table access with a clear error for an index that points nowhere."""

    def __init__(self, table: Sequence[str]) -> None:
        self.table = list(table)

    def __call__(self, index: int, what: str) -> str:
        if 0 <= index < len(self.table):
            return self.table[index]
        raise ProfileError(f"{what} refers to string {index}, but the string table has {len(self.table)}")


def _convert(msg: Any) -> Profile:
    if not msg.sample_type:
        raise ProfileError("profile has no sample types (an empty or non-profile input)")
    if msg.string_table and msg.string_table[0] != "":
        raise ProfileError("string table entry 0 must be the empty string; this is not a pprof profile")
    s = _Strings(msg.string_table)
    sample_types = tuple((s(v.type, "sample type"), s(v.unit, "sample unit")) for v in msg.sample_type)
    mappings = {m.id: _mapping(m, s) for m in msg.mapping}
    functions = {f.id: (s(f.name, "function name"), s(f.filename, "function file")) for f in msg.function}
    locations = {loc.id: _location(loc, functions, mappings) for loc in msg.location}
    return Profile(
        sample_types=sample_types,
        samples=_samples(msg.sample, locations, len(sample_types), s),
        mappings=tuple(mappings.values()),
        period_type=(s(msg.period_type.type, "period type"), s(msg.period_type.unit, "period unit"))
        if msg.HasField("period_type") else None,
        period=msg.period,
        duration_nanos=msg.duration_nanos,
        time_nanos=msg.time_nanos,
        default_sample_type=s(msg.default_sample_type, "default sample type"),
        comments=tuple(s(c, "comment") for c in msg.comment),
        drop_frames=s(msg.drop_frames, "drop_frames"),
        keep_frames=s(msg.keep_frames, "keep_frames"),
    )


def _mapping(m: Any, s: _Strings) -> Mapping:
    return Mapping(start=m.memory_start, limit=m.memory_limit, offset=m.file_offset,
                   file=s(m.filename, "mapping file"), build_id=s(m.build_id, "mapping build id"))


def _location(loc: Any, functions: dict[int, tuple[str, str]], mappings: dict[int, Mapping]) -> Location:
    frames = []
    for ln in loc.line:
        fn = functions.get(ln.function_id)
        if fn is None:
            raise ProfileError(f"location {loc.id} refers to function {ln.function_id}, which does not exist")
        frames.append(Frame(fn[0], fn[1], ln.line))
    mapping = None
    if loc.mapping_id:
        mapping = mappings.get(loc.mapping_id)
        if mapping is None:
            raise ProfileError(f"location {loc.id} refers to mapping {loc.mapping_id}, which does not exist")
    return Location(id=loc.id, address=loc.address, mapping=mapping, frames=tuple(frames),
                    is_folded=loc.is_folded)


def _samples(samples: Any, locations: dict[int, Location], n_types: int, s: _Strings) -> tuple[Sample, ...]:
    # The hot loop of the engine for big profiles. Stacks and label sets repeat a lot (same
    # stack, different allocation sizes), so both are converted once and shared: less work and
    # less memory, and identical stacks are the identical tuple.
    out = []
    stacks: dict[tuple[int, ...], tuple[Location, ...]] = {}
    label_sets: dict[tuple[tuple[int, int, int, int], ...], tuple[Label, ...]] = {}
    get = locations.__getitem__
    for i, sm in enumerate(samples):
        values = tuple(sm.value)
        if len(values) != n_types:
            raise ProfileError(f"sample {i} has {len(values)} values but the profile has "
                               f"{n_types} sample types")
        ids = tuple(sm.location_id)
        locs = stacks.get(ids)
        if locs is None:
            try:
                locs = stacks[ids] = tuple(map(get, ids))
            except KeyError as err:
                raise ProfileError(f"sample {i} refers to location {err.args[0]}, "
                                   "which does not exist") from None
        labels: tuple[Label, ...] = ()
        labs = sm.label
        if labs:
            # Go heap samples carry exactly one label ("bytes"): skip the generator for it.
            raw = (_label_fields(labs[0]),) if len(labs) == 1 else tuple(map(_label_fields, labs))
            labels = label_sets.get(raw) or label_sets.setdefault(raw, _labels(raw, s))
        out.append(Sample(values, locs, labels))
    return tuple(out)


_label_fields = operator.attrgetter("key", "str", "num", "num_unit")


def _labels(raw: tuple[tuple[int, int, int, int], ...], s: _Strings) -> tuple[Label, ...]:
    out: list[Label] = []
    for key_i, str_i, num, unit_i in raw:
        key = s(key_i, "label key")
        if str_i:
            out.append((key, s(str_i, "label value"), ""))
        else:
            out.append((key, num, s(unit_i, "label unit")))
    return tuple(out)


def encode(profile: Profile, compress: bool = True) -> bytes:
    """Serialize a Profile back to pprof protobuf (gzipped by default), e.g. to write a
    ``subtract`` result or a synthetic profile. Inverse of ``parse`` up to ids and table order."""
    msg = _Encoder(profile).message()
    raw: bytes = msg.SerializeToString()
    if not compress:
        return raw
    c = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
    return c.compress(raw) + c.flush()


class _Encoder:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.msg = profile_pb2.Profile()
        self.strings: dict[str, int] = {"": 0}
        self.functions: dict[tuple[str, str], int] = {}
        self.locations: dict[int, int] = {}  # id(Location) -> location id
        self.mappings: dict[Mapping, int] = {}

    def s(self, text: str) -> int:
        idx = self.strings.get(text)
        if idx is None:
            idx = self.strings[text] = len(self.strings)
        return idx

    def message(self) -> Any:
        p, msg = self.profile, self.msg
        for t, u in p.sample_types:
            msg.sample_type.add(type=self.s(t), unit=self.s(u))
        for m in p.mappings:
            self.mapping(m)
        for sm in p.samples:
            out = msg.sample.add(value=sm.values, location_id=[self.location(loc) for loc in sm.locations])
            for key, value, unit in sm.labels:
                if isinstance(value, str):
                    out.label.add(key=self.s(key), str=self.s(value))
                else:
                    out.label.add(key=self.s(key), num=value, num_unit=self.s(unit))
        if p.period_type:
            msg.period_type.type, msg.period_type.unit = self.s(p.period_type[0]), self.s(p.period_type[1])
        msg.period, msg.duration_nanos, msg.time_nanos = p.period, p.duration_nanos, p.time_nanos
        msg.default_sample_type = self.s(p.default_sample_type)
        msg.comment.extend(self.s(c) for c in p.comments)
        msg.drop_frames, msg.keep_frames = self.s(p.drop_frames), self.s(p.keep_frames)
        msg.string_table.extend(self.strings)  # dicts keep insertion order: index order
        return msg

    def mapping(self, m: Mapping) -> int:
        mid = self.mappings.get(m)
        if mid is None:
            mid = self.mappings[m] = len(self.mappings) + 1
            self.msg.mapping.add(id=mid, memory_start=m.start, memory_limit=m.limit, file_offset=m.offset,
                                 filename=self.s(m.file), build_id=self.s(m.build_id),
                                 has_functions=True, has_filenames=True, has_line_numbers=True)
        return mid

    def location(self, loc: Location) -> int:
        lid = self.locations.get(id(loc))
        if lid is not None:
            return lid
        lid = self.locations[id(loc)] = len(self.locations) + 1
        out = self.msg.location.add(id=lid, address=loc.address, is_folded=loc.is_folded,
                                    mapping_id=self.mapping(loc.mapping) if loc.mapping else 0)
        for f in loc.frames:
            fid = self.functions.get((f.function, f.file))
            if fid is None:
                fid = self.functions[(f.function, f.file)] = len(self.functions) + 1
                self.msg.function.add(id=fid, name=self.s(f.function), system_name=self.s(f.function),
                                      filename=self.s(f.file))
            out.line.add(function_id=fid, line=f.line)
        return lid
