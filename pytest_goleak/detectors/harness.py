"""Detectors over a finished run, and the detector x corpus matrix of a session.

The harness's own answers become detectors of the same kind as a static analyzer's: its verdict
(``harness``), each built-in signal on its own (``heap``, ``goroutines``, ``fds``), Go's goroutine
leak profile (``goroutineleak``) and ``go vet`` (already run by the runner, not run twice). Static
commands (bodyclose, sqlclosecheck, contextcheck, a user's declared ones) and the Python detectors
of the ``pytest_goleak_detectors`` hook run on the scenario's source and run. Each answer is a
:class:`~.base.DetectorResult`, kept per scenario in results.json (``detectors``); the controller
turns all of them, with each scenario's known truth, into the matrix (:mod:`.matrix`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import yaml

from ..corpora.goker_cases import BY_NAME
from ..judge.culprit import Culprit
from ..record import ScenarioResult
from . import vet
from .base import DetectorResult, Finding, Target, absent, errored, run_detector
from .matrix import Cell, Truth, matrix
from .source import culprit_frames, relate_to

USERSTYLE = Path(__file__).resolve().parents[2] / "corpora" / "userstyle"
#: built-in signal detector -> the signals whose flag it reports, and the culprit kind it names
SIGNAL_DETECTORS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "heap": (("heap_inuse_bytes", "heap_objects"), "heap"),
    "goroutines": (("goroutines",), "goroutine"),
    "fds": (("fds",), None),
    "goroutineleak": (("goroutineleak",), "goroutine"),
}
_ABSENT_WHY = {
    "goroutineleak": "the binary serves no /debug/pprof/goroutineleak (Go 1.26 without "
                     "GOEXPERIMENT=goroutineleakprofile, or older)",
}


def _place(culprits: Sequence[Culprit], kind: str | None) -> tuple[Finding, ...]:
    """The top culprit of ``kind`` (any kind: None) as findings: its frame, and for a goroutine
    also the function the goroutine started in (the root-most frame of its stack outside the
    runtime), which is how Go's own leak test names a leaked goroutine."""
    c = next((c for c in culprits if kind is None or c.kind == kind), None)
    if c is None:
        return ()
    found = [Finding(c.file or "", c.line or 0, f"top growing {c.kind} site", function=c.function or None,
                     points_at_leak=True)]
    if c.kind == "goroutine":
        frames = [f for f in c.stack if not f.function.startswith("runtime.")]
        if frames and frames[-1].function != c.function:
            root = frames[-1]
            found.append(Finding(root.file or "", root.line or 0, "goroutine start", function=root.function,
                                 points_at_leak=True))
    return tuple(found)


def builtin_answers(result: ScenarioResult) -> list[DetectorResult]:
    """The harness's verdict, each built-in signal, the goroutine leak profile and vet, as detectors."""
    culprits = result.culprits.culprits
    if result.verdict not in ("leak", "clean"):
        why = f"the scenario could not be measured ({result.verdict})"
        return [absent(name, why) for name in ("harness", *SIGNAL_DETECTORS, "vet")]
    out = [DetectorResult("harness", "ran", flagged=result.verdict == "leak",
                          findings=_place(culprits, None) if result.verdict == "leak" else (),
                          reason=next(iter(result.message.splitlines()), None))]
    flags = result.signal_flags()
    for name, (wanted, kind) in SIGNAL_DETECTORS.items():
        present = [sig for sig in wanted if sig in result.signals]
        if not present:
            out.append(absent(name, _ABSENT_WHY.get(name, f"signal {'/'.join(wanted)} not available")))
            continue
        flagged = any(flags.get(sig, False) for sig in present)
        out.append(DetectorResult(name, "ran", flagged=flagged, findings=_place(culprits, kind) if flagged else (),
                                  reason=", ".join(f"{sig}: {result.signals[sig].decision}" for sig in present)))
    out.append(_vet(result))
    return out


def _vet(result: ScenarioResult) -> DetectorResult:
    if result.vet is None:
        return absent("vet", "vet did not run (not a Go package, or turned off with goleak_vet)")
    leaks = relate_to((Finding(f.file, f.line, f.message, check=f.analyzer) for f in result.vet
                       if f.analyzer in vet.LEAK_ANALYZERS), culprit_frames(result.culprits.culprits))
    return DetectorResult("vet", "ran", flagged=bool(leaks), findings=leaks,
                          reason=f"{len(leaks)} leak finding(s)" if leaks else "no leak findings")


def run_answers(result: ScenarioResult, doc: Mapping[str, object], source_dir: Path | None,
                detectors: Sequence[object]) -> list[DetectorResult]:
    """Static commands and hook detectors on one scenario; each answers or is absent/errored.

    They are shown the result as results.json has it (``doc``, made by the caller at the JSON
    edge): the published shape, a stable API for a user's detector."""
    culprits = doc.get("culprits")
    target = Target(result.name, source_dir, tuple(culprits) if isinstance(culprits, list) else (), doc)
    return [run_detector(d, target) for d in detectors]


class _FailedHook:
    """Stands in for the detectors of a pytest_goleak_detectors implementation that raised."""

    def __init__(self, name: str, error: str) -> None:
        self.name, self.error = name, error

    def detect(self, target: Target) -> DetectorResult:
        return errored(self.name, self.error)


def failed_hook(plugin: str, exc: BaseException) -> object:
    name = f"hook:{Path(plugin).stem if '/' in plugin else plugin}"
    return _FailedHook(name, f"pytest_goleak_detectors raised {type(exc).__name__}: {exc}")


# --- the matrix ----------------------------------------------------------------------------


def corpus_of(result: ScenarioResult) -> str:
    name, file = result.name, result.file
    if name.startswith("goker_") and "/corpora/goker/" in file:
        return "goker"
    if str(USERSTYLE) in file or "/corpora/userstyle/" in file:
        return "userstyle"
    return "shipped"


@lru_cache(maxsize=1)
def _userstyle_truth() -> dict[str, str]:
    try:
        data = yaml.safe_load((USERSTYLE / "truth.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return {str(k): str(v) for k, v in (data or {}).items()}


def truth_of(result: ScenarioResult) -> Truth | None:
    """A scenario's known truth, or None for a user's own service (no ``expect``)."""
    expect = result.expect
    if expect not in ("leak", "clean"):
        return None
    corpus = corpus_of(result)
    culprits: tuple[str, ...] = ()
    if corpus == "goker":
        case = BY_NAME.get(result.name[len("goker_"):])
        culprits = tuple(leak.function for leak in case.leaks) if case else ()
    elif corpus == "userstyle":
        culprits = tuple(c for c in [_userstyle_truth().get(result.name)] if c)
    elif result.culprit_expected:
        culprits = (result.culprit_expected,)
    return Truth("leak" if expect == "leak" else "clean", culprits, corpus)


def session_matrix(scenarios: Iterable[ScenarioResult]) -> list[Cell]:
    truth: dict[str, Truth] = {}
    answers: list[tuple[str, DetectorResult]] = []
    for s in scenarios:
        t = truth_of(s)
        if t is None:
            continue
        truth[s.name] = t
        answers += [(s.name, a) for a in s.detectors]
    return matrix(truth, answers)
