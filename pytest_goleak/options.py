"""One ``goleak`` option group and its ini keys -> a frozen Settings (CLI > ini > default)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import signals, validate
from .detectors.spec import DeclarationError, parse_declarations
from .judge.verdict import RATE_PER_SECOND

#: runtime.MemProfileRate for every service, through GODEBUG=memprofilerate=N (read by the Go
#: runtime at start; a service that sets runtime.MemProfileRate itself still wins). 4 KiB samples
#: leaks of a few hundred bytes per request reliably, at a few percent CPU overhead.
DEFAULT_MEMPROFILERATE = 4096
#: A signal over budget keeps the load going up to this multiple of the scenario's requests, and
#: at most this long, to tell a cache that fills from a leak (see README, "Filling is not leaking").
DEFAULT_EXTENSION_FACTOR = 4.0
DEFAULT_EXTENSION_TIMEOUT = 120.0
#: The request rate a leak's size per day is said at (terminal table, report, failure message).
DEFAULT_RATE_PER_SECOND = RATE_PER_SECOND


@dataclass(frozen=True)
class Settings:
    enabled: bool = False
    report_dir: Path = Path("goleak-report")
    runtime: str = "docker"
    snapshots: int | None = None  # overrides every scenario's count when set
    requests: int | None = None  # overrides every scenario's request count when set
    budgets: dict[str, float] = field(default_factory=signals.default_budgets)
    memprofilerate: int = DEFAULT_MEMPROFILERATE
    extension_factor: float = DEFAULT_EXTENSION_FACTOR
    extension_timeout: float = DEFAULT_EXTENSION_TIMEOUT
    cache_dir: Path = Path.home() / ".cache" / "pytest-goleak"
    save: str | None = None
    compare: str | None = None
    compare_fail: tuple[str, ...] = ()
    vet: bool = True  # run `go vet` over each Go fixture as the static detector
    corpora: tuple[str, ...] = ()  # known-truth corpora to collect as scenarios (--goleak-corpus)
    detectors: tuple[str, ...] = ()  # ini goleak_detectors lines, validated by detectors.spec
    static_detectors: bool = False  # run the built-in static commands (bodyclose, ...) on each fixture
    rootdir: Path = Path(".")  # where .goleak/baselines/NAME.json lives
    github: bool = False  # job summary + annotations on GitHub Actions (report/github.py)
    invocation_dir: Path | None = None  # where pytest was started: the pprof commands' paths start here
    rate_per_second: float = DEFAULT_RATE_PER_SECOND  # a leak's size per day is said at this rate


CORPORA = ("goker",)


def _corpus(value: str) -> str:
    if value not in CORPORA:
        raise pytest.UsageError(f"unknown corpus {value!r}: expected one of {', '.join(CORPORA)}")
    return value


def _rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not rate > 0:
        raise pytest.UsageError(f"--goleak-rate-per-second: expected a positive number of requests/s, got {value!r}")
    return rate


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goleak", "Go memory and goroutine leak gate (pytest-goleak)")
    group.addoption("--goleak", action="store_true", default=None,
                    help="collect scenario files (*.goleak.yaml; scenarios/*.yaml with a fixture, dockerfile "
                         "or image key) and run them. ini: goleak")
    group.addoption("--goleak-report", metavar="DIR", default=None,
                    help="where to write results.json, the HTML report and raw profiles (default goleak-report)")
    group.addoption("--goleak-runtime", choices=("docker", "local"), default=None,
                    help="run fixtures in Docker (default) or as local processes (no Docker needed)")
    group.addoption("--goleak-snapshots", metavar="N", default=None,
                    help="snapshots per scenario after warm-up (at least 4), overriding the scenario files")
    group.addoption("--goleak-requests", metavar="N", default=None,
                    help="requests per scenario after warm-up, overriding the scenario files")
    group.addoption("--goleak-budget", metavar="NAME=VALUE", action="append", default=None,
                    help="a project-wide default budget, e.g. goroutines_per_1k_requests=2 (repeatable)")
    group.addoption("--goleak-memprofilerate", metavar="N", default=None,
                    help=f"runtime.MemProfileRate for fixtures (default {DEFAULT_MEMPROFILERATE})")
    group.addoption("--goleak-extension-factor", metavar="F", default=None,
                    help="when a signal is over budget, keep the load going up to F times the scenario's requests "
                         f"to tell filling from leaking (default {DEFAULT_EXTENSION_FACTOR:g}; 1 turns it off)")
    group.addoption("--goleak-extension-timeout", metavar="DURATION", default=None,
                    help=f"at most this long per extension (default {DEFAULT_EXTENSION_TIMEOUT:g}s)")
    group.addoption("--goleak-rate-per-second", metavar="N", type=_rate, default=None,
                    help="say a leak's size per day at this request rate "
                         f"(default {DEFAULT_RATE_PER_SECOND:,.0f} requests/s)")
    group.addoption("--goleak-save", metavar="NAME|PATH", default=None,
                    help="save this run's growth figures as a baseline")
    group.addoption("--goleak-compare", metavar="FILE|NAME", default=None,
                    help="compare growth figures against a saved baseline")
    group.addoption("--goleak-compare-fail", metavar="EXPR", action="append", default=None,
                    help="fail on a regression against the baseline, e.g. heap:+20%% or goroutines:+0")
    group.addoption("--goleak-github", action="store_true", default=None,
                    help="write a GitHub Actions job summary and ::error annotations (on by itself when "
                         "GITHUB_ACTIONS=true). ini: goleak_github = auto|true|false")
    group.addoption("--goleak-static-detectors", action="store_true", default=None,
                    help="also run the built-in static detectors (bodyclose, sqlclosecheck, contextcheck; installed "
                         "on demand from the Go module proxy) on each Go fixture, for the detector matrix. "
                         "ini: goleak_static_detectors")
    group.addoption("--goleak-corpus", metavar="NAME", action="append", type=_corpus, default=None,
                    help="also collect a known-truth corpus as scenarios: goker (GoBench, from Go >= 1.26's "
                         "GOROOT). ini: goleak_corpus")
    parser.addini("goleak", "run scenario files without --goleak", type="bool", default=False)
    parser.addini("goleak_github", "GitHub job summary and annotations: auto (when GITHUB_ACTIONS=true), "
                  "true or false", default="auto")
    parser.addini("goleak_report", "default for --goleak-report", default="goleak-report")
    parser.addini("goleak_runtime", "default for --goleak-runtime", default="docker")
    parser.addini("goleak_budgets", "default budgets, one NAME = VALUE per line", type="linelist", default=[])
    parser.addini("goleak_memprofilerate", "default for --goleak-memprofilerate", default=str(DEFAULT_MEMPROFILERATE))
    parser.addini("goleak_extension_factor", "default for --goleak-extension-factor",
                  default=str(DEFAULT_EXTENSION_FACTOR))
    parser.addini("goleak_extension_timeout", "default for --goleak-extension-timeout",
                  default=f"{DEFAULT_EXTENSION_TIMEOUT:g}s")
    parser.addini("goleak_cache_dir", "where built binaries are cached", default="")
    parser.addini("goleak_scenario_globs", "which files are scenarios, matched from the right "
                  "(default: *.goleak.yaml *.goleak.yml scenarios/*.yaml scenarios/*.yml)", type="linelist", default=[])
    parser.addini("goleak_corpus", "default for --goleak-corpus, one name per line", type="linelist", default=[])
    parser.addini("goleak_static_detectors", "default for --goleak-static-detectors", type="bool", default=False)
    parser.addini("goleak_detectors", "static detectors, one `name = module@version [args]` per line",
                  type="linelist", default=[])
    parser.addini("goleak_vet", "run `go vet` over each Go fixture (static leak checks)", type="bool", default=True)


def _given(option: object, ini: object) -> object:
    """The option's value when given, else the ini key's (an empty ini value means the default)."""
    return option if option is not None else (str(ini) or None)


def settings_from(config: pytest.Config) -> Settings:
    def opt(name: str) -> Any:
        return config.getoption(name)

    enabled = opt("goleak") if opt("goleak") is not None else bool(config.getini("goleak"))
    mpr_given = opt("goleak_memprofilerate")
    spelled = {"runtime": "--goleak-runtime" if opt("goleak_runtime") else "ini goleak_runtime",
               "snapshots": "--goleak-snapshots", "requests": "--goleak-requests",
               "memprofilerate": "--goleak-memprofilerate" if mpr_given is not None else "ini goleak_memprofilerate",
               "extension_factor": "--goleak-extension-factor" if opt("goleak_extension_factor") is not None
               else "ini goleak_extension_factor",
               "extension_timeout": "--goleak-extension-timeout" if opt("goleak_extension_timeout") is not None
               else "ini goleak_extension_timeout"}
    try:
        checked = validate.settings(
            runtime=opt("goleak_runtime") or str(config.getini("goleak_runtime")),
            snapshots=opt("goleak_snapshots"), requests=opt("goleak_requests"),
            memprofilerate=mpr_given if mpr_given is not None else str(config.getini("goleak_memprofilerate")),
            budgets=[*(("ini goleak_budgets", line) for line in config.getini("goleak_budgets")),
                     *(("--goleak-budget", text) for text in opt("goleak_budget") or [])], spelled=spelled,
            extension_factor=_given(opt("goleak_extension_factor"), config.getini("goleak_extension_factor")),
            extension_timeout=_given(opt("goleak_extension_timeout"), config.getini("goleak_extension_timeout")))
    except validate.InvalidSetting as exc:
        raise pytest.UsageError(str(exc)) from None
    cache = str(config.getini("goleak_cache_dir")) or os.environ.get("GOLEAK_CACHE_DIR", "")
    report = opt("goleak_report") or str(config.getini("goleak_report"))
    corpora = tuple(opt("goleak_corpus") or [_corpus(str(c)) for c in config.getini("goleak_corpus")])
    detector_lines = tuple(str(line) for line in config.getini("goleak_detectors"))
    try:
        parse_declarations(detector_lines)
    except DeclarationError as exc:
        raise pytest.UsageError(f"goleak_detectors: {exc}") from None
    return Settings(
        enabled=bool(enabled), report_dir=Path(config.invocation_params.dir, report),
        runtime=checked.runtime, snapshots=checked.snapshots, requests=checked.requests,
        budgets={**signals.default_budgets(), **checked.budgets}, memprofilerate=checked.memprofilerate,
        extension_factor=checked.extension_factor or DEFAULT_EXTENSION_FACTOR,
        extension_timeout=checked.extension_timeout or DEFAULT_EXTENSION_TIMEOUT,
        cache_dir=Path(cache) if cache else Settings.cache_dir,
        vet=bool(config.getini("goleak_vet")), rootdir=config.rootpath, save=opt("goleak_save"),
        compare=opt("goleak_compare"), compare_fail=tuple(opt("goleak_compare_fail") or ()),
        github=github_enabled(opt("goleak_github"), str(config.getini("goleak_github")), os.environ),
        invocation_dir=Path(config.invocation_params.dir),
        corpora=tuple(dict.fromkeys(corpora)), detectors=detector_lines,
        rate_per_second=opt("goleak_rate_per_second") or DEFAULT_RATE_PER_SECOND,
        static_detectors=bool(opt("goleak_static_detectors") if opt("goleak_static_detectors") is not None
                              else config.getini("goleak_static_detectors")),
    )


def github_enabled(option: bool | None, ini: str, env: Mapping[str, str]) -> bool:
    """--goleak-github wins; then ini goleak_github (true / false / auto); auto means on
    when GITHUB_ACTIONS=true."""
    if option:
        return True
    value = (ini or "auto").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return env.get("GITHUB_ACTIONS") == "true"
