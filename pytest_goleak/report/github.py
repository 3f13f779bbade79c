"""GitHub Actions: a job summary (the terminal table in Markdown) and ``::error`` annotations.

Takes the same ``results`` the terminal reporter takes. The summary is appended to the file
named by ``GITHUB_STEP_SUMMARY``; each leak's culprit becomes a link to its file and line at
``GITHUB_SHA``, when the file lies inside the repository (``GITHUB_WORKSPACE``, else the
rootdir). Annotations are workflow commands on stdout: ``::error`` where a leak failed its item,
``::notice`` where a known leak was detected as expected (the detector working, not a defect).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..record import ScenarioResult
from ..textsafe import code_span, markdown
from .terminal import rows


@dataclass(frozen=True)
class Repo:
    """Where the checked-out code lives and how GitHub links to it."""

    root: Path
    blob_url: str | None  # https://github.com/OWNER/REPO/blob/SHA, None outside Actions

    @classmethod
    def from_env(cls, env: Mapping[str, str], rootdir: Path) -> Repo:
        root = Path(env.get("GITHUB_WORKSPACE") or rootdir)
        server, repo, sha = (env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
        blob = f"{server.rstrip('/')}/{repo}/blob/{sha}" if server and repo and sha else None
        return cls(root, blob)

    def relative(self, file: str | None) -> str | None:
        """The file's path inside the repository, or None when it lies outside."""
        if not file:
            return None
        try:
            path = Path(file).resolve()
            rel = path.relative_to(self.root.resolve())
        except (ValueError, OSError):
            return None
        return rel.as_posix()

    def link(self, file: str | None, line: int | None) -> str | None:
        rel = self.relative(file)
        if rel is None or self.blob_url is None:
            return None
        return f"{self.blob_url}/{rel}" + (f"#L{line}" if line else "")


# -- the job summary --------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return markdown(text)  # function names, files and messages come from the service


def _culprit_cell(s: ScenarioResult, plain: str, repo: Repo) -> str:
    culprits = s.culprits.culprits
    if s.verdict != "leak" or not culprits:
        return _cell(plain)
    c = culprits[0]
    url = repo.link(c.file, c.line)
    text = code_span(plain)
    return f"[{text}]({url})" if url else text


def summary_markdown(scenarios: Sequence[ScenarioResult], repo: Repo, failures: Sequence[str] = (),
                     error: str | None = None) -> str:
    table = rows(scenarios)
    head, body = table[0], table[1:]
    leaks = sum(1 for s in scenarios if s.verdict == "leak" and not s.passed)
    failed = sum(1 for s in scenarios if not s.passed)
    verdict = "passed" if not failed and not failures else "FAILED"
    out = [f"## pytest-goleak: {verdict}", "",
           f"{len(scenarios)} scenarios, {failed} not passed ({leaks} leaking), "
           f"{len(failures)} baseline regressions.", "",
           "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s, r in zip(scenarios, body, strict=True):
        cells = [_cell(c) for c in r[:-1]] + [_culprit_cell(s, r[-1], repo)]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "\\* growing: a significant upward trend; figures are Theil-Sen slopes per 1,000 requests."]
    if failures:
        out += ["", "### Baseline regressions", ""] + [f"- {_cell(f)}" for f in failures]
    if error:
        out += ["", f"**Error:** {_cell(error)}"]
    return "\n".join(out) + "\n"


# -- annotations ----------------------------------------------------------------------------------

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def commands(scenarios: Sequence[ScenarioResult], repo: Repo) -> list[str]:
    """One workflow command per leak with a culprit: ``::error file=…,line=…,title=…::…``."""
    out = []
    for s in scenarios:
        if s.verdict != "leak":
            continue
        culprits = s.culprits.culprits
        level = "notice" if s.passed else "error"
        title = f"goleak: {s.name} leaks" if not s.passed else f"goleak: {s.name} (known leak)"
        props = []
        if culprits:
            c = culprits[0]
            rel = repo.relative(c.file)
            if rel is not None:
                props.append(f"file={_escape_property(rel)}")
                if c.line:
                    props.append(f"line={int(c.line)}")
        props.append(f"title={_escape_property(title)}")
        message = s.message.strip() or "leak"
        out.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return out


# -- entry point ----------------------------------------------------------------------------------

def publish(scenarios: Sequence[ScenarioResult], *, error: str | None = None, env: Mapping[str, str] | None = None,
            rootdir: Path, failures: Sequence[str] = (), emit: Callable[[str], None],
            warn: Callable[[str], None]) -> None:
    """``emit`` each annotation (one whole stdout line each: GitHub reads a workflow command only
    at the start of a line) and append the summary to $GITHUB_STEP_SUMMARY. A summary that
    cannot be written costs one ``warn`` line, never the run."""
    env = os.environ if env is None else env
    repo = Repo.from_env(env, rootdir)
    for line in commands(scenarios, repo):
        emit(line)
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(summary_markdown(scenarios, repo, failures, error))
    except OSError as exc:
        warn(f"pytest-goleak: cannot write the job summary to {path}: {exc.strerror or exc}")
