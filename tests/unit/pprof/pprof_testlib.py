"""Shared helpers for the pprof engine tests: the committed real profiles and their goldens.

A plain module (not conftest) so tests can import it; pytest puts this directory on sys.path.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_goleak.pprof import Frame, Location, Mapping, Profile, Sample
from tests.data.profiles.regen import golden_name  # noqa: F401 - one naming rule for generator and tests

DATA = Path(__file__).resolve().parents[2] / "data" / "profiles"
GOLDEN = DATA / "golden"
CASES: list[dict[str, Any]] = json.loads((DATA / "cases.json").read_text())


SPELLINGS = ("goleak", "pprof=", "pprof")


def goleak_args(case: dict[str, Any], spelling: str = "goleak") -> list[str]:
    """`goleak top` arguments for a case: our own long options ("goleak"), or pprof's single-dash
    spellings with "=value" ("pprof=") or the value as the next argument ("pprof")."""
    opts: list[tuple[str, str, str | None]] = []  # (goleak name, pprof name, value or None for a flag)
    for key, ours, theirs in (("base", "--base", "-base"), ("diff_base", "--diff-base", "-diff_base"),
                              ("sample_index", "--sample-index", "-sample_index"),
                              ("nodecount", "--nodecount", "-nodecount"), ("focus", "--focus", "-focus"),
                              ("ignore", "--ignore", "-ignore")):
        if key in case:
            value = str(DATA / case[key]) if key in ("base", "diff_base") else str(case[key])
            opts.append((ours, theirs, value))
    for key in ("lines", "cum"):
        if case.get(key):
            opts.append((f"--{key}", f"-{key}", None))
    args = []
    for ours, theirs, value in opts:
        name = ours if spelling == "goleak" else theirs
        if value is None:
            args.append(name)
        elif spelling == "pprof=":
            args.append(f"{name}={value}")
        else:
            args += [name, value]
    if spelling != "goleak":
        return ["-top", *args, str(DATA / case["profile"])]  # as one types it after `go tool pprof`
    return [str(DATA / case["profile"]), *args]


def case_id(case: dict[str, Any]) -> str:
    return golden_name(case).removesuffix(".top.txt")


@pytest.fixture
def utc() -> Iterator[None]:
    """The goldens print "Time:" in UTC; local time is what pprof (and goleak) use."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


# --- tiny hand-built profiles ---------------------------------------------------------------------

MAPPING = Mapping(0x1000, 0x9000, 0, "/bin/app", "b1d")


def loc(lid: int, *funcs: str, line: int = 10) -> Location:
    """A location whose frames are funcs, leaf-most first (more than one = inlined)."""
    return Location(lid, 0x1000 + lid, MAPPING, tuple(Frame(f, f"{f.split('.')[0]}.go", line) for f in funcs))


def profile(samples: list[tuple[tuple[int, ...], tuple[Location, ...]]],
            types: tuple[tuple[str, str], ...] = (("count", "count"),), **kw: Any) -> Profile:
    return Profile(types, tuple(Sample(v, locs) for v, locs in samples), (MAPPING,), **kw)
