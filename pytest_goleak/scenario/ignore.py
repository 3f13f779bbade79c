"""Goroutines a scenario expects and excludes, as uber-go/goleak's options do (pure; no I/O).

A scenario's ``ignore:`` list names goroutines that are not the service's growth: a library's
background worker, a connection pool's opener, a metrics flusher. Each entry is one of

- ``top: FUNCTION`` — the goroutine's top function (``goleak.IgnoreTopFunction``), the first frame
  the traceback prints (runtime internals such as ``runtime.gopark`` are not printed);
- ``any: FUNCTION`` — any function in its stack (``goleak.IgnoreAnyFunction``);
- ``created_by: FUNCTION`` — the function that started it (``goleak.IgnoreCreatedBy``).

A plain value is an exact function name, as goleak takes it (``net/http.(*Server).Serve`` needs no
escaping). A value written ``re:PATTERN`` is a regular expression that must match the whole name.
Ignored goroutines leave the goroutine signal and the culprit ranking, and are listed in the
report with the rule that matched, so nothing is hidden silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

KINDS = ("top", "any", "created_by")


class IgnoreError(ValueError):
    """An ``ignore:`` entry is malformed; the message says which part."""


class _Frame(Protocol):
    @property
    def function(self) -> str: ...


@dataclass(frozen=True)
class IgnoreRule:
    kind: str  # "top", "any" or "created_by"
    value: str  # as written

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise IgnoreError(f"unknown ignore kind {self.kind!r} (allowed: {', '.join(KINDS)})")
        if not self.value:
            raise IgnoreError(f"'{self.kind}' needs a function name")
        if self.value.startswith("re:"):
            try:
                re.compile(self.value[3:])
            except re.error as exc:
                raise IgnoreError(f"'{self.kind}: {self.value}' is not a valid regular expression: {exc}") from None

    def _name_matches(self, name: str) -> bool:
        if self.value.startswith("re:"):
            return re.fullmatch(self.value[3:], name) is not None
        return name == self.value

    def matches(self, frames: Sequence[_Frame], created_by: _Frame | None) -> bool:
        """``frames`` leaf first, as the traceback prints them."""
        if self.kind == "top":
            top = next((f for f in frames if not _hidden_runtime(f.function)), None)
            return top is not None and self._name_matches(top.function)
        if self.kind == "any":
            return any(self._name_matches(f.function) for f in frames)
        return created_by is not None and self._name_matches(created_by.function)

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


def _hidden_runtime(function: str) -> bool:
    """Frames a proto goroutine profile has and the printed traceback does not (gopark & co.)."""
    return function.startswith(("runtime.gopark", "runtime.goparkunlock", "runtime.selectgo", "runtime.chan",
                                "runtime.semacquire", "runtime.netpollblock", "runtime.notetsleepg",
                                "runtime.block", "runtime.park_m"))


def parse(entries: object) -> tuple[IgnoreRule, ...]:
    """``[{top: f}, {any: g}, ...]`` -> rules. Raises IgnoreError(index, message) on a bad entry."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise IgnoreError("'ignore' must be a list of {top|any|created_by: FUNCTION} entries")
    rules = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise _at(i, f"entry {i + 1} must be one of {{top|any|created_by: FUNCTION}}, got {entry!r}")
        ((kind, value),) = entry.items()
        if not isinstance(value, str):
            raise _at(i, f"'{kind}' must be a function name, got {value!r}")
        try:
            rules.append(IgnoreRule(str(kind), value))
        except IgnoreError as exc:
            raise _at(i, str(exc)) from None
    return tuple(rules)


def _at(index: int, message: str) -> IgnoreError:
    err = IgnoreError(message)
    err.index = index  # type: ignore[attr-defined]
    return err


def first_match(rules: Iterable[IgnoreRule], frames: Sequence[_Frame], created_by: _Frame | None) -> IgnoreRule | None:
    return next((r for r in rules if r.matches(frames, created_by)), None)
