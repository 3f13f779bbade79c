"""Where a scenario's stage messages go while it runs, and the ``pytest --goleak`` header line.

The runner calls ``progress(line)`` at each stage (build, start, health, warm-up, each snapshot,
the verdict). With ``-v`` on a terminal the lines are written live under the item's name, through
pytest's terminal reporter. Everywhere else (``-q``, CI logs that are not a TTY, ``-p
no:terminal``, xdist workers) they go to the ``pytest_goleak.progress`` logger at INFO: silent by
default, attached to a failed item's "Captured log" section by pytest's logging plugin, and shown
live with ``--log-cli-level=INFO``.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
from collections.abc import Callable
from typing import Any, Protocol

from .run import gotool
from .textsafe import terminal

LOGGER = logging.getLogger("pytest_goleak.progress")
INDENT = "    goleak: "
ENGINE_TIMEOUT_S = 3
GO_TIMEOUT_S = 10


class _PluginManager(Protocol):
    def get_plugin(self, name: str) -> Any: ...


class Progress:
    """A ``Callable[[str], None]`` sink. It looks the terminal reporter up at each call: the
    reporter is registered after this plugin's ``pytest_configure`` and may be absent."""

    def __init__(self, plugins: _PluginManager, verbosity: int) -> None:
        self._plugins = plugins
        self._verbosity = verbosity

    def _terminal(self) -> Any:
        if self._verbosity < 1:
            return None
        tr = self._plugins.get_plugin("terminalreporter")
        if tr is None:
            return None
        isatty = getattr(tr, "isatty", False)  # a bool that is also callable in pytest 8-9
        return tr if (isatty() if callable(isatty) else isatty) else None

    def __call__(self, line: str) -> None:
        tr = self._terminal()
        if tr is None:
            LOGGER.info("%s", line)
            return
        capman = self._plugins.get_plugin("capturemanager")
        # Output is captured while an item runs; live logging writes the same way.
        with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
            tr.write_line(INDENT + terminal(line))  # ends the item's "path::name " line; pytest re-prints it
            tr.flush()


def sink(config: Any) -> Callable[[str], None]:
    """The progress sink for a pytest config (``-v`` and ``-q`` counted as pytest counts them)."""
    # "verbose" is the terminal plugin's option: absent under -p no:terminal
    return Progress(config.pluginmanager, int(config.getoption("verbose", 0) or 0))


# -- the header -------------------------------------------------------------------------------------

def header_line(settings: Any) -> str:
    """``goleak: go1.26.8, runtime docker, engine Docker 28.1.1, memprofilerate 4096, report DIR``.
    Every probe is bounded and its failure is a word in the line, never an exception."""
    engine = "local" if settings.runtime == "local" else docker_engine_version()
    return (f"goleak: {go_version_text()}, runtime {settings.runtime}, engine {engine}, "
            f"memprofilerate {settings.memprofilerate}, report {settings.report_dir}")


def go_version_text() -> str:
    try:
        go = gotool.go_binary()
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                             timeout=GO_TIMEOUT_S, check=False)
    except (gotool.GoError, OSError, subprocess.TimeoutExpired) as exc:
        return f"go unavailable ({type(exc).__name__})"
    return out.stdout.strip() or "go unavailable"


def docker_engine_version(timeout: int = ENGINE_TIMEOUT_S) -> str:
    try:
        import docker  # lazy: ~110 ms, only for the run's header line

        client = docker.from_env(timeout=timeout)
    except Exception:  # noqa: BLE001 - any failure to even build a client: say so, go on
        return "Docker unreachable"
    try:
        version = client.version()
        return f"Docker {version.get('Version', '?')} (API {version.get('ApiVersion', '?')})"
    except Exception:  # noqa: BLE001 - refused, timed out, permission denied: the header says so
        return "Docker unreachable"
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass
