"""Goroutines: grouping the goroutine proto profile by stack, and parsing the text form
``/debug/pprof/goroutine?debug=2`` (the same format as a Go panic traceback).

The text parser is tolerant on purpose (Go 1.22-1.26 differ in details): it understands
``goroutine N [state, M minutes, locked to thread]:``, the ``gp=... m=...`` header extras,
``created by F in goroutine N`` (and the older form without the parent), ``+0x..``/``fp= sp=
pc=`` suffixes on file lines and ``...additional frames elided...``; unknown lines are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Frame, Profile


@dataclass(frozen=True, slots=True)
class GoroutineGroup:
    count: int
    frames: tuple[Frame, ...]  # leaf first


@dataclass(frozen=True, slots=True)
class Goroutine:
    id: int
    state: str  # wait reason or status: "chan send", "select", "sync.Mutex.Lock", "IO wait", "running"
    wait_minutes: int  # 0 when the runtime did not print a duration (blocked under a minute)
    frames: tuple[Frame, ...]  # leaf first
    created_by: Frame | None = None
    created_by_goroutine: int | None = None
    locked_to_thread: bool = False
    elided: bool = False  # the runtime cut the stack ("...additional frames elided...")
    extra: tuple[str, ...] = ()  # anything else in the brackets, e.g. "durable", "leaked"


@dataclass(frozen=True, slots=True)
class TextGroup:
    """Goroutines with the same state, stack and creator."""

    count: int
    state: str
    wait_minutes_min: int
    wait_minutes_max: int
    frames: tuple[Frame, ...]
    created_by: Frame | None
    created_by_goroutine: int | None  # the parent if all members share it, else None
    ids: tuple[int, ...]

    @property
    def wait_minutes(self) -> tuple[int, int]:
        return self.wait_minutes_min, self.wait_minutes_max


def group_by_stack(profile: Profile, index: int = 0) -> list[GoroutineGroup]:
    """Goroutine proto profile -> groups by identical stack, most goroutines first."""
    counts: dict[tuple[Frame, ...], int] = {}
    for s in profile.samples:
        fr = s.frames
        counts[fr] = counts.get(fr, 0) + s.values[index]
    groups = [GoroutineGroup(c, fr) for fr, c in counts.items() if c]
    groups.sort(key=lambda g: (-g.count, g.frames))
    return groups


_HEADER = re.compile(r"^goroutine (\d+)(?: [^\[]*)? \[([^\]]*)\]:\s*$")
_FILE_LINE = re.compile(r"^\t(.+?):(\d+)(?:\s.*)?$")
_CREATED = re.compile(r"^created by (.+?)(?: in goroutine (\d+))?\s*$")
_MINUTES = re.compile(r"^(\d+) minutes?$")
_CALL = re.compile(r"^(.+?)\((?:[^()]|\([^()]*\))*\)$")


def parse_text(text: str) -> list[Goroutine]:
    """Parse ``goroutine?debug=2`` text into goroutines, in the order printed. Blocks that do not
    start with a goroutine header (e.g. a proto profile fetched by mistake) are skipped."""
    out = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        m = _HEADER.match(lines[0]) if lines else None
        if m:
            out.append(_goroutine(int(m.group(1)), m.group(2), lines[1:]))
    return out


def _state(bracket: str) -> tuple[str, int, bool, tuple[str, ...]]:
    parts = [p.strip() for p in bracket.split(",")]
    state, minutes, locked, extra = parts[0], 0, False, []
    for p in parts[1:]:
        mm = _MINUTES.match(p)
        if mm:
            minutes = int(mm.group(1))
        elif p == "locked to thread":
            locked = True
        elif p:
            extra.append(p)
    return state, minutes, locked, tuple(extra)


def _goroutine(gid: int, bracket: str, body: list[str]) -> Goroutine:
    state, minutes, locked, extra = _state(bracket)
    frames: list[Frame] = []
    created_by: Frame | None = None
    parent: int | None = None
    elided = False
    pending: str | None = None  # function line waiting for its file:line line
    creator = False
    for line in body:
        fl = _FILE_LINE.match(line)
        if fl and pending is not None:
            frame = Frame(pending, fl.group(1), int(fl.group(2)))
            if creator:
                created_by = frame
            else:
                frames.append(frame)
            pending = None
            continue
        if line.startswith("...") and "elided" in line:
            elided = True
            continue
        cm = _CREATED.match(line)
        if cm:
            pending, creator = cm.group(1), True
            parent = int(cm.group(2)) if cm.group(2) else None
            continue
        if line and not line.startswith(("\t", " ")):
            call = _CALL.match(line)
            pending, creator = (call.group(1) if call else line.strip()), False
    return Goroutine(gid, state, minutes, tuple(frames), created_by, parent, locked, elided, extra)


def group_text(goroutines: Iterable[Goroutine]) -> list[TextGroup]:
    """Group parsed goroutines by (state, stack, creator function), most goroutines first."""
    groups: dict[tuple[object, ...], list[Goroutine]] = {}
    for g in goroutines:
        creator = g.created_by.function if g.created_by else None
        groups.setdefault((g.state, g.frames, creator), []).append(g)
    out = []
    for members in groups.values():
        first = members[0]
        parents = {g.created_by_goroutine for g in members}
        minutes = [g.wait_minutes for g in members]
        out.append(TextGroup(len(members), first.state, min(minutes), max(minutes), first.frames,
                             first.created_by, parents.pop() if len(parents) == 1 else None,
                             tuple(g.id for g in members)))
    out.sort(key=lambda t: (-t.count, t.state, t.frames))
    return out
