"""Property: whatever bytes come in, parse() returns a Profile or raises ProfileError, and the
result aggregates without error. Mutations of real profiles (truncation, bit flips, splices,
insertions), raw and gzipped. Derandomized: the same cases every run, reproducible anywhere."""

from __future__ import annotations

import gzip

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pprof_testlib import DATA

from pytest_goleak.pprof import Profile, ProfileError, parse
from pytest_goleak.pprof.aggregate import top

SEEDS = [gzip.decompress((DATA / n).read_bytes()) for n in
         ("goroutine_chan_leaky.new.goroutine.pb.gz", "global_map_leaky.base.goroutine.pb.gz")]
SEEDS.append(gzip.decompress((DATA / "global_map_leaky.base.heap.pb.gz").read_bytes())[:6000])

FUZZ = settings(max_examples=1500, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["truncate", "flip", "splice", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "truncate":
            del data[pos:]
        elif kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "splice":
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other) - 1))
            data[pos:pos + draw(st.integers(0, 64))] = other[start:start + draw(st.integers(1, 256))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[pos:pos + draw(st.integers(1, 32))]
    return bytes(data)


def _exercise(data: bytes) -> None:
    try:
        prof = parse(data)
    except ProfileError as err:
        assert str(err)  # always says something
        return
    assert isinstance(prof, Profile)
    for i in range(len(prof.sample_types)):
        top(prof, i)
        top(prof, i, by="line", nodecount=3)


@FUZZ
@given(mutated())
def test_mutated_raw_profiles_raise_only_profile_error(data: bytes) -> None:
    _exercise(data)


@FUZZ
@given(mutated(), st.booleans())
def test_mutated_gzipped_profiles_raise_only_profile_error(data: bytes, damage_gzip: bool) -> None:
    gz = bytearray(gzip.compress(data, mtime=0))
    if damage_gzip:  # corrupt the container too, not only what is inside it
        gz[len(gz) // 2] ^= 0x55
    _exercise(bytes(gz))


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_raise_only_profile_error(data: bytes) -> None:
    _exercise(data)
