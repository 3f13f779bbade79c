"""``goleak`` command line. One function per subcommand, registered in ``_COMMANDS``.

Each command imports what it needs inside its function (the package's one deliberate exception
to imports at the top): ``goleak top`` is benchmarked against
``go tool pprof`` as a whole process, so nothing heavy (docker, jinja2, yaml, pytest) may be
imported on its path. ``goleak run`` imports the whole harness, lazily, inside its functions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: `goleak top` stays light
    from .options import Settings
    from .session import GoleakSession

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _top_args(p: argparse.ArgumentParser) -> None:
    # Each option also answers to pprof's own spelling (-sample_index=inuse_space, -base FILE):
    # argparse takes single-dash long names and "=value" as they are.
    p.add_argument("profile", help="profile file (gzipped or raw pprof protobuf)")
    base = p.add_mutually_exclusive_group()
    base.add_argument("--base", "-base", help="subtract this profile first, as go tool pprof -base does")
    base.add_argument("--diff-base", "--diff_base", "-diff_base", dest="diff_base", metavar="BASE",
                      help="subtract this profile, percentages relative to it, as go tool pprof -diff_base")
    p.add_argument("--sample-index", "--sample_index", "-sample_index", dest="sample_index",
                   help="sample type, e.g. inuse_space, alloc_objects (default: the profile's default)")
    p.add_argument("--nodecount", "-nodecount", type=int, default=0, help="show at most N nodes")
    p.add_argument("--cum", "-cum", action="store_true", help="sort by cumulative value")
    p.add_argument("--lines", "-lines", action="store_true", help="aggregate by file:line instead of function")
    p.add_argument("--focus", "-focus", help="keep only samples with a frame matching this regex")
    p.add_argument("--ignore", "-ignore", help="drop samples with a frame matching this regex")
    p.add_argument("--top", "-top", action="store_true", help=argparse.SUPPRESS)  # pprof's report kind; the only one


def _top(ns: argparse.Namespace) -> int:
    from .pprof import ProfileError, diff, load
    from .pprof.aggregate import top_report
    from .pprof.text import render_top

    try:
        prof = load(ns.profile)
        if ns.base or ns.diff_base:
            prof = diff.subtract(prof, load(ns.base or ns.diff_base), diff_base=bool(ns.diff_base))
        index = prof.index_of(ns.sample_index)
        res = top_report(prof, index, "line" if ns.lines else "function", ns.focus, ns.ignore, ns.nodecount,
                         cum=ns.cum)
    except ProfileError as err:
        print(f"goleak top: {err}", file=sys.stderr)
        return 2
    filters = [f"{k}={v}" for k, v in (("focus", ns.focus), ("ignore", ns.ignore)) if v]
    sys.stdout.write(render_top(prof, index, res, filters))
    return 0


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a scenario file (YAML)")
    p.add_argument("--report", metavar="DIR", default="goleak-report",
                   help="where to write results.json, the HTML report and profiles (default goleak-report)")
    p.add_argument("--runtime", choices=("docker", "local"), default="docker",
                   help="run the fixture in Docker (default) or as a local process")
    p.add_argument("--requests", metavar="N", help="requests (overrides the file)")
    p.add_argument("--snapshots", metavar="N", help="snapshots, at least 4 (overrides the file)")
    p.add_argument("--budget", metavar="NAME=VALUE", action="append", default=[],
                   help="a default budget, e.g. goroutines_per_1k_requests=2 (repeatable)")
    p.add_argument("--memprofilerate", metavar="N", help="runtime.MemProfileRate")
    p.add_argument("--no-vet", dest="vet", action="store_false", help="skip `go vet` over a Go fixture")
    p.add_argument("--save", metavar="NAME|PATH", help="save the growth figures as a baseline")
    p.add_argument("--compare", metavar="FILE|NAME", help="compare the growth figures against a baseline")
    p.add_argument("--compare-fail", metavar="EXPR", action="append", default=[],
                   help="a regression that fails the run, e.g. heap:+20%% or goroutines:+0 (repeatable)")


def _run(ns: argparse.Namespace) -> int:
    """One scenario outside pytest, through the same session, runner and reports as a pytest run.
    Exit status: 0 passed, 1 not passed (or could not run), 2 bad input."""
    settings = _run_settings(ns)
    if isinstance(settings, str):
        print(f"goleak run: {settings}", file=sys.stderr)
        return 2
    from .scenario.parse import ScenarioError, load_scenario

    try:
        scenario = load_scenario(Path(ns.scenario))
    except ScenarioError as err:
        print(f"goleak run: {err}", file=sys.stderr)
        return 2
    from .run.runtime.docker import DockerUnavailable
    from .session import GoleakSession

    gs = GoleakSession(settings, is_worker=False)
    if sys.stderr.isatty():  # the stages as they happen, as `pytest -v` shows them on a terminal
        gs.progress = lambda line: print(f"  {line}", file=sys.stderr, flush=True)
    try:
        try:
            gs.start()
        except DockerUnavailable as exc:
            gs.setup_error = str(exc)
            gs.write_report()
            print(f"goleak run: {exc}", file=sys.stderr)
            return 1
        result = gs.run(scenario)
        gs.record(result)
        failures = _report(gs, ns)
    finally:
        gs.close()
    return 0 if result.passed and not failures else 1


def _run_settings(ns: argparse.Namespace) -> Settings | str:
    """Settings for ``goleak run``, or the text of what is wrong with the arguments."""
    import pytest

    from . import signals, validate
    from .options import DEFAULT_MEMPROFILERATE, Settings
    from .report import baseline

    try:
        checked = validate.settings(
            runtime=ns.runtime, snapshots=ns.snapshots, requests=ns.requests,
            memprofilerate=DEFAULT_MEMPROFILERATE if ns.memprofilerate is None else ns.memprofilerate,
            budgets=[("--budget", text) for text in ns.budget],
            spelled={"snapshots": "--snapshots", "requests": "--requests", "memprofilerate": "--memprofilerate",
                     "runtime": "--runtime"})
        baseline.check_options(save=ns.save, compare=ns.compare, fail_exprs=ns.compare_fail,
                               rootdir=Path.cwd())
    except (pytest.UsageError, ValueError) as err:
        return str(err)
    return Settings(enabled=True, report_dir=Path(ns.report).resolve(), runtime=checked.runtime,
                    snapshots=checked.snapshots, requests=checked.requests,
                    budgets={**signals.default_budgets(), **checked.budgets}, memprofilerate=checked.memprofilerate,
                    vet=ns.vet, save=ns.save, compare=ns.compare, compare_fail=tuple(ns.compare_fail),
                    invocation_dir=Path.cwd())


def _report(gs: GoleakSession, ns: argparse.Namespace) -> list[str]:
    """Write results.json + HTML (the session's own writer), the terminal table, and the baseline
    comparison. Returns the baseline failures."""
    from .report import baseline

    gs.write_report()  # applies --save / --compare itself (GoleakSession.baseline_failures)
    failures = gs.baseline_failures
    gs.summary(print)
    baseline.write_terminal(print, gs.comparison)
    if ns.save:
        print(f"baseline saved: {baseline.resolve(ns.save, Path.cwd())}")
    return list(failures)


def _merge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("shards", nargs="+", metavar="DIR",
                   help="a shard's report directory (or its results.json); one per CI runner")
    p.add_argument("--report", metavar="DIR", default="goleak-report",
                   help="where to write the merged results.json, HTML report and profiles (default goleak-report)")
    p.add_argument("--save", metavar="NAME|PATH", help="save the merged growth figures as a baseline")
    p.add_argument("--compare", metavar="FILE|NAME", help="compare the merged growth figures against a baseline")
    p.add_argument("--compare-fail", metavar="EXPR", action="append", default=[],
                   help="a regression that fails the merge, e.g. heap:+20%% or goroutines:+0 (repeatable)")


def _merge(ns: argparse.Namespace) -> int:
    """Shards' results.json files -> one report, one validation and detector matrix, one baseline
    comparison. Exit status: 0 every scenario passed, 1 not (or a shard's run failed), 2 bad input."""
    import pytest

    from .options import Settings
    from .report import baseline
    from .report.merge import MergeError, gather
    from .session import GoleakSession

    out = Path(ns.report).resolve()
    try:
        baseline.check_options(save=ns.save, compare=ns.compare, fail_exprs=ns.compare_fail, rootdir=Path.cwd())
        merged = gather([Path(d) for d in ns.shards], out)
    except (MergeError, pytest.UsageError, ValueError) as err:
        print(f"goleak merge: {err}", file=sys.stderr)
        return 2
    gs = GoleakSession(Settings(enabled=True, report_dir=out, save=ns.save, compare=ns.compare,
                                compare_fail=tuple(ns.compare_fail), rootdir=Path.cwd(), invocation_dir=Path.cwd()),
                       is_worker=False)
    gs.settings_doc = dict(merged.settings)
    gs.results = list(merged.scenarios)
    gs.setup_error = "; ".join(merged.errors) or None
    failures = _report(gs, ns)
    passed = all(r.passed for r in merged.scenarios) and not merged.errors and not failures
    return 0 if passed else 1


_COMMANDS: dict[str, tuple[str, Command]] = {
    "top": ("print the go tool pprof -top table for a profile", (_top_args, _top)),
    "run": ("run one scenario outside pytest (same results.json, HTML report and table)", (_run_args, _run)),
    "merge": ("merge shards' report directories into one report (results.json, HTML, matrices, baseline)",
              (_merge_args, _merge)),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="goleak", description="Go memory and goroutine leak tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, (add_args, _)) in _COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    _, (_, run) = _COMMANDS[ns.command]
    try:
        return run(ns)
    except BrokenPipeError:  # `goleak top ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
