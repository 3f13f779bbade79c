"""Name the leaking code: diff the first and last post-warm-up profiles.

Goroutine growth is ranked by stack (with the state and wait reason from the ``debug=2`` text);
heap growth by ``inuse_space``, cross-checked with ``inuse_objects`` (field guide, ch. 3.3). The
culprit of a stack is its first frame that is not the runtime or the standard library.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import pprof
from ..run.capture import Snapshot
from ..scenario.ignore import IgnoreRule, first_match

#: Largest source file an excerpt is read from (generated files are big; /dev/zero is endless).
SOURCE_MAX_BYTES = 4 * 1024 * 1024
#: What an excerpt may be read from: source files, never a service-named .env, key or /proc file.
SOURCE_SUFFIXES = frozenset({".go", ".s", ".c", ".h", ".cc", ".cpp", ".y"})


@dataclass(frozen=True)
class Frame:
    function: str
    file: str | None
    line: int | None


@dataclass(frozen=True)
class Culprit:
    """A growing stack and the frame in it to blame."""

    kind: str  # "goroutine" | "heap"
    function: str
    file: str | None
    line: int | None
    delta: float | None  # goroutines more (goroutine culprits)
    delta_space: float | None  # bytes more (heap culprits)
    delta_objects: float | None
    state: str | None  # the wait reason, for a goroutine
    stack: tuple[Frame, ...]
    source_context: tuple[tuple[int, str], ...] = ()
    source: str | None = None
    own: bool = field(default=False, compare=False)  # in the user's own code: ranks first; not reported


@dataclass(frozen=True)
class GrowthSite:
    function: str
    file: str | None
    line: int | None
    delta: float


@dataclass(frozen=True)
class HeapDiffStack:
    stack: tuple[str, ...]  # root first
    delta_space: float


@dataclass(frozen=True)
class GoroutineGroup:
    count: int
    state: str | None
    wait_minutes: tuple[int, ...]
    created_by: str | None
    stack: tuple[Frame, ...]


@dataclass(frozen=True)
class IgnoredGroup:
    rule: str
    count: int
    state: str | None
    function: str | None
    created_by: str | None


@dataclass(frozen=True)
class CulpritReport:
    culprits: tuple[Culprit, ...] = ()
    growth: dict[str, tuple[GrowthSite, ...]] = field(default_factory=dict)  # by sample type
    heap_diff_stacks: tuple[HeapDiffStack, ...] = ()
    goroutine_groups: tuple[GoroutineGroup, ...] = ()
    ignored: tuple[IgnoredGroup, ...] = ()  # by the scenario's ignore list
    errors: tuple[str, ...] = ()

    @property
    def top(self) -> str | None:
        return self.culprits[0].function if self.culprits else None


@dataclass
class _Found:
    """What the culprit stage has found so far; frozen into a CulpritReport at the end."""

    growth: dict[str, tuple[GrowthSite, ...]] = field(default_factory=dict)
    heap_diff_stacks: tuple[HeapDiffStack, ...] = ()
    goroutine_groups: tuple[GoroutineGroup, ...] = ()
    ignored: tuple[IgnoredGroup, ...] = ()
    errors: list[str] = field(default_factory=list)


def _frame(f: Any) -> Frame:
    return Frame(f.function, f.file, f.line)


def readable_source(file: str, roots: Sequence[Path]) -> Path | None:
    """``file`` (a path the service's binary names, which it may choose freely with a ``//line``
    directive) when it may be read for an excerpt: a Go-ish source file of at most
    SOURCE_MAX_BYTES, inside one of ``roots`` (the build context, the module cache, GOROOT) after
    every symlink is resolved, and under no hidden directory (.git holds CI credentials). Else None:
    the report names the file and does not read it."""
    try:
        path = Path(file).resolve(strict=True)
        info = path.stat()
    except (OSError, ValueError, RuntimeError):
        return None
    if not Path(file).is_absolute() or path.suffix not in SOURCE_SUFFIXES or not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > SOURCE_MAX_BYTES:
        return None
    for root in roots:
        try:
            rel = path.relative_to(root.resolve())
        except (ValueError, OSError):
            continue
        if not any(part.startswith(".") for part in rel.parts):
            return path
    return None


def source_context(file: str, line: int, roots: Sequence[Path], around: int = 3) -> list[tuple[int, str]]:
    """The source lines around ``file:line`` when the source is at hand (built on this host) and
    may be read (:func:`readable_source`)."""
    path = readable_source(file, roots)
    if path is None:
        return []
    try:
        with path.open("rb") as fh:
            lines = fh.read(SOURCE_MAX_BYTES).decode(errors="replace").splitlines()
    except OSError:
        return []
    lo, hi = max(line - around, 1), min(line + around, len(lines))
    return [(n, lines[n - 1]) for n in range(lo, hi + 1)]


def _with_source(c: Culprit, roots: Sequence[Path]) -> Culprit:
    ctx = source_context(c.file, c.line, roots) if c.file and c.line else []
    return replace(c, source_context=tuple(ctx), source=next((text for n, text in ctx if n == c.line), None))


def is_own(function: str, module: str | None) -> bool:
    """Code the user owns: the main package, or any package of the fixture's own module."""
    return function.startswith("main.") or bool(module) and function.startswith((f"{module}.", f"{module}/"))


def pick_frame(frames: Sequence[Any], module: str | None) -> tuple[Any, bool]:
    """The frame to blame in a stack, and whether it is the user's own code.

    A leak inside a library (a persistConn, a pool's opener, a client's dial goroutine) is still
    caused by the caller who created and forgot it, so the leaf-most frame of the user's own
    module wins; failing that, the first frame outside the standard library; failing that, the leaf.
    """
    for f in frames:
        if is_own(f.function, module):
            return f, True
    return pprof.first_user_frame(list(frames)) or (frames[0] if frames else None), False


def find(report_dir: Path, first: Snapshot, last: Snapshot, goroutines_first: bool,
         module: str | None = None, limit: int = 10, heap_by: str = "inuse_space",
         ignore: Sequence[IgnoreRule] = (), source_roots: Sequence[Path] = ()) -> CulpritReport:
    """``heap_by`` ranks heap sites by the figure that is over budget: ``inuse_space`` (bytes) or
    ``inuse_objects`` (a leak of many small objects, whose bytes are under the bytes budget).
    Source excerpts are read only from files under ``source_roots`` (:func:`readable_source`)."""
    out = _Found()
    goroutine_culprits = _goroutine_part(report_dir, first, last, out, limit, module, ignore)
    heap_culprits = _heap_part(report_dir, first, last, out, limit, module, heap_by)
    ordered = goroutine_culprits + heap_culprits if goroutines_first else heap_culprits + goroutine_culprits
    # Stable: within each kind the ranking by growth stays; stacks that reach the user's code lead.
    ordered.sort(key=lambda c: not c.own)
    return CulpritReport(culprits=tuple(_with_source(c, source_roots) for c in ordered[:limit]), growth=out.growth,
                         heap_diff_stacks=out.heap_diff_stacks, goroutine_groups=out.goroutine_groups,
                         ignored=out.ignored, errors=tuple(out.errors))


def _load_pair(report_dir: Path, first: Snapshot, last: Snapshot, kind: str,
               out: _Found) -> tuple[Any, Any] | None:
    """The first and last profiles of one kind; None (with the reason noted) when unreadable."""
    a, b = first.profiles.get(kind), last.profiles.get(kind)
    if not a or not b:
        return None
    try:
        return pprof.load(report_dir / a), pprof.load(report_dir / b)
    except pprof.ProfileError as exc:
        out.errors.append(f"{kind} profile: {exc}")
        return None


def _goroutine_part(report_dir: Path, first: Snapshot, last: Snapshot, out: _Found,
                    limit: int, module: str | None, ignore: Sequence[IgnoreRule] = ()) -> list[Culprit]:
    pair = _load_pair(report_dir, first, last, "goroutine", out)
    text_groups = _text_groups(report_dir, last, out, ignore)
    if pair is None:
        return []
    culprits = []
    for g in material_growth(pprof.diff.goroutine_growth(pair[0], pair[1], limit=limit + 20 if ignore else limit)):
        frames = list(g.frames)
        user, own = pick_frame(frames, module)
        if user is None:
            continue
        if ignore and first_match(ignore, frames, _created_by_for(user, text_groups)):
            continue
        state = _state_for(user, text_groups)
        culprits.append(Culprit("goroutine", user.function, user.file, user.line, g.delta, None, None, state,
                                tuple(_frame(f) for f in frames), own=own))
    return culprits


# A goroutine stack that grew by less than this share of the biggest growth is not the leak.
MATERIAL_SHARE = 0.1


def material_growth(groups: Sequence[pprof.diff.GoroutineGrowth]) -> list[pprof.diff.GoroutineGrowth]:
    """The growing stacks that carry the leak, biggest first.

    Between two snapshots one goroutine can move from one stack to another (the accept loop caught
    outside ``Accept`` in the first, inside it in the last), which reads as a stack grown by one.
    Beside thousands of leaked goroutines that is noise, and as the service's own code it would
    otherwise lead the culprits (seen: the accept loop named instead of ``main.awaitDone``).
    """
    grown = sorted((g for g in groups if g.delta > 0), key=lambda g: -g.delta)
    if not grown:
        return []
    floor = grown[0].delta * MATERIAL_SHARE
    return [g for g in grown if g.delta >= floor]


def _text_groups(report_dir: Path, last: Snapshot, out: _Found,
                 ignore: Sequence[IgnoreRule] = ()) -> list[Any]:
    rel = last.profiles.get("goroutine_text")
    if not rel:
        return []
    try:
        text = (report_dir / rel).read_text(errors="replace")
        groups = pprof.goroutines.group_text(pprof.goroutines.parse_text(text))
    except (OSError, pprof.ProfileError) as exc:
        out.errors.append(f"goroutine text: {exc}")
        return []
    out.goroutine_groups = tuple(
        GoroutineGroup(g.count, g.state, tuple(g.wait_minutes), g.created_by.function if g.created_by else None,
                       tuple(_frame(f) for f in g.frames))
        for g in groups[:25])
    if ignore:
        out.ignored = _ignored(groups, ignore)
    return groups


def _ignored(groups: Sequence[Any], ignore: Sequence[IgnoreRule]) -> tuple[IgnoredGroup, ...]:
    """The last snapshot's goroutines that the ignore list left out, by rule and stack."""
    found = []
    for g in groups:
        rule = first_match(ignore, g.frames, g.created_by)
        if rule is not None:
            top = pprof.first_user_frame(list(g.frames)) or (g.frames[0] if g.frames else None)
            found.append(IgnoredGroup(str(rule), g.count, g.state, top.function if top else None,
                                      g.created_by.function if g.created_by else None))
    return tuple(found)


def _created_by_for(user: Any, text_groups: Sequence[Any]) -> Any:
    """The creator of the text group blocked at the same user frame (the proto stack has none)."""
    for g in text_groups:
        frame = pprof.first_user_frame(list(g.frames))
        if frame is not None and (frame.function, frame.line) == (user.function, user.line):
            return g.created_by
    return None


def _state_for(user: Any, text_groups: Sequence[Any]) -> str | None:
    """The wait reason of the largest text group blocked at the same user frame.

    The proto and text forms of one stack differ at the edges (``runtime.goexit``, inlining),
    so they are matched on the frame that matters: the first one outside the runtime.
    """
    for g in text_groups:  # largest first
        frame = pprof.first_user_frame(list(g.frames))
        if frame is not None and (frame.function, frame.line) == (user.function, user.line):
            return str(g.state)
    return None


def _heap_part(report_dir: Path, first: Snapshot, last: Snapshot, out: _Found,
               limit: int, module: str | None, heap_by: str = "inuse_space") -> list[Culprit]:
    pair = _load_pair(report_dir, first, last, "heap", out)
    if pair is None:
        return []
    by_objects = heap_by == "inuse_objects"
    # By objects, the site to find may be far down the bytes ranking: look at every growing stack.
    sites = pprof.diff.growth(pair[0], pair[1], limit=500 if by_objects else max(limit, 20))
    out.growth = {
        "inuse_space": tuple(GrowthSite(s.function, s.file, s.line, s.delta_space)
                             for s in sorted(sites, key=lambda s: -s.delta_space)[:limit]),
        "inuse_objects": tuple(GrowthSite(s.function, s.file, s.line, s.delta_objects)
                               for s in sorted(sites, key=lambda s: -s.delta_objects)[:limit]),
    }
    # growth and shrinkage alike: the diff flame graph colours both
    out.heap_diff_stacks = tuple(HeapDiffStack(tuple(f.function for f in reversed(frames)), delta)
                                 for frames, delta in pprof.diff.stack_deltas(pair[0], pair[1]))
    culprits = []
    ranked = sorted(sites, key=lambda s: -s.delta_objects) if by_objects else sites
    for s in ranked:
        # By bytes, a site whose objects did not grow still counts: one ever-growing backing
        # array (a slice appended to for good) is a single object that gets bigger.
        if s.delta_space <= 0 or (by_objects and not s.objects_grew):
            continue
        user, own = pick_frame(list(s.stack), module)
        user = user or pprof.Frame(s.function, s.file, s.line)
        culprits.append(Culprit("heap", user.function, user.file, user.line, None, s.delta_space, s.delta_objects,
                                None, tuple(_frame(f) for f in s.stack), own=own))
    return culprits
