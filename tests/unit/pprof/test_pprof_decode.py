"""Parsing: gzip vs raw, headers, symbols with inlined frames, and every kind of bad input."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
from pprof_testlib import DATA, MAPPING, loc, profile

from pytest_goleak.pprof import Frame, Profile, ProfileError, encode, load, parse

HEAP = DATA / "global_map_leaky.new.heap.pb.gz"
GOROUTINE = DATA / "goroutine_chan_leaky.new.goroutine.pb.gz"


def test_gzip_and_raw_parse_the_same() -> None:
    gz = HEAP.read_bytes()
    assert gz[:2] == b"\x1f\x8b"
    a, b = parse(gz), parse(gzip.decompress(gz))
    assert [s.values for s in a.samples] == [s.values for s in b.samples]
    assert [s.frames for s in a.samples] == [s.frames for s in b.samples]


def test_heap_header_fields() -> None:
    p = load(HEAP)
    assert p.sample_types == (("alloc_objects", "count"), ("alloc_space", "bytes"),
                              ("inuse_objects", "count"), ("inuse_space", "bytes"))
    names = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")
    assert [p.index_of(n) for n in names] == [0, 1, 2, 3]
    assert p.index_of(None) == 3  # no default_sample_type: the last, like pprof
    assert p.period_type == ("space", "bytes")
    assert p.period == 1  # GODEBUG=memprofilerate=1 (regen.py)
    assert p.time_nanos > 1_700_000_000 * 10**9
    assert p.mappings[0].file.endswith("global_map_leaky")
    assert p.total(3) == sum(s.values[3] for s in p.samples) > 0


def test_goroutine_profile() -> None:
    p = load(GOROUTINE)
    assert p.sample_types == (("goroutine", "count"),)
    assert p.index_of("goroutine") == 0
    assert p.total(0) > 100  # leaked goroutines


def test_default_sample_type_and_numeric_index() -> None:
    p = profile([((1, 2), (loc(1, "main.f"),))], types=(("a", "count"), ("space", "bytes")),
                default_sample_type="a")
    assert p.index_of("") == 0
    assert p.index_of("1") == 1
    with pytest.raises(ProfileError, match="outside the range"):
        p.index_of("2")
    assert p.index_of("inuse_space") == 1  # pprof's legacy alias for a type named "space"
    with pytest.raises(ProfileError, match="'nope' is not in this profile; it has: a, space"):
        p.index_of("nope")


def test_inlined_frames_are_leaf_first_and_roundtrip() -> None:
    inl = loc(1, "strings.Repeat", "main.handler")  # Repeat inlined into handler
    p = profile([((3,), (inl, loc(2, "main.main")))])
    q = parse(encode(p))
    assert q.samples[0].frames == (Frame("strings.Repeat", "strings.go", 10),
                                   Frame("main.handler", "main.go", 10), Frame("main.main", "main.go", 10))
    assert q.samples[0].locations[0].mapping == MAPPING


def test_labels_are_resolved() -> None:
    p = load(HEAP)
    labelled = [s.labels for s in p.samples if s.labels]
    assert labelled and all(k == "bytes" and isinstance(v, int) for lb in labelled for k, v, _ in lb)


def test_load_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="missing.pb.gz: cannot read"):
        load(tmp_path / "missing.pb.gz")
    bad = tmp_path / "bad.pb.gz"
    bad.write_bytes(b"")
    with pytest.raises(ProfileError, match=r"bad\.pb\.gz: empty input \(0 bytes\)"):
        load(bad)


# --- bad input: each says what is wrong ------------------------------------------------------------

def _raw(p: Profile) -> bytes:
    return encode(p, compress=False)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


BAD = {
    "zero bytes": (b"", "empty input"),
    "truncated gzip": (HEAP.read_bytes()[:500], "truncated gzip"),
    "gzip header only": (HEAP.read_bytes()[:10], "truncated gzip"),
    "corrupt gzip": (HEAP.read_bytes()[:20] + b"\xff" * 200, "corrupt gzip|truncated gzip"),
    "text, not gzip": (b"heap profile: 1: 2 [3: 4] @ heap/1048576\n", "not gzip either"),
    "random bytes": (bytes(range(7, 250, 3)) * 4, "not a protobuf pprof profile|no sample types|string"),
    "gzip around garbage": (gzip.compress(b"\xff\xfe\xfd garbage \x00\x01" * 50),
                            "gzip content is not a protobuf"),
    "gzip around nothing": (gzip.compress(b""), "no sample types"),
    "huge varint": (b"\x50" + b"\xff" * 12 + b"\x01", "not a protobuf pprof profile"),
    "empty profile": (_raw(Profile((), ())), "no sample types"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_raises_profile_error(name: str) -> None:
    data, message = BAD[name]
    with pytest.raises(ProfileError, match=message):
        parse(data)


def _patched_sample(location_id: int) -> bytes:
    """A valid profile plus one sample pointing at a location that does not exist."""
    good = _raw(profile([((1,), (loc(1, "main.f"),))]))
    sample = b"\x0a" + _varint(1) + _varint(location_id) + b"\x12\x01\x01"  # location_id, value=1
    return good + b"\x12" + _varint(len(sample)) + sample


def test_dangling_location_id() -> None:
    with pytest.raises(ProfileError, match="sample 1 refers to location 99, which does not exist"):
        parse(_patched_sample(99))


def test_dangling_function_id() -> None:
    good = _raw(profile([((1,), (loc(1, "main.f"),))]))
    line = b"\x08" + _varint(42) + b"\x10\x05"  # function_id=42, line=5
    location = b"\x08" + _varint(7) + b"\x22" + _varint(len(line)) + line
    with pytest.raises(ProfileError, match="location 7 refers to function 42, which does not exist"):
        parse(good + b"\x22" + _varint(len(location)) + location)


def test_dangling_mapping_id() -> None:
    good = _raw(profile([((1,), (loc(1, "main.f"),))]))
    location = b"\x08\x09\x10\x63"  # id=9, mapping_id=99
    with pytest.raises(ProfileError, match="location 9 refers to mapping 99"):
        parse(good + b"\x22" + _varint(len(location)) + location)


def test_string_index_out_of_range() -> None:
    vt = b"\x08\x63\x10\x00"  # type = string 99
    with pytest.raises(ProfileError, match="refers to string 99"):
        parse(b"\x0a" + _varint(len(vt)) + vt + b"\x32\x00")


def test_value_count_mismatch() -> None:
    good = _raw(profile([((1,), (loc(1, "main.f"),))]))
    sample = b"\x12\x02\x01\x02"  # two values for one sample type
    with pytest.raises(ProfileError, match="has 2 values but the profile has 1 sample types"):
        parse(good + b"\x12" + _varint(len(sample)) + sample)


def test_first_string_must_be_empty() -> None:
    vt = b"\x08\x00\x10\x00"
    with pytest.raises(ProfileError, match="string table entry 0 must be the empty string"):
        parse(b"\x0a" + _varint(len(vt)) + vt + b"\x32\x01x")


# --- the column-wise fast path agrees with the sample-by-sample path --------------------------------

def _general(data: bytes, monkeypatch: pytest.MonkeyPatch) -> Profile:
    from pytest_goleak.pprof import _proto

    def not_fast(*_: object) -> None:
        raise _proto._NotFast
    with monkeypatch.context() as m:
        m.setattr(_proto, "_columns_fast", not_fast)
        return parse(data)


def _plain(p: Profile) -> list[object]:
    return [(s.values, s.frames, s.labels, tuple((loc.id, loc.address, loc.mapping) for loc in s.locations))
            for s in p.samples]


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.pb.gz")))
def test_fast_path_matches_general_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_goleak.pprof import _proto
    from pytest_goleak.pprof.aggregate import top

    data = (DATA / name).read_bytes()
    fast, general = parse(data), _general(data, monkeypatch)
    if ".heap." in name:  # Go packs heap samples (4 values): the fast path must take them
        raw = _proto._gunzip(data)
        view = _proto._view()
        msg = view.Profile.FromString(raw)
        _proto._columns_fast(msg.sample, len(msg.sample_type), view)
    assert _plain(fast) == _plain(general)
    for i in range(len(fast.sample_types)):
        assert fast.total(i) == general.total(i) and fast.net(i) == general.net(i)
        for by in ("function", "line", "stack"):
            assert top(fast, i, by=by) == top(general, i, by=by)  # type: ignore[arg-type]


def test_fast_path_label_counts_other_than_one_per_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # as many labels as samples, but not one each: the one-label check must not take it
    from pytest_goleak.pprof import Sample

    stack = (loc(1, "main.a"), loc(2, "main.b"), loc(3, "main.main"))
    types = (("a", "count"), ("b", "count"), ("c", "count"))
    for labels in ([(("k", "x", ""), ("n", 7, "bytes")), ()], [(), (("k", "x", ""),), (("n", 1, ""),)],
                   [(("k", "y", ""),), (("k", "x", ""), ("n", 7, "bytes")), ()]):
        p = replace(profile([]), sample_types=types,
                    samples=tuple(Sample((i, 2 * i, 3), stack, lab) for i, lab in enumerate(labels)))
        data = encode(p)
        assert _plain(parse(data)) == _plain(_general(data, monkeypatch))
