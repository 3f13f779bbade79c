"""The ``go tool pprof`` commands that reproduce a scenario's heap growth from its raw profiles.

Two spellings, as pprof users know them: ``-base`` (the difference, percentages of the change)
and ``-diff_base`` (the same difference, percentages relative to the first profile). The paths
are relative to the directory pytest (or ``goleak run``) was started in, so the commands can be
pasted where the run was typed; a report outside that directory is named by its absolute path.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

SAMPLE_INDEX = "inuse_space"


def _path(report_dir: Path, profile: str, cwd: Path) -> str:
    full = (report_dir / profile).resolve()
    try:
        return shlex.quote(full.relative_to(cwd.resolve()).as_posix())
    except ValueError:
        return shlex.quote(str(full))


def pprof_commands(report_dir: Path, first: str | None, last: str | None,
                   cwd: Path | None = None) -> dict[str, str | None]:
    """``{"pprof_command": …, "pprof_diff_base_command": …}`` for profiles ``first`` and ``last``
    (paths relative to ``report_dir``, as results.json records them); both None without both."""
    if not first or not last:
        return {"pprof_command": None, "pprof_diff_base_command": None}
    here = Path(os.getcwd()) if cwd is None else cwd
    old, new = _path(report_dir, first, here), _path(report_dir, last, here)
    head = f"go tool pprof -top -sample_index={SAMPLE_INDEX}"
    return {"pprof_command": f"{head} -base {old} {new}",
            "pprof_diff_base_command": f"{head} -diff_base {old} {new}"}
