"""The HTML report's link and name guards, for what came from a profile or a container (paths,
names): untrusted text. Numbers are formatted in :mod:`pytest_goleak.units`."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def short_path(path: object, keep: int = 2) -> str:
    """The last ``keep`` components of a path: enough to recognise, short enough for a table."""
    text = str(path or "")
    parts = [p for p in re.split(r"[\\/]", text) if p]
    return "/".join(parts[-keep:]) if len(parts) > keep else text


def safe_href(path: object, prefix: str = "") -> str | None:
    """A link target for a report-relative path, or None when it could point outside the report.

    Rejects schemes (``javascript:``), absolute paths, backslashes and ``..`` segments, then
    percent-encodes what is left so it cannot break out of the attribute or the URL.
    """
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ":" in path.split("/", 1)[0] or any(p in ("..", "") for p in path.split("/")):
        return None
    return prefix + quote(str(pure), safe="/-_.~")


def scenario_dir_name(name: object, index: int, taken: set[str]) -> str:
    """Directory for a scenario page: its name when that is a plain file name, else a safe stand-in."""
    text = name if isinstance(name, str) else ""
    if not _SAFE_NAME.fullmatch(text) or text in (".", ".."):
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).lstrip("._-")[:80]
        text = cleaned or f"scenario-{index}"
    candidate, n = text, 2
    while candidate.lower() in taken:
        candidate, n = f"{text}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate
