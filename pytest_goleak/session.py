"""The state of one ``pytest --goleak`` process: engine connection, services, collected results.

Registered in ``config.stash`` by the plugin; never a module global. Under pytest-xdist every
worker has one (to run scenarios) and the controller has one (to collect results and write the
single report).
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from . import __version__
from .detectors import detectors_for
from .detectors.base import DetectorResult
from .detectors.harness import builtin_answers, run_answers, session_matrix
from .detectors.matrix import Cell
from .options import Settings
from .record import ScenarioResult
from .report import baseline
from .report import results as results_mod
from .report.comparison import Comparison
from .report.confusion import Validation, validation
from .report.html import RunReport, write_html
from .report.terminal import write_summary
from .run.runner import Runner
from .run.runtime import docker as rt
from .scenario.parse import Scenario
from .services import Services


class GoleakSession:
    def __init__(self, settings: Settings, is_worker: bool) -> None:
        self.settings = settings
        self.is_worker = is_worker
        self.run_id = uuid.uuid4().hex[:12]
        self.results: list[ScenarioResult] = []
        self.written: Path | None = None  # results.json, once written
        self.comparison: Comparison | None = None  # against the baseline (report/baseline.py), when asked
        self.validation = Validation()  # the validation matrix, once written
        self.detector_matrix: list[Cell] = []  # the detector x corpus matrix, once written
        self.docker: Any = None
        self.services: Any = None
        self.setup_error: str | None = None
        self.baseline_failures: list[str] = []
        self.unsaved: str | None = None  # why --goleak-save did not save, when it did not
        self._runner: Any = None
        self.progress: Callable[[str], None] | None = None  # per-stage lines (see progress.py)
        self.hook_detectors: list[object] = []  # from pytest_goleak_detectors (see plugin.py)
        self._detectors: list[object] | None = None
        self._old_sigterm: Any = None
        self.settings_doc: Mapping[str, object] | None = None  # results.json's settings when not this run's (merge)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to the engine and sweep what killed runs left behind. Raises DockerUnavailable."""
        if self.settings.runtime == "docker":
            self.docker = rt.connect()
            rt.sweep(self.docker)
        self._install_sigterm()

    def _install_sigterm(self) -> None:
        # CI runners stop jobs with SIGTERM; turning it into KeyboardInterrupt runs every finally.
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        self._old_sigterm = signal.signal(signal.SIGTERM, handler)

    def close(self) -> None:
        if self.services is not None:
            self.services.close()
            self.services = None
        if self.docker is not None:
            try:
                self.docker.close()
            except Exception:  # noqa: BLE001
                pass
            self.docker = None
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    # -- running --------------------------------------------------------------------------------

    def run(self, scenario: Scenario) -> ScenarioResult:
        if self._runner is None:
            self.services = self.services or Services(docker_client=self.docker)
            self._runner = Runner(self.settings, self.run_id, self.docker, self.services, progress=self.progress)
        result: ScenarioResult = self._runner.run(scenario)
        t0 = time.monotonic()
        answers = tuple(self._detector_answers(result, scenario))
        stages = {**result.stages_s, "detectors": round(time.monotonic() - t0, 3)}
        return dataclasses.replace(result, detectors=answers, stages_s=stages)

    def _detector_answers(self, result: ScenarioResult, scenario: Scenario) -> list[DetectorResult]:
        """Every detector's answer on this scenario, for the detector x corpus matrix."""
        if self._detectors is None:  # vet already ran in the runner: its findings are in the result
            static = detectors_for(self.settings.detectors, self.settings.cache_dir,
                                   builtin=self.settings.static_detectors)
            self._detectors = static + self.hook_detectors
        answers = builtin_answers(result)
        if result.verdict in ("leak", "clean") and self._detectors:
            answers += run_answers(result, results_mod.to_json(result), scenario.fixture, self._detectors)
        return answers

    def record(self, result: ScenarioResult) -> None:
        self.results.append(result)

    # -- reporting (controller only) ------------------------------------------------------------

    def settings_json(self) -> Mapping[str, object]:
        if self.settings_doc is not None:
            return dict(self.settings_doc)
        return results_mod.settings_json(self.settings)

    def write_report(self, unsaved: str | None = None) -> Path:
        """``unsaved``: why the run's figures must not replace the baseline (--goleak-save), if so."""
        if self.setup_error and self.settings.save:
            unsaved = unsaved or f"the run did not start: {self.setup_error}"
        if not self.setup_error and (self.settings.save or self.settings.compare):
            s = self.settings
            self.comparison, self.baseline_failures = baseline.apply(
                self.results, save=None if unsaved else s.save, compare=s.compare, fail_exprs=s.compare_fail,
                rootdir=s.rootdir)
        self.unsaved = unsaved
        t0 = time.monotonic()
        created = results_mod.now()
        runs = results_mod.ordered(self.results)
        self.validation = validation(runs)
        self.detector_matrix = session_matrix(runs)
        write_html(self.settings.report_dir, RunReport(runs, self.validation, self.comparison,
                                                       f"pytest-goleak {__version__}", created, self.setup_error,
                                                       self.detector_matrix))
        results = results_mod.build(runs, self.settings_json(), created=created, comparison=self.comparison,
                                    error=self.setup_error, cells=self.detector_matrix,
                                    report_s=round(time.monotonic() - t0, 3))  # results.json itself: milliseconds
        self.written = results_mod.write(self.settings.report_dir, results)
        return self.written

    def summary(self, write_line: Callable[[str], None]) -> None:
        if self.written is None:
            return
        if self.setup_error:
            write_line(f"pytest-goleak: {self.setup_error}")
        index = self.settings.report_dir / "index.html"
        write_summary(write_line, results_mod.ordered(self.results), self.validation,
                      index if index.exists() else self.settings.report_dir / "results.json", self.detector_matrix,
                      self.settings.rate_per_second)
        if self.unsaved:
            write_line(f"baseline NOT saved to {self.settings.save}: {self.unsaved}")
