"""pytest hooks only: options, collection of scenario files, items, report, summary."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import options, progress
from .api import Goleak
from .corpora.items import corpus_items
from .detectors import hookspecs
from .detectors.harness import failed_hook
from .record import ScenarioResult
from .report import baseline, github
from .report import results as results_mod
from .report.baseline import write_terminal
from .report.pytest_html import register
from .run import limits
from .run.runtime.docker import DockerUnavailable
from .scenario import collect
from .scenario.parse import Scenario, ScenarioError, load_scenario
from .session import GoleakSession
from .textsafe import terminal

SESSION_KEY = pytest.StashKey[GoleakSession]()
NOT_COLLECTED_KEY = pytest.StashKey[list[tuple[Path, str]]]()
DESELECTED_KEY = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.addoption(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "goleak: a pytest-goleak scenario item")
    settings = options.settings_from(config)
    if settings.enabled and not hasattr(config, "workerinput"):
        try:  # a missing baseline or a bad rule is a usage error now, not after the whole run
            baseline.check_options(save=settings.save, compare=settings.compare,
                                   fail_exprs=settings.compare_fail, rootdir=settings.rootdir)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    if settings.enabled:
        try:  # a bad GOLEAK_MAX_*_BYTES is a usage error now, not a failure in the middle of a capture
            for name in limits.CAPS:
                limits.cap(name)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        gs = GoleakSession(settings, is_worker=hasattr(config, "workerinput"))
        gs.progress = progress.sink(config)
        gs.hook_detectors = _hook_detectors(config)
        config.stash[SESSION_KEY] = gs
        if not gs.is_worker:
            config.pluginmanager.register(ResultCollector(gs), "goleak-results")
            register(config)  # extra columns when pytest-html is installed; nothing otherwise


def _hook_detectors(config: pytest.Config) -> list[object]:
    """The pytest_goleak_detectors implementations' detectors, one implementation at a time, so one
    that raises becomes an errored detector (a cell with its reason) and the others still count."""
    found: list[object] = []
    for impl in config.pluginmanager.hook.pytest_goleak_detectors.get_hookimpls():
        try:
            returned: Any = impl.function(config=config)
            found.extend(list(returned or ()))
        except Exception as exc:  # noqa: BLE001 - a user's hook may raise anything
            found.append(failed_hook(impl.plugin_name, exc))
    return found


def _session(config: pytest.Config) -> GoleakSession | None:
    return config.stash.get(SESSION_KEY, None)


def pytest_sessionstart(session: pytest.Session) -> None:
    gs = _session(session.config)
    if gs is None:
        return
    try:
        gs.start()
    except DockerUnavailable as exc:
        gs.setup_error = str(exc)
        if not gs.is_worker:
            gs.write_report()
        # One clear line (pytest prints a UsageError once, as "ERROR: ..."), never a traceback per item.
        raise pytest.UsageError(f"pytest-goleak: {exc}") from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    gs = _session(config)
    if gs is None or gs.is_worker:
        return []
    return [progress.header_line(gs.settings)]


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to corpus items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    gs = _session(config)
    if gs is not None and gs.settings.corpora:
        items.extend(corpus_items(session, gs.settings.corpora, gs.settings.cache_dir, ScenarioFile))
    if gs is not None:
        refuse_duplicate_names(items)


def refuse_duplicate_names(items: list[pytest.Item]) -> None:
    """Two scenarios with one name would write over each other's report folder and results: every
    one after the first is an error at collection naming both files."""
    first: dict[str, ScenarioItem] = {}
    for item in items:
        if not isinstance(item, ScenarioItem) or item.scenario is None:
            continue
        seen = first.setdefault(item.scenario.name, item)
        if seen is not item:
            item.error = ScenarioError(item.path, item.scenario.line_of("name"), (
                f"scenario name {item.scenario.name!r} is also the name of {seen.path}: rename one "
                "(each scenario's report folder and results are named after it)"))
            item.scenario = None


def pytest_deselected(items: list[pytest.Item]) -> None:
    scenario_items = [i for i in items if isinstance(i, ScenarioItem)]
    if scenario_items:
        config = scenario_items[0].config
        config.stash[DESELECTED_KEY] = config.stash.get(DESELECTED_KEY, 0) + len(scenario_items)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if _session(config) is None:
        return None
    decision = collect.classify(file_path, globs=collect.globs_from_ini(config.getini("goleak_scenario_globs")),
                                named=parent.session.isinitpath(file_path), rootdir=config.rootpath)
    if decision is None:
        return None
    if decision.collect:
        return ScenarioFile.from_parent(parent, path=file_path)
    config.stash.setdefault(NOT_COLLECTED_KEY, []).append((file_path, decision.reason))
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under -v, say why each YAML file that was looked at is not a scenario item."""
    skipped = session.config.stash.get(NOT_COLLECTED_KEY, [])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not skipped or reporter is None or session.config.get_verbosity() < 1:
        return
    root = session.config.rootpath
    for path, reason in skipped:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        reporter.write_line(terminal(f"goleak: not collected: {shown}: {reason}"))


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenario: Scenario | None = load_scenario(self.path)
            error = None
        except ScenarioError as exc:
            scenario, error = None, exc
        name = scenario.name if scenario else self.path.stem
        yield ScenarioItem.from_parent(self, name=name, scenario=scenario, error=error)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario | None, error: ScenarioError | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.error = error
        self.goleak_result: ScenarioResult | None = None
        self.add_marker("goleak")

    def setup(self) -> None:
        if self.error is not None:
            # A bad file is this item's error alone: the other scenarios still run.
            self.goleak_result = ScenarioResult(name=self.name, file=str(self.path), description="", expect=None,
                                                culprit_expected=None, verdict="error", passed=False,
                                                message=str(self.error), error=str(self.error))
            pytest.fail(terminal(str(self.error)), pytrace=False)

    def runtest(self) -> None:
        gs = _session(self.config)
        assert gs is not None and self.scenario is not None
        result = gs.run(self.scenario)
        self.goleak_result = result
        self.user_properties.extend(junit_properties(result))
        if result.verdict == "skipped":
            pytest.skip(result.message)
        if not result.passed:
            detail = f"\n{result.error}" if result.error else ""
            pytest.fail(terminal(f"{result.name}: {result.message}{detail}"), pytrace=False)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"goleak scenario {self.name}"


def junit_properties(result: ScenarioResult) -> list[tuple[str, object]]:
    props: list[tuple[str, object]] = [("goleak.verdict", result.verdict), ("goleak.expect", result.expect or "")]
    for check in result.budgets:
        if check.measured is not None:
            props.append((f"goleak.{check.name}", round(check.measured, 3)))
    if result.culprits.culprits:
        c = result.culprits.culprits[0]
        props.append(("goleak.culprit", f"{c.function} {c.file}:{c.line}"))
    return props


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    result = getattr(item, "goleak_result", None)
    if result is not None and (report.when == "call" or (report.when == "setup" and report.failed)):
        report.goleak = results_mod.to_json(result)  # JSON: travels to the xdist controller with the report
    return report


class ResultCollector:
    """Registered on the controller: gathers each scenario's result from its test report."""

    def __init__(self, gs: GoleakSession) -> None:
        self.gs = gs

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = getattr(report, "goleak", None)
        if entry is not None:
            self.gs.record(results_mod.read_scenario(entry))


@pytest.fixture(scope="session")
def goleak(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run scenarios from Python tests: ``goleak.run("scenarios/x.yaml", budgets={...})``."""
    gs = _session(request.config)
    if gs is not None:
        yield Goleak(gs)
        return
    # Without --goleak the fixture brings its own session (it reports through its results only).
    private = GoleakSession(options.settings_from(request.config), is_worker=True)
    private.start()
    try:
        yield Goleak(private)
    finally:
        private.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    gs = _session(session.config)
    if gs is None:
        return
    try:
        if not gs.is_worker and (gs.results or gs.setup_error):
            gs.write_report(unsaved=_why_not_saved(session, gs) if gs.settings.save else None)
            if gs.baseline_failures:  # a regression against the baseline fails the run
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            if gs.settings.github:
                _publish_github(session.config, gs)
    finally:
        gs.close()


def _why_not_saved(session: pytest.Session, gs: GoleakSession) -> str | None:
    """Why this run's figures must not become the baseline, or None: only a complete run of every
    collected scenario, uninterrupted and without errors, is saved."""
    if session.exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
        return "the run was interrupted or stopped early"
    deselected = session.config.stash.get(DESELECTED_KEY, 0)
    if deselected:
        return f"{deselected} scenario(s) were deselected (-k, -m or --deselect): only a whole run is saved"
    errors = sorted({r.name for r in gs.results if r.verdict == "error"})
    if errors:
        return f"scenario(s) ended in error: {', '.join(errors)}"
    expected = sum(1 for i in session.items if isinstance(i, ScenarioItem))
    if expected and len(gs.results) < expected:
        return f"only {len(gs.results)} of {expected} scenarios ran"
    return None


def _publish_github(config: pytest.Config, gs: GoleakSession) -> None:
    tr = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")

    def emit(line: str) -> None:
        if tr is None:
            print(line, flush=True)
            return
        # after pytest's progress dots ".F  [100%]": GitHub reads a command only at a line's start
        if getattr(getattr(tr, "_tw", None), "width_of_current_line", 0):
            tr.write("\n")
        tr.write_line(line)

    with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
        github.publish(results_mod.ordered(gs.results), error=gs.setup_error,
                       rootdir=gs.settings.rootdir, failures=gs.baseline_failures,
                       emit=emit, warn=lambda line: print(line, file=sys.stderr))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    gs = _session(config)
    if gs is not None and not gs.is_worker and gs.results:
        terminalreporter.section("goleak")
        def write_line(line: str) -> None:  # function names, files and messages come from the service
            terminalreporter.write_line(terminal(line))

        gs.summary(write_line)
        write_terminal(write_line, gs.comparison)
