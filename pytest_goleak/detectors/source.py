"""Go source, read just enough to name the function that holds a line, as pprof would name it.

A light scanner, not a parser: comments, strings and runes are blanked out, then top-level
``func`` declarations are found with their brace-balanced bodies. Go puts a body's ``{`` on the
line that ends the signature, so counting braces from there is exact for gofmt'ed code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..judge.culprit import Culprit
from ..run import gotool
from .base import Finding

_FUNC = re.compile(r"^func\s*(?:\(\s*(?:\w+\s+)?(\*?)\s*([A-Za-z_]\w*)(\[[^\]]*\])?\s*\))?\s*([A-Za-z_]\w*)")
_PACKAGE = re.compile(r"^package\s+([A-Za-z_]\w*)", re.M)


@dataclass(frozen=True)
class FuncSpan:
    name: str  # pprof-style: main.fetchStatus, main.(*Server).Serve, example.com/m/pkg.Open
    start: int  # line of the `func` keyword
    end: int  # line of the body's closing brace


def blank(text: str) -> str:
    """``text`` with comments, string and rune literals replaced by spaces (newlines kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        two = text[i:i + 2]
        if two == "//":
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif two == "/*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c == "`":
            j = text.find("`", i + 1)
            j = n if j < 0 else j + 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            out.append(c)
            i += 1
            continue
        out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
        i = j
    return "".join(out)


def functions(text: str, qualifier: str) -> list[FuncSpan]:
    """The top-level functions and methods of one Go file, with their line spans."""
    spans: list[FuncSpan] = []
    depth = parens = 0
    current: tuple[str, int] | None = None  # (name, start) of the func being read
    opened = False
    for number, line in enumerate(blank(text).splitlines(), start=1):
        if depth == 0 and current is None and (m := _FUNC.match(line)):
            current, opened, parens = (_name(qualifier, *m.groups()), number), False, 0
        for ch in line:
            if ch == "{":
                depth += 1
                opened = opened or current is not None
            elif ch == "}":
                depth -= 1
            elif ch in "([":
                parens += 1
            elif ch in ")]":
                parens -= 1
        if current is not None and depth == 0 and (opened or parens == 0):
            if opened:  # a body that closed; a signature that ended without one has no body
                spans.append(FuncSpan(current[0], current[1], number))
            current = None
    return spans


def _name(qualifier: str, star: str | None, recv: str | None, params: str | None, name: str) -> str:
    if not recv:
        return f"{qualifier}.{name}"
    base = recv + ("[...]" if params else "")
    return f"{qualifier}.({star}{base}).{name}" if star else f"{qualifier}.{base}.{name}"


@functools.lru_cache(maxsize=256)
def _file_functions(path: str, mtime: float) -> tuple[FuncSpan, ...]:
    file = Path(path)
    text = file.read_text(errors="replace")
    return tuple(functions(text, qualifier_for(file, text)))


def qualifier_for(file: Path, text: str) -> str:
    """What pprof prefixes a function of this file with: ``main``, or the package's import path."""
    m = _PACKAGE.search(blank(text))
    if m is None or m.group(1) == "main":
        return "main"
    module = gotool.module_path(file.parent)
    if module is None:
        return m.group(1)
    try:
        rel = file.parent.resolve().relative_to(gotool.module_root(file.parent).resolve())
    except (ValueError, gotool.GoError):
        return m.group(1)
    return module if str(rel) == "." else f"{module}/{rel.as_posix()}"


def enclosing_function(file: str, line: int) -> str | None:
    """The pprof-style name of the function whose body holds ``file:line``, or None."""
    try:
        path = Path(file)
        spans = _file_functions(str(path), path.stat().st_mtime)
    except OSError:
        return None
    return next((s.name for s in spans if s.start <= line <= s.end), None)


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def _within(function: str, culprit_function: str) -> bool:
    """``main.handler`` holds ``main.handler`` and its closures ``main.handler.func1(.2...)``."""
    return culprit_function == function or culprit_function.startswith(f"{function}.func")


def leak_frames(culprits: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(function, file) of the top culprit and of every frame on its stack."""
    if not culprits:
        return []
    top = culprits[0]
    frames = [(str(top.get("function") or ""), str(top.get("file") or ""))]
    frames += [(str(f.get("function") or ""), str(f.get("file") or "")) for f in top.get("stack") or ()]
    return [(fn, fl) for fn, fl in frames if fn and fl]


def culprit_frames(culprits: Sequence[Culprit]) -> list[tuple[str, str]]:
    """:func:`leak_frames` of typed culprits (the scenario's own, before they become JSON)."""
    if not culprits:
        return []
    top = culprits[0]
    frames = [(top.function, top.file or ""), *((f.function, f.file or "") for f in top.stack)]
    return [(fn, fl) for fn, fl in frames if fn and fl]


def relate(findings: Iterable[Finding], culprits: Sequence[Mapping[str, Any]]) -> tuple[Finding, ...]:
    """:func:`relate_to` the frames of the top culprit as results.json has it."""
    return relate_to(findings, leak_frames(culprits))


def relate_to(findings: Iterable[Finding], frames: Sequence[tuple[str, str]]) -> tuple[Finding, ...]:
    """Each finding with its enclosing function, and whether it points at the leak.

    A finding points at the leak when it is in a file on the top culprit's stack (``frames``: its
    (function, file) pairs) and its enclosing function is one of that stack's functions (or holds
    it, as a closure's parent). When the enclosing function cannot be read, the file alone decides.
    """
    out = []
    for f in findings:
        function = f.function or enclosing_function(f.file, f.line)
        in_file = [fn for fn, fl in frames if _same_file(fl, f.file)]
        points = bool(in_file) and (function is None or any(_within(function, fn) for fn in in_file))
        out.append(replace(f, function=function, points_at_leak=points))
    return tuple(out)
