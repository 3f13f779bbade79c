"""Scenario files: YAML -> a validated, frozen :class:`Scenario`.

Every error is a :class:`ScenarioError` whose text starts with ``file:line:`` so an editor can
jump to it. The schema is deliberately independent of the shipped fixtures: ``fixture`` is any
Go main package directory, ``dockerfile`` any Dockerfile, ``image`` any local image.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from . import ignore as _ignore
from . import validate
from .scenario_model import (
    EXPECTATIONS,
    GRPC_CODES,
    SERVICES,
    Extension,
    GrpcLoad,
    Limits,
    Load,
    Scenario,
    ScenarioError,
)
from .units import parse_duration

__all__ = ["EXPECTATIONS", "SERVICES", "Extension", "GrpcLoad", "Limits", "Load", "Scenario", "ScenarioError",
           "load_scenario"]


# ---------------------------------------------------------------------------------------------
# loading


def load_scenario(path: Path | str, text: str | None = None) -> Scenario:
    """Parse and validate one scenario file. Raises ScenarioError naming file and line."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(path, None, f"cannot read scenario: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else None
        if line is None and isinstance(getattr(exc, "position", None), int):  # a ReaderError: a bad character
            line = text.count("\n", 0, exc.position) + 1  # type: ignore[attr-defined]
        raise ScenarioError(path, line or 1, f"YAML does not parse: {problem}") from exc
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(path, 1, "a scenario must be a YAML mapping of keys to values")
    return _Builder(path, node).build(data)


_TOP_KEYS = {
    "name", "description", "fixture", "dockerfile", "image", "expect", "culprit", "services",
    "env", "args", "files", "port", "port_env", "pprof_port", "health", "network", "load", "snapshots",
    "budgets", "limits", "memprofilerate", "timeout", "capture_timeout", "extension", "ignore",
}
_LOAD_KEYS = {f.name for f in dataclasses.fields(Load)}
_GRPC_KEYS = {f.name for f in dataclasses.fields(GrpcLoad)} | {"expect_codes"}
_HTTP_ONLY_KEYS = ("path", "method", "body", "headers", "expect_status")
_CALL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/[A-Za-z_][A-Za-z0-9_]*$")
_LIMIT_KEYS = {"memory", "pids"}
_HEALTH_KEYS = {"path", "timeout"}
_EXTENSION_KEYS = {"factor", "timeout"}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _key_lines(node: yaml.MappingNode, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        lines[key] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            lines.update(_key_lines(value_node, key + "."))
    return lines


class _Builder:
    def __init__(self, path: Path, node: yaml.MappingNode) -> None:
        self.path = path
        self.node = node
        self.lines = _key_lines(node)

    def item_line(self, key: str, index: int) -> int | None:
        """The line of item ``index`` of the top-level list ``key``."""
        for key_node, value_node in self.node.value:
            if key_node.value == key and isinstance(value_node, yaml.SequenceNode) and index < len(value_node.value):
                return int(value_node.value[index].start_mark.line) + 1
        return self.lines.get(key)

    def fail(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(self.path, self.lines.get(key, 1), message)

    def mapping(self, data: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.fail(key, f"'{key}' must be a mapping, got {type(data).__name__}")
        for k in data:
            if k not in allowed:
                full = f"{key}.{k}" if key else str(k)
                raise self.fail(full, f"unknown key '{full}' (allowed: {', '.join(sorted(allowed))})")
        return data

    def typed(self, data: dict[str, Any], key: str, kind: type | tuple[type, ...], full: str = "") -> Any:
        value = data.get(key)
        full = full or key
        if value is None:
            return None
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(full, f"'{full}' must be {want}, got {value!r}")
        return value

    def convert(self, value: Any, full: str, fn: Callable[[Any], float]) -> float:
        try:
            return fn(value)
        except ValueError as exc:
            raise self.fail(full, f"'{full}': {exc}") from exc

    def checked(self, full: str, check: Callable[..., Any], *args: Any) -> Any:
        """``check(*args, key)`` from validate.py, its error a file:line ScenarioError."""
        try:
            return check(*args, f"'{full}'")
        except validate.InvalidSetting as exc:
            raise self.fail(full, str(exc)) from exc

    def positive_int(self, data: dict[str, Any], key: str, full: str, minimum: int = 1) -> int | None:
        if data.get(key) is None:
            return None
        return int(self.checked(full, lambda v, k: validate.whole(v, k, minimum), data[key]))

    def build(self, data: dict[str, Any]) -> Scenario:
        data = self.mapping(data, "", _TOP_KEYS)
        kw: dict[str, Any] = {"path": self.path, "lines": self.lines}
        name = self.typed(data, "name", str) or self.path.stem.removesuffix(".goleak")
        if not _NAME_RE.match(name):
            raise self.fail("name", f"'name' may hold letters, digits, '.', '_' and '-' only, got {name!r}")
        kw["name"] = name
        kw["description"] = self.typed(data, "description", str) or ""
        self._source(data, kw)
        expect = self.typed(data, "expect", str)
        if expect is not None and expect not in EXPECTATIONS:
            raise self.fail("expect", f"'expect' must be one of leak, clean; got {expect!r}")
        kw["expect"] = expect
        kw["culprit"] = self.typed(data, "culprit", str)
        services = data.get("services") or []
        if not isinstance(services, list) or any(s not in SERVICES for s in services):
            raise self.fail("services", f"'services' must be a list drawn from {', '.join(SERVICES)}; got {services!r}")
        kw["services"] = tuple(services)
        env = self.typed(data, "env", dict) or {}
        bad = [k for k, v in env.items() if not isinstance(k, str) or not isinstance(v, (str, int, float))]
        if bad:
            raise self.fail("env", f"'env' must map names to strings; bad entries: {bad!r}")
        kw["env"] = {k: str(v) for k, v in env.items()}
        kw["args"] = self._args(data.get("args"))
        kw["files"] = self._files(data.get("files"))
        for key in ("port", "pprof_port"):
            port = self.positive_int(data, key, key)
            if port is not None and port > 65535:
                raise self.fail(key, f"'{key}' must be a TCP port, got {port}")
            if port is not None:
                kw[key] = port
        if self.typed(data, "port_env", str) is not None:
            kw["port_env"] = data["port_env"]
        health = self.mapping(data.get("health"), "health", _HEALTH_KEYS)
        if self.typed(health, "path", str, "health.path") is not None:
            kw["health_path"] = health["path"]
        if "timeout" in health:
            kw["health_timeout"] = self.convert(health["timeout"], "health.timeout", parse_duration)
        network = self.typed(data, "network", str) or "auto"
        if network not in ("auto", "bridge", "host"):
            raise self.fail("network", f"'network' must be auto, bridge or host; got {network!r}")
        kw["network"] = network
        kw["load"] = self._load(data.get("load"))
        # validate.MIN_SNAPSHOTS says why at least 4; the default of 6 leaves room for a blip.
        if data.get("snapshots") is not None:
            kw["snapshots"] = self.checked("snapshots", validate.snapshot_count, data["snapshots"])
        kw["budgets"] = self._budgets(data.get("budgets"))
        kw["limits"] = self._limits(data.get("limits"))
        kw["extension"] = self._extension(data.get("extension"))
        try:
            kw["ignore"] = _ignore.parse(data.get("ignore"))
        except _ignore.IgnoreError as exc:
            index = getattr(exc, "index", None)
            line = self.item_line("ignore", index) if index is not None else self.lines.get("ignore", 1)
            raise ScenarioError(self.path, line, f"'ignore': {exc}") from exc
        mpr = self.positive_int(data, "memprofilerate", "memprofilerate", minimum=1)
        kw["memprofilerate"] = mpr
        if "timeout" in data:
            kw["timeout"] = self.convert(data["timeout"], "timeout", parse_duration)
        if "capture_timeout" in data:
            kw["capture_timeout"] = self.convert(data["capture_timeout"], "capture_timeout", parse_duration)
            if kw["capture_timeout"] <= 0:
                raise self.fail("capture_timeout", "'capture_timeout' must be more than zero")
        return Scenario(**kw)

    def _source(self, data: dict[str, Any], kw: dict[str, Any]) -> None:
        given = [k for k in ("fixture", "dockerfile", "image") if data.get(k) is not None]
        if len(given) != 1:
            raise self.fail(given[1] if len(given) > 1 else "name",
                            "a scenario needs exactly one of 'fixture' (a Go main package directory), "
                            f"'dockerfile' or 'image'; found {given or 'none'}")
        key = given[0]
        value = self.typed(data, key, str)
        if key == "image":
            kw["image"] = value
            return
        try:
            resolved = (self.path.parent / value).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop
            raise self.fail(key, f"'{key}' is not a usable path: {exc}") from exc
        if key == "fixture" and not resolved.is_dir():
            raise self.fail(key, f"'fixture' must be a Go main package directory; {resolved} is not a directory")
        if key == "dockerfile" and not resolved.is_file():
            raise self.fail(key, f"'dockerfile' {resolved} does not exist")
        kw[key] = resolved

    def _args(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or any(isinstance(a, bool) or not isinstance(a, (str, int, float)) for a in raw):
            raise self.fail("args", f"'args' must be a list of strings, e.g. [run, --config, /etc/app.conf]; "
                                    f"got {raw!r}")
        if any("\0" in str(a) for a in raw):
            raise self.fail("args", "'args' may not hold a NUL byte")
        return tuple(str(a) for a in raw)

    def _files(self, raw: Any) -> dict[str, Path]:
        """``files: {/etc/app.conf: app.conf}``: a file next to the scenario, read-only at that path."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail("files", f"'files' must map paths in the container to files next to the scenario, "
                                     f"e.g. {{/etc/app.conf: app.conf}}; got {raw!r}")
        out: dict[str, Path] = {}
        for target, source in raw.items():
            full = f"files.{target}"
            if not isinstance(target, str) or not target.startswith("/") or "\0" in target:
                raise self.fail(full if isinstance(target, str) else "files",
                                f"'files' maps absolute paths in the container to files; {target!r} is not absolute")
            parts = target.split("/")
            if ".." in parts or target.rstrip("/") in ("", "/tmp") or target.endswith("/"):
                raise self.fail(full, f"'files' target {target!r} must name a file (no '..', not '/' or '/tmp')")
            if target.startswith("/tmp/"):
                raise self.fail(full, f"'files' target {target!r} is under /tmp, which is a fresh tmpfs")
            if not isinstance(source, str) or not source or "\0" in source:
                raise self.fail(full, f"'{full}' must be a file path relative to the scenario, got {source!r}")
            try:
                resolved = (self.path.parent / source).resolve()
            except (OSError, ValueError) as exc:
                raise self.fail(full, f"'{full}' is not a usable path: {exc}") from exc
            if not resolved.is_file():
                raise self.fail(full, f"'{full}': {resolved} is not a file")
            out[str(Path(target))] = resolved
        return out

    def _load(self, raw: Any) -> Load:
        data = self.mapping(raw, "load", _LOAD_KEYS)
        kw: dict[str, Any] = {}
        for key in ("path", "method", "body"):
            value = self.typed(data, key, str, f"load.{key}")
            if value is not None:
                kw[key] = value
        if "path" in kw and not kw["path"].startswith("/"):
            raise self.fail("load.path", f"'load.path' must start with '/', got {kw['path']!r}")
        if "headers" in data:
            headers = self.typed(data, "headers", dict, "load.headers")
            kw["headers"] = {str(k): str(v) for k, v in headers.items()}
        for key, minimum in (("requests", 1), ("warmup_requests", 0), ("concurrency", 1)):
            value = self.positive_int(data, key, f"load.{key}", minimum)
            if value is not None:
                kw[key] = value
        if "rate" in data:
            rate = self.typed(data, "rate", (int, float), "load.rate")
            if rate is not None and rate < 0:
                raise self.fail("load.rate", f"'load.rate' cannot be negative, got {rate}")
            kw["rate"] = float(rate or 0)
        if "timeout" in data:
            kw["timeout"] = self.convert(data["timeout"], "load.timeout", parse_duration)
        if "expect_status" in data:
            codes = data["expect_status"]
            if not isinstance(codes, list) or not codes or any(
                    isinstance(c, bool) or not isinstance(c, int) or not 100 <= c <= 599 for c in codes):
                raise self.fail("load.expect_status",
                                f"'load.expect_status' must be a list of HTTP status codes, got {codes!r}")
            kw["expect_status"] = tuple(codes)
        if "grpc" in data:
            self._grpc(data, kw)
        elif "expect_codes" in data:
            raise self.fail("load.expect_codes", "'load.expect_codes' is for a gRPC load (load.grpc)")
        return Load(**kw)

    def _grpc(self, load: dict[str, Any], kw: dict[str, Any]) -> None:
        """``load.grpc``: the call, its JSON request, proto file, metadata and stream length."""
        http = [k for k in _HTTP_ONLY_KEYS if k in load]
        if http:
            raise self.fail(f"load.{http[0]}", f"'load.{http[0]}' is for HTTP; a gRPC load (load.grpc) "
                                               f"does not take it")
        data = self.mapping(load["grpc"], "load.grpc", _GRPC_KEYS)
        call = self.typed(data, "call", str, "load.grpc.call")
        if call is None or not _CALL_RE.match(call):
            raise self.fail("load.grpc.call" if call else "load.grpc",
                            f"'load.grpc.call' must be package.Service/Method, got {call!r}")
        g: dict[str, Any] = {"call": call}
        body = self.typed(data, "data", str, "load.grpc.data")
        if body is not None:
            try:
                json.loads(body)
            except ValueError as exc:
                raise self.fail("load.grpc.data", f"'load.grpc.data' is not JSON: {exc}") from exc
            g["data"] = body
        proto = self.typed(data, "proto", str, "load.grpc.proto")
        if proto is not None:
            g["proto"] = (self.path.parent / proto).resolve()
            if not g["proto"].is_file():
                raise self.fail("load.grpc.proto", f"'load.grpc.proto': {g['proto']} is not a file")
        metadata = self.typed(data, "metadata", dict, "load.grpc.metadata") or {}
        bad = [k for k, v in metadata.items() if not isinstance(k, str) or not isinstance(v, (str, int, float))]
        if bad:
            raise self.fail("load.grpc.metadata", f"'load.grpc.metadata' must map names to strings; bad: {bad!r}")
        g["metadata"] = {k.lower(): str(v) for k, v in metadata.items()}
        n = self.positive_int(data, "stream_messages", "load.grpc.stream_messages", minimum=0)
        if n is not None:
            g["stream_messages"] = n
        kw["grpc"] = GrpcLoad(**g)
        # expect_codes sits under load.grpc, or beside it like load.expect_status
        given = [(f"load.{k}", d["expect_codes"]) for k, d in (("expect_codes", load), ("grpc.expect_codes", data))
                 if "expect_codes" in d]
        if len(given) > 1:
            raise self.fail(given[1][0], "'expect_codes' is given twice (load.expect_codes, load.grpc.expect_codes)")
        if given:
            kw["expect_codes"] = self._codes(*given[0])

    def _codes(self, full: str, raw: Any) -> tuple[int, ...]:
        """gRPC status codes by number (0-16) or name (NOT_FOUND, NotFound)."""
        names = {n.replace("_", ""): i for i, n in enumerate(GRPC_CODES)}
        out: list[int] = []
        for c in raw if isinstance(raw, list) and raw else [None]:
            if isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(GRPC_CODES):
                out.append(c)
            elif isinstance(c, str) and c.upper().replace("_", "") in names:
                out.append(names[c.upper().replace("_", "")])
            else:
                raise self.fail(full, f"'{full}' must be a list of gRPC status codes (0-16 or names such as "
                                      f"OK, NOT_FOUND); bad: {c if raw else raw!r}")
        return tuple(out)

    def _budgets(self, raw: Any) -> dict[str, float]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail("budgets", f"'budgets' must be a mapping, got {type(raw).__name__}")
        out: dict[str, float] = {}
        for key, value in raw.items():
            full = f"budgets.{key}"
            self.checked(full, validate.budget_name, key)
            out[key] = self.checked(full, lambda name, v, k: validate.budget(name, v, k)[1], key, value)
        return out

    def _extension(self, raw: Any) -> Extension:
        if raw is False:
            return Extension(factor=1.0)
        data = self.mapping(raw, "extension", _EXTENSION_KEYS)
        kw: dict[str, Any] = {}
        if "factor" in data:
            kw["factor"] = self.checked("extension.factor", validate.extension_factor, data["factor"])
        if "timeout" in data:
            kw["timeout"] = self.checked("extension.timeout", validate.duration, data["timeout"])
        return Extension(**kw)

    def _limits(self, raw: Any) -> Limits:
        data = self.mapping(raw, "limits", _LIMIT_KEYS)
        kw: dict[str, Any] = {}
        if "memory" in data:
            memory = self.checked("limits.memory", lambda v, k: validate.size(v, k), data["memory"])
            if memory < 6 * 1024 * 1024:
                raise self.fail("limits.memory",
                                f"'limits.memory' must be at least 6MiB (Docker's floor), got {memory:.0f}")
            kw["memory"] = int(memory)
        pids = self.positive_int(data, "pids", "limits.pids", minimum=16)
        if pids is not None:
            kw["pids"] = pids
        return Limits(**kw)
