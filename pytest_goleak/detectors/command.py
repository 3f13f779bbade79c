"""Static detectors as commands: install a go/analysis checker from the module proxy, run it, read it.

:class:`CommandDetector` installs ``package@version`` with ``go install`` into the harness cache
(``GOBIN`` = ``<cache>/detectors/<go version>/<hash of package@version>``), runs the binary over
the fixture's package with a timeout, parses its ``file:line[:col]: message`` lines and relates
each finding to the leak (:func:`.source.relate`). Whatever goes wrong is an absent result (it
cannot be installed) or an errored one (it did not run, hung, exited non-zero without findings,
or printed nothing readable), with the reason; never an exception.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..run import gotool
from ..run.procutil import Completed, run_bounded
from .base import DetectorResult, Finding, Target, absent, errored
from .source import relate
from .spec import CommandSpec

INSTALL_TIMEOUT_S = 300.0
RUN_TIMEOUT_S = 120.0
# `/abs/main.go:24:22: response body must be closed`, with an optional column; some linters
# add the check's name in brackets or after the message (`(sqlclosecheck)`).
_LINE = re.compile(r"^(?P<file>[^\s:][^:]*\.go):(?P<line>\d+)(?::(?P<col>\d+))?:\s*(?P<msg>.+)$")
_CHECK = re.compile(r"\s*\((?P<check>[A-Za-z0-9_-]+)\)$")


def parse_findings(output: str, base: Path) -> tuple[list[Finding], list[str]]:
    """The ``file:line[:col]: message`` lines of a tool's output, and the lines that are not."""
    findings, other = [], []
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            if not line.startswith(("go: downloading", "go: finding", "go: extracting")):
                other.append(line)  # the go command's own progress notes are not the tool's answer
            continue
        message, check = m.group("msg").strip(), None
        if cm := _CHECK.search(message):
            check, message = cm.group("check"), message[:cm.start()].rstrip()
        file = m.group("file")
        path = file if os.path.isabs(file) else str((base / file).resolve())
        col = m.group("col")
        findings.append(Finding(path, int(m.group("line")), message, int(col) if col else None, check=check))
    return findings, other


def _tail(lines: Sequence[str] | str, n: int = 6) -> str:
    items = lines.splitlines() if isinstance(lines, str) else list(lines)
    text = " | ".join(items[-n:])
    return text[-600:] if text else "(no output)"


class CommandDetector:
    """A go/analysis single-checker (or a linter command) installed on demand and run over a package."""

    def __init__(self, spec: CommandSpec, cache_dir: Path, timeout: float = RUN_TIMEOUT_S,
                 install_timeout: float = INSTALL_TIMEOUT_S, executable: Path | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.install_timeout = install_timeout
        self._executable = executable  # a command already at hand (tests, a preinstalled tool)
        self._install_error: str | None = None

    # -- installing ---------------------------------------------------------------------------

    def gobin(self, go_version: str) -> Path:
        key = hashlib.sha256(self.spec.module_at_version.encode()).hexdigest()[:16]
        return self.cache_dir / "detectors" / go_version / f"{self.spec.binary}-{key}"

    def install(self) -> Path | str:
        """The installed binary, or the reason it cannot be had."""
        if self._executable is not None:
            return self._executable if self._executable.is_file() else f"{self._executable} not found"
        if self._install_error is not None:
            return self._install_error
        try:
            go = gotool.go_binary()
            gobin = self.gobin(gotool.go_version(go))
        except gotool.GoError as exc:
            return self._remember(str(exc))
        binary = gobin / self.spec.binary
        if binary.is_file():
            return binary
        gobin.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(gobin), "GOFLAGS": "-mod=mod", "GO111MODULE": "on",
               "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
        try:
            done = run_bounded([go, "install", self.spec.module_at_version], gobin, self.install_timeout, env)
        except OSError as exc:
            return self._remember(f"`go install {self.spec.module_at_version}` did not start: {exc}")
        if done.returncode is None:
            return self._remember(f"`go install {self.spec.module_at_version}` timed out after "
                                  f"{self.install_timeout:.0f}s")
        if done.returncode != 0 or not binary.is_file():
            return self._remember(f"`go install {self.spec.module_at_version}` failed (exit {done.returncode}): "
                                  f"{_tail(done.output)}")
        return binary

    def _remember(self, reason: str) -> str:
        self._install_error = reason  # one failed install per run, not one per scenario
        return reason

    # -- running ------------------------------------------------------------------------------

    def detect(self, target: Target) -> DetectorResult:
        if target.source_dir is None:
            return absent(self.name, "no Go source to analyse (a dockerfile: or image: scenario)")
        binary = self.install()
        if isinstance(binary, str):
            return absent(self.name, f"not installable: {binary}")
        cmd = [str(binary), *self.spec.args, "."]
        go_dir = str(Path(gotool.go_binary()).parent) if _has_go() else ""
        env = {**os.environ, "PATH": os.pathsep.join(p for p in (go_dir, os.environ.get("PATH", "")) if p),
               "GOFLAGS": os.environ.get("GOFLAGS", ""), "GOTOOLCHAIN": "local"}
        try:
            done = run_bounded(cmd, target.source_dir, self.timeout, env)
        except OSError as exc:
            return errored(self.name, f"{cmd[0]} did not start: {exc}")
        return self.judge(done, target)

    def judge(self, done: Completed, target: Target) -> DetectorResult:
        """The tool's exit and output -> a result (flagged when it reported findings)."""
        if done.returncode is None:
            return errored(self.name, f"timed out after {self.timeout:g}s: {_tail(done.output, 3)}", done.seconds)
        assert target.source_dir is not None
        findings, other = parse_findings(done.output, target.source_dir)
        if done.returncode < 0:
            return errored(self.name, f"killed by signal {-done.returncode}: {_tail(other)}", done.seconds)
        if not findings and done.returncode != 0:
            return errored(self.name, f"exit {done.returncode} without findings: {_tail(other)}", done.seconds)
        if not findings and other:
            return errored(self.name, f"output is not `file:line: message` lines: {_tail(other, 3)}", done.seconds)
        related = relate(findings, target.culprits)
        why = f"{len(related)} finding(s)" if related else "no findings"
        return DetectorResult(self.name, "ran", flagged=bool(related), findings=related, reason=why,
                              seconds=done.seconds)


def _has_go() -> bool:
    try:
        gotool.go_binary()
        return True
    except gotool.GoError:
        return False
