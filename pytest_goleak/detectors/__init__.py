"""Detectors: anything that looks at a scenario and says leak or not, where, and why.

- :mod:`.base`: the :class:`~.base.Detector` protocol, :class:`~.base.Target` (what a detector
  sees) and :class:`~.base.DetectorResult`; :func:`~.base.run_detector` never raises.
- :mod:`.command`: go/analysis checkers installed from the module proxy and run as commands.
- :mod:`.vet`: ``go vet`` (run by the judge; its matrix row comes from the result).
- :mod:`.spec`: ``name = package@version [args]`` declarations.
- :mod:`.matrix`: detector x corpus cells (tp/fp/fn/tn, recall, false alarms, right place).
- :mod:`.hookspecs`: ``pytest_goleak_detectors``, for detectors written in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .base import Detector, DetectorResult, Finding, Target, run_detector
from .command import CommandDetector
from .spec import BUILTIN, CommandSpec, DeclarationError, parse_declarations

__all__ = ["BUILTIN", "CommandDetector", "CommandSpec", "DeclarationError", "Detector", "DetectorResult",
           "Finding", "Target", "detectors_for", "run_all", "run_detector"]


def detectors_for(declarations: Iterable[str], cache_dir: Path, builtin: bool = True,
                  extra: Sequence[object] = ()) -> list[object]:
    """The built-in commands (unless ``builtin`` is False), the declared ones, then ``extra``.

    A declared name replaces a built-in of the same name (to pin another version).
    DeclarationError for a malformed declaration.
    """
    declared = parse_declarations(declarations)
    names = {s.name for s in declared}
    specs = [s for s in BUILTIN if builtin and s.name not in names] + declared
    return [*(CommandDetector(s, cache_dir) for s in specs), *extra]


def run_all(detectors: Sequence[object], target: Target) -> list[DetectorResult]:
    """Every detector on one target; each answers or is an absent/errored result, in order."""
    return [run_detector(d, target) for d in detectors]
