"""Bytes <-> Profile. The only module that imports the generated protobuf code.

Everything is converted to the plain dataclasses of ``model`` here, with string_table indices
resolved, so no protobuf object escapes and the rest of the engine never sees an index.

Big profiles hold a million samples, and making Python objects for each one is what costs
(about 9 µs a sample). So ``parse`` first reads the profile through a "view" of the schema in
which each sample is left as its raw bytes, and splits all samples at once, with C-level
operations only (upb, ``map``, ``bytes.join``): one concatenated parse gives every sample's
packed ``location_id`` and ``value`` runs; stacks and label sets are then decoded once per
distinct byte string, and the values in one bulk decode. The result is ``model.Columns``.
That fast path accepts only the layout Go writes (location_id packed, then value packed, then
labels) and checks it byte for byte; anything else (unpacked fields, other field orders, Go's
two-values-or-fewer profiles, damage) goes through the sample-by-sample path, which is also
what reports every error, so errors are exactly the same either way.
"""

from __future__ import annotations

import operator
import re
import zlib
from collections.abc import Sequence
from itertools import accumulate, chain, count, repeat
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet

from ..run.limits import cap
from . import profile_pb2
from .model import Columns, Frame, Label, Location, Mapping, Profile, ProfileError, no_cyclic_gc

GZIP_MAGIC = b"\x1f\x8b"


def parse(data: bytes, max_inflated: int | None = None) -> Profile:
    """Parse a pprof profile, gzipped (told apart by its magic bytes) or raw protobuf.

    Raises ProfileError, saying what is wrong, for: empty input; truncated or corrupt gzip;
    bytes that are not a protobuf Profile (random bytes, text, a huge varint); a profile
    without sample types; string, location, function or mapping references that point
    nowhere; samples whose value count does not match the sample types.
    """
    if not data:
        raise ProfileError("empty input (0 bytes): not a pprof profile")
    # A profile that inflates past the cap (GOLEAK_MAX_PROFILE_BYTES) is a decompression bomb.
    raw = _gunzip(data, max_inflated) if data[:2] == GZIP_MAGIC else bytes(data)
    with no_cyclic_gc():  # millions of acyclic objects: the cyclic GC only costs here
        return _parse(data, raw)


def _parse(data: bytes, raw: bytes) -> Profile:
    view = _view()
    try:
        msg = view.Profile.FromString(raw)
        return _convert(msg, _columns_fast(msg.sample, len(msg.sample_type), view))
    except Exception:  # noqa: BLE001 - _NotFast or damage: the general path decides and says what is wrong
        pass
    msg = profile_pb2.Profile()
    try:
        msg.ParseFromString(raw)
    except (DecodeError, RuntimeError, ValueError) as err:
        what = "gzip content" if data[:2] == GZIP_MAGIC else "data (not gzip either)"
        raise ProfileError(f"{what} is not a protobuf pprof profile: {err}") from None
    return _convert(msg, None)


def _gunzip(data: bytes, limit: int | None = None) -> bytes:
    limit = limit or cap("profile")
    # zlib directly rather than the gzip module: it reports truncation precisely and lets us cap
    # the inflated size. Concatenated gzip members are legal and are all inflated.
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            chunk = d.decompress(rest, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                raise ProfileError(f"gzip data inflates past {limit} bytes (GOLEAK_MAX_PROFILE_BYTES): refusing it")
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


def _convert(msg: Any, fast: _FastColumns | None) -> Profile:
    if not msg.sample_type:
        raise ProfileError("profile has no sample types (an empty or non-profile input)")
    if msg.string_table and msg.string_table[0] != "":
        raise ProfileError("string table entry 0 must be the empty string; this is not a pprof profile")
    s = _Strings(msg.string_table)
    sample_types = tuple((s(v.type, "sample type"), s(v.unit, "sample unit")) for v in msg.sample_type)
    mappings = {m.id: _mapping(m, s) for m in msg.mapping}
    functions = {f.id: (s(f.name, "function name"), s(f.filename, "function file")) for f in msg.function}
    locations = {loc.id: _location(loc, functions, mappings) for loc in msg.location}
    if fast is None:
        columns = _columns(msg.sample, locations, len(sample_types), s)
    else:
        columns = fast.resolve(locations, s)
    return Profile._from_columns(
        columns,
        sample_types=sample_types,
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


def _columns(samples: Any, locations: dict[int, Location], n_types: int, s: _Strings) -> Columns:
    # The general path: sample by sample, through the full protobuf objects.
    stack_ids: dict[tuple[int, ...], int] = {}
    stacks: list[tuple[Location, ...]] = []
    label_ids: dict[tuple[tuple[int, int, int, int], ...], int] = {}
    label_sets: list[tuple[Label, ...]] = []
    sid: list[int] = []
    lid: list[int] = []
    values: list[int] = []
    get = locations.__getitem__
    for i, sm in enumerate(samples):
        vals = sm.value
        if len(vals) != n_types:
            raise ProfileError(f"sample {i} has {len(vals)} values but the profile has "
                               f"{n_types} sample types")
        values.extend(vals)
        ids = tuple(sm.location_id)
        k = stack_ids.get(ids)
        if k is None:
            try:
                stacks.append(tuple(map(get, ids)))
            except KeyError as err:
                raise ProfileError(f"sample {i} refers to location {err.args[0]}, "
                                   "which does not exist") from None
            k = stack_ids[ids] = len(stacks) - 1
        sid.append(k)
        labs = sm.label
        # Go heap samples carry exactly one label ("bytes"): skip the generator for it.
        raw = (_label_fields(labs[0]),) if len(labs) == 1 else tuple(map(_label_fields, labs))
        k = label_ids.get(raw)
        if k is None:
            label_sets.append(_labels(raw, s))
            k = label_ids[raw] = len(label_sets) - 1
        lid.append(k)
    return Columns(n_types, stacks, label_sets, sid, lid, values)


# --- the fast path -----------------------------------------------------------------------------

class _NotFast(Exception):
    """The samples are not in the layout the fast path reads; use the general path."""


class _View:
    """Message classes of a private copy of profile.proto in which Profile.sample is ``bytes``,
    plus two helpers: SampleCat (every field of many concatenated samples, as raw runs) and
    Values (a packed int64 run)."""

    def __init__(self) -> None:
        fdp = descriptor_pb2.FileDescriptorProto.FromString(profile_pb2.DESCRIPTOR.serialized_pb)
        field = descriptor_pb2.FieldDescriptorProto
        profile = next(m for m in fdp.message_type if m.name == "Profile")
        sample = next(f for f in profile.field if f.name == "sample")
        sample.type = field.TYPE_BYTES
        sample.ClearField("type_name")
        cat = fdp.message_type.add(name="GoleakSampleCat")
        for name, number in (("location_id", 1), ("value", 2), ("label", 3)):
            cat.field.add(name=name, number=number, type=field.TYPE_BYTES, label=field.LABEL_REPEATED)
        fdp.message_type.add(name="GoleakValues").field.add(
            name="v", number=1, type=field.TYPE_INT64, label=field.LABEL_REPEATED)
        pool = descriptor_pool.DescriptorPool()
        pool.AddSerializedFile(fdp.SerializeToString())

        def cls(name: str) -> Any:
            return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{fdp.package}.{name}"))

        self.Profile, self.SampleCat, self.Values = cls("Profile"), cls("GoleakSampleCat"), cls("GoleakValues")
        self.unknown_fields = UnknownFieldSet
        # "tag + length" prefixes by length, for location_id (1), value (2) and label (3) runs,
        # and the encoded size of such a field by content length; made up to the longest run
        # seen (see ``ensure``): a small profile should not pay for 3 x 16,384 of them.
        self.heads: list[list[bytes]] = [[], [], []]
        self.field_size: list[int] = []

    def ensure(self, longest: int) -> None:
        """Extend ``heads`` and ``field_size`` to cover runs of up to ``longest`` (< _MAX_RUN) bytes.
        The lists are replaced, never changed in place, so parses in other threads stay right."""
        start = len(self.field_size)
        if longest < start:
            return
        stop = max(longest + 1, 0x80)
        # lengths below _MAX_RUN take one or two varint bytes
        self.heads = [heads + [bytes((tag, n)) if n < 0x80 else bytes((tag, n & 0x7F | 0x80, n >> 7))
                               for n in range(len(heads), stop)]
                      for tag, heads in zip((0x0A, 0x12, 0x1A), self.heads, strict=True)]
        self.field_size = self.field_size + [n + (2 if n < 0x80 else 3) for n in range(start, stop)]


_MAX_RUN = 1 << 14  # longer runs (stacks of over 5,000 frames) take the general path
_VIEW: _View | None = None
_NOT_LF = re.compile(rb"[^\n]")  # a sample that does not start with a packed location_id run
_TERMINAL = bytes(range(256)), bytes(range(0x80, 0x100))  # translate args: keep last varint bytes


def _view() -> _View:
    global _VIEW
    if _VIEW is None:
        _VIEW = _View()
    return _VIEW


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class _FastColumns:
    """Samples split by the fast path; ``resolve`` turns them into Columns once locations and
    strings are known."""

    def __init__(self, n_types: int, loc_runs: list[bytes], label_runs: list[bytes], values: list[int],
                 one_label: bool = False) -> None:
        self.n_types, self.loc_runs, self.label_runs, self.values = n_types, loc_runs, label_runs, values
        # one_label: each label run is one bare Label message (without its field tag and length)
        self.one_label = one_label

    def resolve(self, locations: dict[int, Location], s: _Strings) -> Columns:
        view = _view()
        decode = profile_pb2.Sample.FromString
        head = view.heads[0]
        get = locations.__getitem__
        sid, stacks = _distinct(self.loc_runs)
        by_ids: dict[tuple[int, ...], tuple[Location, ...]] = {}
        for i, run in enumerate(stacks):
            ids = tuple(decode(head[len(run)] + run).location_id)
            stack = by_ids.get(ids)
            if stack is None:
                stack = by_ids[ids] = tuple(map(get, ids))  # KeyError: the general path reports it
            stacks[i] = stack  # type: ignore[call-overload]
        lid, label_sets = _distinct(self.label_runs)
        by_raw: dict[tuple[tuple[int, int, int, int], ...], tuple[Label, ...]] = {}
        h_lab = view.heads[2]
        for i, run in enumerate(label_sets):
            raw = tuple(map(_label_fields, decode(h_lab[len(run)] + run if self.one_label else run).label))
            labels = by_raw.get(raw)
            if labels is None:
                labels = by_raw[raw] = _labels(raw, s)
            label_sets[i] = labels  # type: ignore[call-overload]
        cols = Columns(self.n_types, stacks, label_sets, sid, lid, self.values)  # type: ignore[arg-type]
        if len(by_ids) != len(stacks):  # the same ids written two ways (non-minimal varints)
            cols.sid, cols.stacks = _dedupe(sid, stacks)
        if len(by_raw) != len(label_sets):
            cols.lid, cols.label_sets = _dedupe(lid, label_sets)
        return cols


def _distinct(runs: list[bytes]) -> tuple[list[int], list[bytes]]:
    """Index of each run in the list of distinct runs (first-seen order), and that list."""
    index = dict(zip(dict.fromkeys(runs), count(), strict=False))
    return list(map(index.__getitem__, runs)), list(index)


def _dedupe(ids: list[int], objs: list[Any]) -> tuple[list[int], list[Any]]:
    first: dict[int, int] = {}
    out: list[Any] = []
    remap = []
    for obj in objs:
        k = first.get(id(obj))
        if k is None:
            k = first[id(obj)] = len(out)
            out.append(obj)
        remap.append(k)
    return list(map(remap.__getitem__, ids)), out


def _columns_fast(samples: Any, n_types: int, view: _View) -> _FastColumns:
    """Split the raw samples column-wise without a Python step per sample, or raise _NotFast."""
    raws: list[bytes] = list(samples)
    n = len(raws)
    # Go packs a repeated field only when it has more than two entries: with two sample types or
    # fewer, every value field is unpacked.
    if n_types < 3 or not all(raws):
        raise _NotFast
    first = bytes(map(operator.itemgetter(0), raws))
    if first.count(0x0A) != n:
        # Stacks of one or two locations are written unpacked: re-encode those samples (upb
        # writes proto3 repeated scalars packed, fields in number order).
        for m in _NOT_LF.finditer(first):
            i = m.start()
            raws[i] = profile_pb2.Sample.FromString(raws[i]).SerializeToString()
            if raws[i][:1] != b"\x0a":
                raise _NotFast  # an empty stack
    joined_raws = b"".join(raws)
    cat = view.SampleCat.FromString(joined_raws)
    if len(view.unknown_fields(cat)):
        raise _NotFast
    loc_runs: list[bytes] = list(cat.location_id)
    value_runs: list[bytes] = list(cat.value)
    if len(loc_runs) != n or len(value_runs) != n:
        raise _NotFast
    loc_lens = list(map(len, loc_runs))
    value_lens = list(map(len, value_runs))
    labels: list[bytes] = list(cat.label)
    label_lens = list(map(len, labels))
    longest = max(max(loc_lens), max(value_lens), max(label_lens, default=0))
    if longest >= _MAX_RUN:
        raise _NotFast
    view.ensure(longest)
    h_loc, h_val, h_lab = view.heads
    if len(labels) == n:
        # One label per sample, as in Go's heap profiles. Byte for byte: the samples, together,
        # are exactly each sample's location_id run, value run and label field, in that order
        # (one comparison over the whole concatenation) ...
        fields = chain.from_iterable(zip(map(h_loc.__getitem__, loc_lens), loc_runs,
                                         map(h_val.__getitem__, value_lens), value_runs,
                                         map(h_lab.__getitem__, label_lens), labels, strict=True))
        if b"".join(fields) != joined_raws:
            raise _NotFast
        # ... and each sample is exactly as long as its three fields, so each sample holds its own.
        size = view.field_size.__getitem__
        add = operator.add
        if list(map(len, raws)) != list(map(add, map(add, map(size, loc_lens), map(size, value_lens)),
                                             map(size, label_lens))):
            raise _NotFast
        rests, one_label = labels, True
    else:
        add = operator.add
        # Byte for byte: each sample starts with its location_id run, then its value run ...
        heads = list(map(add, map(add, map(h_loc.__getitem__, loc_lens), loc_runs),
                         map(add, map(h_val.__getitem__, value_lens), value_runs)))
        if not all(map(bytes.startswith, raws, heads)):
            raise _NotFast
        # ... and the rest of each sample is whole label fields: together, the rests are exactly
        # the label fields in order, and every sample ends on a label boundary.
        rests = list(map(operator.getitem, raws, map(slice, map(len, heads), repeat(None))))  # type: ignore[arg-type]
        label_fields = list(map(add, map(h_lab.__getitem__, label_lens), labels))
        if b"".join(rests) != b"".join(label_fields):
            raise _NotFast
        if not set(accumulate(map(len, rests))) <= set(accumulate(map(len, label_fields), initial=0)):
            raise _NotFast
        one_label = False
    # Each value run holds exactly n_types whole varints.
    if set(map(len, map(bytes.translate, value_runs, *map(repeat, _TERMINAL)))) != {n_types} or \
            max(map(operator.itemgetter(-1), value_runs)) >= 0x80:
        raise _NotFast
    joined = b"".join(value_runs)
    values = list(view.Values.FromString(b"\x0a" + _varint(len(joined)) + joined).v)
    if len(values) != n * n_types:
        raise _NotFast
    return _FastColumns(n_types, loc_runs, rests, values, one_label)


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
