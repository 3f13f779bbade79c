"""``go vet`` over a fixture, its findings related to the measured leak.

vet's lostcancel and httpresponse analyzers are the classic static leak checks (field guide,
ch. 2.3). They see some leaks and not others; the validation matrix records which. Whether a
finding points at the leak is decided by one rule, :func:`.source.relate_to`, for the scenario's
own ``vet`` findings and for the detector matrix's vet row alike.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..judge.culprit import Culprit
from ..run import gotool
from ..run.procutil import run_bounded
from .base import Finding
from .source import culprit_frames, relate_to

VET_TIMEOUT_S = 120.0
#: analyzers whose findings are about a resource that is never released
LEAK_ANALYZERS = frozenset({"lostcancel", "httpresponse"})


@dataclass(frozen=True)
class VetFinding:
    analyzer: str
    file: str
    line: int
    message: str
    points_at_leak: bool = False  # set by relate()
    error: bool = False  # vet itself did not run


def _did_not_run(why: str) -> VetFinding:
    return VetFinding("vet", "", 0, f"go vet did not run: {why}", error=True)


def run_vet(package_dir: Path, cache_dir: Path | None = None) -> list[VetFinding]:
    """Findings of ``go vet -json .`` (not yet related to a leak); [] when vet is clean.

    With ``cache_dir``, the findings are kept under it by a hash of the module's sources and the
    toolchain (as builds are): unchanged code is not vetted twice. A vet that did not run is not kept.
    """
    cached = _cache_file(package_dir, cache_dir) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            return [VetFinding(str(f["analyzer"]), str(f["file"]), int(f["line"]), str(f["message"]))
                    for f in json.loads(cached.read_text())]
    try:
        proc = run_bounded([gotool.go_binary(), "vet", "-json", "."], package_dir, VET_TIMEOUT_S)
    except (gotool.GoError, OSError) as exc:
        return [_did_not_run(str(exc))]
    if proc.returncode is None:
        return [_did_not_run(f"killed at its {VET_TIMEOUT_S:.0f}s timeout")]
    findings = parse_vet_json(proc.output)
    if cached is not None and (proc.returncode == 0 or findings):  # vet answered: clean, or findings
        with contextlib.suppress(OSError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.name}.tmp{os.getpid()}")
            tmp.write_text(json.dumps([{"analyzer": f.analyzer, "file": f.file, "line": f.line, "message": f.message}
                                       for f in findings]))
            os.replace(tmp, cached)
    return findings


def _cache_file(package_dir: Path, cache_dir: Path) -> Path | None:
    """Where vet's findings for these sources are kept; None when there is no module to hash."""
    try:
        root = gotool.module_root(package_dir)
        digest = gotool.source_hash(root, extra=(gotool.go_version(), str(root.resolve()),
                                                 str(package_dir.resolve().relative_to(root.resolve())), "vet"))
    except (gotool.GoError, OSError, ValueError):
        return None
    return cache_dir / "vet" / f"{digest[:24]}.json"


def parse_vet_json(text: str) -> list[VetFinding]:
    """vet -json prints one JSON object per package, concatenated, possibly between plain lines."""
    findings: list[VetFinding] = []
    decoder = json.JSONDecoder()
    i = 0
    while (start := text.find("{", i)) >= 0:
        try:
            obj, i = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        for analyzers in obj.values() if isinstance(obj, dict) else ():
            for analyzer, items in analyzers.items() if isinstance(analyzers, dict) else ():
                for item in items if isinstance(items, list) else ():
                    file, _, rest = str(item.get("posn", "")).rpartition(".go:")
                    line = rest.split(":")[0]
                    findings.append(VetFinding(str(analyzer), file + ".go" if file else "",
                                               int(line) if line.isdigit() else 0, str(item.get("message", ""))))
    return findings


def relate(findings: Sequence[VetFinding], culprits: Sequence[Culprit]) -> tuple[VetFinding, ...]:
    """Mark each finding that points at the leak: a leak analyzer, and :func:`.source.relate_to`'s rule
    (in a file on the top culprit's stack, within one of its functions when that can be read)."""
    frames = culprit_frames(culprits)
    return tuple(replace(f, points_at_leak=f.analyzer in LEAK_ANALYZERS
                         and relate_to([Finding(f.file, f.line, f.message)], frames)[0].points_at_leak)
                 for f in findings)
