"""The profile engine: reads Go pprof profiles exactly as ``go tool pprof`` does.

Knows nothing of Docker or pytest. ``parse``/``load`` give a plain, frozen ``Profile``;
``aggregate.top`` makes the ``-top`` numbers, ``diff.subtract`` is ``-base``, ``diff.growth`` and
``diff.goroutine_growth`` rank what grew, ``goroutines`` reads goroutine dumps. Every bad input
raises ``ProfileError``.
"""

from __future__ import annotations

import os

from . import aggregate, diff, goroutines
from ._proto import encode, parse
from .frames import first_user_frame, is_standard
from .model import Frame, Location, Mapping, Profile, ProfileError, Sample

__all__ = [
    "Frame", "Location", "Mapping", "Profile", "ProfileError", "Sample",
    "aggregate", "diff", "encode", "first_user_frame", "goroutines", "is_standard", "load", "parse",
]


def load(path: str | os.PathLike[str]) -> Profile:
    """Read and parse a profile file. Raises ProfileError (naming the file) if it cannot be
    read or is not a valid profile."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        raise ProfileError(f"{os.fspath(path)}: cannot read: {err.strerror or err}") from None
    try:
        return parse(data)
    except ProfileError as err:
        raise ProfileError(f"{os.fspath(path)}: {err}") from None
