"""Telling the user's code from the Go runtime and standard library in a stack."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Frame


def package_of(function: str) -> str:
    """``net/http.(*conn).serve`` -> ``net/http``; ``github.com/a/b.F.func1`` -> ``github.com/a/b``."""
    function = function.split("[", 1)[0]  # type arguments may contain other import paths
    slash = function.rfind("/")
    dot = function.find(".", slash + 1)
    return function if dot < 0 else function[:dot]


def is_standard(function: str) -> bool:
    """True for the runtime and standard library (``runtime``, ``internal/poll``, ``net/http``,
    ``sync``...). Their import paths have no dot in the first element; ``main`` and module
    paths such as ``github.com/...`` or ``example.com/...`` are the user's."""
    pkg = package_of(function)
    if not pkg or pkg == "main" or function.startswith("main."):
        return False
    return "." not in pkg.split("/", 1)[0]


def first_user_frame(frames: Iterable[Frame]) -> Frame | None:
    """The leaf-most frame that is not runtime or standard library, or None if there is none."""
    for f in frames:
        if f.function and not is_standard(f.function):
            return f
    return None
