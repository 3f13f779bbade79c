"""How much of what a service sends the harness takes in: each cap has a default and an
environment variable (a size such as ``64MiB``). What a cap cuts says so where it is kept.

The service under test is untrusted (README, "Threat model"): without these a service could
exhaust pytest's memory or the report's disk with one endless answer or log.
"""

from __future__ import annotations

import os

from ..units import parse_size

_MIB = 1024 * 1024
#: name -> (environment variable, default bytes)
CAPS = {
    "get": ("GOLEAK_MAX_GET_BYTES", 64 * _MIB),  # each HTTP answer (a profile, a goroutine dump)
    "profile": ("GOLEAK_MAX_PROFILE_BYTES", 256 * _MIB),  # a profile once decompressed
    "log": ("GOLEAK_MAX_LOG_BYTES", 8 * _MIB),  # the service's log, kept by the engine and read
}


def cap(name: str) -> int:
    """The cap in bytes: the environment's value when it is a positive size, else the default."""
    var, default = CAPS[name]
    raw = os.environ.get(var, "").strip()
    if raw:
        try:
            value = int(parse_size(raw))
        except ValueError as exc:
            raise ValueError(f"{var}={raw!r} is not a size ({exc})") from exc
        if value > 0:
            return value
    return default
