"""Known-truth corpora as pytest items: ``pytest --goleak --goleak-corpus goker``.

The plugin calls :func:`corpus_items` from one hook; everything else lives here. A corpus that
cannot be had is one failing item that says why ("corpus not available: ..."); a case that could
not be prepared is that case's failing item; the others run as scenario items.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ..record import ScenarioResult
from . import goker


class CorpusErrorItem(pytest.Item):
    """An item that fails with a reason: a corpus or case that could not be prepared."""

    def __init__(self, *, reason: str, expect: str | None = "leak", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reason = reason
        self.goleak_result = ScenarioResult(name=self.name, file=str(self.path), description="", expect=expect,
                                            culprit_expected=None, verdict="error", passed=False, message=reason,
                                            error=reason)
        self.add_marker("goleak")

    def runtest(self) -> None:
        pytest.fail(self.reason, pytrace=False)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"goleak corpus {self.name}"


def corpus_items(session: pytest.Session, corpora: Sequence[str], cache_dir: Path,
                 file_cls: type[pytest.File]) -> list[pytest.Item]:
    """The items of each named corpus, made from scenario files generated under ``cache_dir``."""
    items: list[pytest.Item] = []
    for name in corpora:
        if name != "goker":  # options.py accepts only known names; this guards the API
            items.append(_error(session, name, f"corpus not available: unknown corpus {name!r}"))
            continue
        try:
            prepared = goker.prepare(cache_dir)
        except goker.CorpusUnavailable as exc:
            items.append(_error(session, name, f"{name}: {exc}"))
            continue
        except OSError as exc:  # the cache is not writable
            items.append(_error(session, name, f"{name}: corpus not available: cannot write {cache_dir}: {exc}"))
            continue
        for p in prepared:
            if p.scenario is None:
                items.append(_error(session, f"{name}/{p.case.name}", p.error or "not prepared"))
                continue
            file = file_cls.from_parent(session, path=p.scenario, nodeid=f"corpus/{name}/{p.case.name}")
            items.extend(_collect(file))
    return items


def _collect(file: pytest.File) -> list[pytest.Item]:
    """Collect as the session would, reporting it, so that the terminal counts these items too."""
    report: pytest.CollectReport = file.ihook.pytest_make_collect_report(collector=file)
    file.ihook.pytest_collectreport(report=report)
    return [i for i in report.result if isinstance(i, pytest.Item)] if report.passed else []


def _error(session: pytest.Session, name: str, reason: str) -> CorpusErrorItem:
    return CorpusErrorItem.from_parent(session, name=f"corpus/{name}", nodeid=f"corpus/{name}", reason=reason)
