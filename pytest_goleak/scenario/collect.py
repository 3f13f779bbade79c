"""Which YAML files are scenarios: the collection rules, as plain functions (plugin.py wires them).

1. A YAML file named on the command line is collected, whatever its name or place.
2. Otherwise a file must match one of the globs (ini ``goleak_scenario_globs``; default below),
   matched against its path from the right, so ``scenarios/*.yaml`` means "in any directory
   named scenarios" and ``*.goleak.yaml`` means "anywhere".
3. A matched file whose name ends in ``.goleak.yaml`` / ``.goleak.yml`` is collected on its name.
   Any other matched file must look like a scenario: a top-level ``fixture``, ``dockerfile`` or
   ``image`` key. So a k6 or compose file that lives in scenarios/ is left alone. A file that does
   not parse is collected, so that its item names the file and line of the YAML error.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

DEFAULT_GLOBS: tuple[str, ...] = ("*.goleak.yaml", "*.goleak.yml", "scenarios/*.yaml", "scenarios/*.yml")
YAML_SUFFIXES = (".yaml", ".yml")
NAMED_SUFFIXES = (".goleak.yaml", ".goleak.yml")
SOURCE_KEYS = ("fixture", "dockerfile", "image")
_SNIFF_LIMIT = 1 << 20  # a scenario file is a few hundred bytes; do not parse a huge data file


@dataclass(frozen=True)
class Decision:
    collect: bool
    reason: str  # why (shown under -v for a YAML file that is not collected)


def matches(path: Path, globs: tuple[str, ...], rootdir: Path | None = None) -> str | None:
    """The first glob that matches ``path`` from the right, or None."""
    try:
        rel = path.resolve().relative_to(rootdir.resolve()) if rootdir else path
    except ValueError:
        rel = path
    text = PurePosixPath(*rel.parts).as_posix() if rel.parts else ""
    for glob in globs:
        pattern = glob.strip().lstrip("/")
        if pattern and (fnmatch.fnmatchcase(text, pattern) or fnmatch.fnmatchcase(text, "*/" + pattern)):
            return glob
    return None


def looks_like_scenario(path: Path) -> Decision:
    """Collect a mapping with a fixture/dockerfile/image key, or a file that does not parse."""
    try:
        if path.stat().st_size > _SNIFF_LIMIT:
            return Decision(False, f"larger than {_SNIFF_LIMIT >> 20} MiB, not a scenario")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return Decision(True, "does not parse: collected so that its item reports the error")
    if not isinstance(data, dict):
        return Decision(False, "not a YAML mapping, so not a scenario")
    found = [k for k in SOURCE_KEYS if k in data]
    if not found:
        return Decision(False, "no top-level 'fixture', 'dockerfile' or 'image' key, so not a scenario")
    return Decision(True, f"has a top-level {found[0]!r} key")


def classify(path: Path, *, globs: tuple[str, ...] = DEFAULT_GLOBS, named: bool = False,
             rootdir: Path | None = None) -> Decision | None:
    """Whether to collect ``path``; None for a file that is not YAML at all (nothing to say)."""
    if path.suffix not in YAML_SUFFIXES:
        return None
    if named:
        return Decision(True, "named on the command line")
    glob = matches(path, globs, rootdir)
    if glob is None:
        return Decision(False, f"matches none of goleak_scenario_globs ({', '.join(globs)})")
    if path.name.endswith(NAMED_SUFFIXES):
        return Decision(True, f"matches {glob!r}")
    return looks_like_scenario(path)


def globs_from_ini(lines: list[str]) -> tuple[str, ...]:
    """ini ``goleak_scenario_globs``: whitespace- or line-separated globs; empty means the default."""
    globs = tuple(g for line in lines for g in line.split() if g)
    return globs or DEFAULT_GLOBS
