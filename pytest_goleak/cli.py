"""``goleak`` command line. One function per subcommand, registered in ``_COMMANDS``.

Each command imports what it needs inside its function: ``goleak top`` is benchmarked against
``go tool pprof`` as a whole process, so nothing heavy (docker, jinja2, yaml, pytest) may be
imported on its path.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _top_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("profile", help="profile file (gzipped or raw pprof protobuf)")
    p.add_argument("--base", help="subtract this profile first, as go tool pprof -base does")
    p.add_argument("--sample-index", dest="sample_index",
                   help="sample type, e.g. inuse_space, alloc_objects (default: the profile's default)")
    p.add_argument("--nodecount", type=int, default=0, help="show at most N nodes")
    p.add_argument("--lines", action="store_true", help="aggregate by file:line instead of function")
    p.add_argument("--focus", help="keep only samples with a frame matching this regex")
    p.add_argument("--ignore", help="drop samples with a frame matching this regex")


def _top(ns: argparse.Namespace) -> int:
    from .pprof import ProfileError, diff, load
    from .pprof.aggregate import top_report
    from .pprof.text import render_top

    try:
        prof = load(ns.profile)
        if ns.base:
            prof = diff.subtract(prof, load(ns.base))
        index = prof.index_of(ns.sample_index)
        res = top_report(prof, index, "line" if ns.lines else "function", ns.focus, ns.ignore, ns.nodecount)
    except ProfileError as err:
        print(f"goleak top: {err}", file=sys.stderr)
        return 2
    filters = [f"{k}={v}" for k, v in (("focus", ns.focus), ("ignore", ns.ignore)) if v]
    sys.stdout.write(render_top(prof, index, res, filters))
    return 0


_COMMANDS: dict[str, tuple[str, Command]] = {
    "top": ("print the go tool pprof -top table for a profile", (_top_args, _top)),
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
