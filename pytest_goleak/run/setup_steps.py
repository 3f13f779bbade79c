"""Setup stage: a scenario's ``setup:`` steps, run once after the health check, before the warm-up.

An HTTP step sends one request and may capture values from its answer (``json:a.b.0.c``,
``header:Name``) for the load's templates (``{token}``); a command step runs on the host with
the service's base URL and the provided services' URLs in its environment. Any failure is a
:class:`SetupError` naming the step, its status and the first bytes of its answer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..scenario.parse import Request, SetupStep
from ..validate import expand_captured
from .httpget import Deadline
from .procutil import die_with_parent

#: How much of a failed step's answer or output the error quotes.
EXCERPT_BYTES = 200


class SetupError(Exception):
    """A setup step failed; the message names it, its status and the first bytes of its answer."""


def run_steps(steps: Sequence[SetupStep], base_url: str, env: Mapping[str, str], cwd: Path,
              timeout: float) -> dict[str, str]:
    """Run every step in order; return the variables they captured."""
    captured: dict[str, str] = {}
    for step in steps:
        if step.request is not None:
            captured.update(_http_step(step, step.request, base_url, captured, timeout))
        else:
            _command_step(step, {**os.environ, **env, "GOLEAK_BASE_URL": base_url}, cwd)
    return captured


def _excerpt(data: bytes) -> str:
    text = data[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return repr(text) + ("..." if len(data) > EXCERPT_BYTES else "")


def _http_step(step: SetupStep, req: Request, base_url: str, captured: dict[str, str],
               timeout: float) -> dict[str, str]:
    url = urllib.parse.urlsplit(base_url)
    body = expand_captured(req.body, captured).encode() if req.body is not None else None
    headers = {k: expand_captured(v, captured) for k, v in req.headers.items()}
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    deadline = Deadline(timeout)  # on the whole exchange: a service dripping its answer cannot hold it
    try:
        conn.connect()
        assert conn.sock is not None
        deadline.add(conn.sock)
        conn.request(req.method, url.path.rstrip("/") + expand_captured(req.path, captured), body, headers)
        resp = conn.getresponse()
        data = resp.read(1 << 20)
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired:
            raise SetupError(f"{step.label} did not finish within {timeout:g}s") from exc
        raise SetupError(f"{step.label} failed: {exc}") from exc
    finally:
        deadline.cancel()
        conn.close()
    if deadline.expired:
        raise SetupError(f"{step.label} did not finish within {timeout:g}s")
    ok = resp.status in req.expect_status if req.expect_status else 200 <= resp.status < 400
    if not ok:
        want = ", ".join(map(str, req.expect_status)) or "2xx/3xx"
        raise SetupError(f"{step.label} answered {resp.status}, expected {want}: {_excerpt(data)}")
    values = {}
    for name, spec in step.capture.items():
        value = capture(spec, data, resp.getheader)
        if value is None:
            raise SetupError(f"{step.label}: capture {name!r} ({spec}) matched nothing in the answer "
                             f"(status {resp.status}): {_excerpt(data)}")
        values[name] = value
    return values


def capture(spec: str, body: bytes, header: Callable[[str], str | None]) -> str | None:
    """The value ``json:a.b.0.c`` or ``header:Name`` picks from an answer; None when nothing matches."""
    kind, _, where = spec.partition(":")
    if kind == "header":
        return header(where)
    try:
        node: Any = json.loads(body)
    except ValueError:
        return None
    for part in where.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    if node is None:
        return None
    return node if isinstance(node, str) else json.dumps(node)


def _command_step(step: SetupStep, env: Mapping[str, str], cwd: Path) -> None:
    try:
        proc = subprocess.Popen(step.command, cwd=cwd, env=dict(env), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=die_with_parent(signal.SIGKILL))
    except OSError as exc:
        raise SetupError(f"{step.label} cannot start: {exc}") from exc
    try:
        out, _ = proc.communicate(timeout=step.timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a daemon that left the group still holds the pipe
            out = b""
        raise SetupError(f"{step.label} ran past its timeout of {step.timeout:g}s: {_excerpt(out)}") from None
    except BaseException:  # Ctrl-C: the command and its children go too
        _kill_group(proc)
        proc.wait()
        raise
    _kill_group(proc)  # whatever the command left running in its group
    if proc.returncode != 0:
        raise SetupError(f"{step.label} exited with code {proc.returncode}: {_excerpt(out)}")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
