"""``goleak merge``: the results of shards (CI runners that each ran part of the scenarios) as one run.

Each shard wrote its own report directory. :func:`gather` reads their results.json files (checked
against the schema), refuses a scenario that two shards both ran, and copies each scenario's
files (profiles, logs, traces) into the merged report directory, so that the merged report links
to them as a single run's would. Writing the merged results.json, HTML report, validation and
detector matrices and the baseline comparison is the session's own writer (session.py), fed with
the gathered results: a merged report is made exactly as one run's is.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..record import ScenarioResult
from .results import ResultsError, read_file


class MergeError(ValueError):
    """Shards that cannot be merged: a missing or invalid results.json, a scenario run twice."""


@dataclass(frozen=True)
class Merged:
    scenarios: tuple[ScenarioResult, ...]
    settings: Mapping[str, object]  # the first shard's, with the shards listed
    errors: tuple[str, ...]  # shards whose run itself failed (no engine, say), "DIR: error"


def results_path(shard: Path) -> Path:
    """A shard is its report directory, or its results.json itself."""
    return shard if shard.is_file() else shard / "results.json"


def gather(shards: Sequence[Path], out: Path) -> Merged:
    """Read every shard and copy its scenarios' files into ``out``. Raises MergeError."""
    if not shards:
        raise MergeError("no shard directories given")
    seen: dict[str, Path] = {}
    scenarios: list[ScenarioResult] = []
    errors: list[str] = []
    settings: dict[str, object] = {}
    for shard in shards:
        try:
            doc = read_file(results_path(shard))
        except ResultsError as exc:
            raise MergeError(str(exc)) from exc
        settings = settings or dict(doc.settings)
        if doc.error:
            errors.append(f"{shard}: {doc.error}")
        results = doc.scenarios
        for r in results:
            if r.name in seen:
                raise MergeError(f"scenario {r.name!r} is in two shards: {seen[r.name]} and {shard}")
            seen[r.name] = shard
        scenarios += results
    for r in scenarios:
        _copy_files(results_path(seen[r.name]).parent, out, _top_dirs(r))
    settings.update(report_dir=str(out), shards=[str(s) for s in shards])
    return Merged(tuple(scenarios), settings, tuple(errors))


def _top_dirs(r: ScenarioResult) -> set[str]:
    """The directories inside its report that a scenario's files live in (its own, normally)."""
    rels: list[str] = [*r.artifacts.values()]
    for s in r.snapshots:
        rels += s.profiles.values()
    return {PurePosixPath(p).parts[0] for p in rels if len(PurePosixPath(p).parts) > 1}


def _copy_files(src_report: Path, out: Path, dirs: Iterable[str]) -> None:
    for name in dirs:
        src, dest = src_report / name, out / name
        if name in ("", ".", "..") or not src.is_dir() or src.resolve() == dest.resolve():
            continue
        if not src.resolve().is_relative_to(src_report.resolve()):
            continue  # a path that leaves the shard's report: not ours to copy
        shutil.copytree(src, dest, dirs_exist_ok=True)
