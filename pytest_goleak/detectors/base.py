"""What a detector is: it looks at one scenario and answers flagged or not, where, and why.

A detector's answer is a :class:`DetectorResult`. A detector that could not answer (not
installed, crashed, timed out, printed what cannot be read) is an ``absent`` or ``error`` result
with its reason, never an exception: :func:`run_detector` sees to that for any detector object.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

Status = Literal["ran", "absent", "error"]


@dataclass(frozen=True)
class Target:
    """What a detector is shown: one scenario, its source when there is one, and its run."""

    scenario: str
    source_dir: Path | None = None  # the Go main package directory (static detectors need it)
    # The scenario as results.json has it (the published shape: a stable API for a user's detector).
    culprits: Sequence[Mapping[str, Any]] = ()  # the harness's culprits, top first
    result: Mapping[str, Any] | None = None  # the scenario's whole result, for detectors of the run


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    message: str
    column: int | None = None
    function: str | None = None  # the enclosing function, pprof-style (main.fetchStatus), when found
    check: str | None = None  # the analyzer or rule that reported it, when the tool says
    points_at_leak: bool = False  # in the culprit's function (or a function on its stack)


@dataclass(frozen=True)
class DetectorResult:
    detector: str
    status: Status
    flagged: bool = False
    findings: tuple[Finding, ...] = ()
    reason: str | None = None  # why absent or errored; for a result that ran, a short why
    seconds: float = 0.0
    where: Finding | None = field(default=None)  # the finding that names the place (see below)

    def __post_init__(self) -> None:
        if self.where is None and self.findings:
            # The place a detector names: a finding in the culprit's code, else its first finding.
            pick = next((f for f in self.findings if f.points_at_leak), self.findings[0])
            object.__setattr__(self, "where", pick)

    @property
    def answered(self) -> bool:
        return self.status == "ran"

    @property
    def named_leak(self) -> bool:
        return any(f.points_at_leak for f in self.findings)


def absent(detector: str, reason: str, seconds: float = 0.0) -> DetectorResult:
    return DetectorResult(detector, "absent", reason=reason, seconds=seconds)


def errored(detector: str, reason: str, seconds: float = 0.0) -> DetectorResult:
    return DetectorResult(detector, "error", reason=reason, seconds=seconds)


@runtime_checkable
class Detector(Protocol):
    """Anything with a ``name`` and ``detect(target) -> DetectorResult``."""

    name: str

    def detect(self, target: Target) -> DetectorResult: ...


def run_detector(detector: object, target: Target) -> DetectorResult:
    """``detector.detect(target)``, with anything that goes wrong turned into an errored result."""
    name = str(getattr(detector, "name", None) or type(detector).__name__)
    t0 = time.monotonic()
    detect = getattr(detector, "detect", None)
    if not callable(detect):
        return errored(name, f"{type(detector).__name__} has no detect(target) method")
    try:
        result = detect(target)
    except Exception as exc:  # noqa: BLE001 - a user's detector may raise anything
        return errored(name, f"raised {type(exc).__name__}: {exc}", time.monotonic() - t0)
    if not isinstance(result, DetectorResult):
        return errored(name, f"returned {type(result).__name__}, not a DetectorResult", time.monotonic() - t0)
    if result.detector != name:
        result = replace(result, detector=name)
    return result
