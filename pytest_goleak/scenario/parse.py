"""Scenario files: YAML -> a validated, frozen :class:`Scenario`.

Every error is a :class:`ScenarioError` whose text starts with ``file:line:`` so an editor can
jump to it. The schema is deliberately independent of the shipped fixtures: ``fixture`` is any
Go main package directory, ``dockerfile`` any Dockerfile, ``image`` any local image.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .. import validate
from . import grpc as scenario_grpc
from . import ignore as _ignore
from .definition import (
    EXPECTATIONS,
    SERVICES,
    Abort,
    Extension,
    Hardening,
    Limits,
    Load,
    Request,
    Scenario,
    ScenarioError,
    SetupStep,
    YamlMapping,
)

__all__ = ["EXPECTATIONS", "SERVICES", "Abort", "Extension", "Hardening", "Limits", "Load", "Request", "Scenario",
           "ScenarioError", "SetupStep", "load_scenario"]


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
    "budgets", "limits", "memprofilerate", "timeout", "capture_timeout", "extension", "ignore", "setup",
    "hardening",
}
_LOAD_KEYS = {f.name for f in dataclasses.fields(Load)}
_MIX_KEYS = {"path", "method", "headers", "body", "weight", "expect_status"}
_SETUP_REQUEST_KEYS = {"path", "method", "headers", "body", "expect_status", "capture"}
_SETUP_COMMAND_KEYS = {"command", "timeout"}
_ABORT_KEYS = {"share", "after"}
_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP method or header name
_CAPTURE_RE = re.compile(r"^(json:[^.]+(\.[^.]+)*|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$")
_LIMIT_KEYS = {"memory", "pids"}
_HEALTH_KEYS = {"path", "timeout"}
_HARDENING_KEYS = {f.name for f in dataclasses.fields(Hardening)}
_EXTENSION_KEYS = {"factor", "timeout"}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _line_in(keys: dict[str, int], line: int) -> Callable[[str], int | None]:
    """The line of a key of a list item, else the item's own line."""
    return lambda key: keys.get(key, line)


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

    def items(self, *keys: str) -> list[tuple[int, dict[str, int]]]:
        """Each item of the list at ``keys``: its line and the lines of its own keys."""
        node: yaml.Node | None = self.node
        for k in keys:
            if not isinstance(node, yaml.MappingNode):
                return []
            node = next((v for kn, v in node.value if kn.value == k), None)
        if not isinstance(node, yaml.SequenceNode):
            return []
        return [(item.start_mark.line + 1, _key_lines(item) if isinstance(item, yaml.MappingNode) else {})
                for item in node.value]

    def fail(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(self.path, self.lines.get(key, 1), message)

    def mapping(self, data: Any, key: str, allowed: set[str]) -> YamlMapping:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.fail(key, f"'{key}' must be a mapping, got {type(data).__name__}")
        for k in data:
            if k not in allowed:
                full = f"{key}.{k}" if key else str(k)
                raise self.fail(full, f"unknown key '{full}' (allowed: {', '.join(sorted(allowed))})")
        return data

    def typed(self, data: YamlMapping, key: str, kind: type | tuple[type, ...], full: str = "") -> Any:
        value = data.get(key)
        full = full or key
        if value is None:
            return None
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(full, f"'{full}' must be {want}, got {value!r}")
        return value

    def checked(self, full: str, check: Callable[..., Any], *args: Any) -> Any:
        """``check(*args, key)`` from validate.py, its error a file:line ScenarioError."""
        try:
            return check(*args, f"'{full}'")
        except validate.InvalidSetting as exc:
            raise self.fail(full, str(exc)) from exc

    def positive_int(self, data: YamlMapping, key: str, full: str, minimum: int = 1) -> int | None:
        if data.get(key) is None:
            return None
        return int(self.checked(full, lambda v, k: validate.whole(v, k, minimum), data[key]))

    def build(self, data: YamlMapping) -> Scenario:
        data = self.mapping(data, "", _TOP_KEYS)
        name = self.typed(data, "name", str) or self.path.stem.removesuffix(".goleak")
        if not _NAME_RE.match(name):
            raise self.fail("name", f"'name' may hold letters, digits, '.', '_' and '-' only, got {name!r}")
        kind, source = self._source(data)
        expect = self.typed(data, "expect", str)
        if expect is not None and expect not in EXPECTATIONS:
            raise self.fail("expect", f"'expect' must be one of leak, clean; got {expect!r}")
        services = data.get("services") or []
        if not isinstance(services, list) or any(s not in SERVICES for s in services):
            raise self.fail("services", f"'services' must be a list drawn from {', '.join(SERVICES)}; got {services!r}")
        env = self.typed(data, "env", dict) or {}
        bad = [k for k, v in env.items() if not isinstance(k, str) or not isinstance(v, (str, int, float))]
        if bad:
            raise self.fail("env", f"'env' must map names to strings; bad entries: {bad!r}")
        port, pprof_port = self._port(data, "port"), self._port(data, "pprof_port")
        health = self.mapping(data.get("health"), "health", _HEALTH_KEYS)
        health_path = self.typed(health, "path", str, "health.path")
        network = self.typed(data, "network", str) or "auto"
        if network not in ("auto", "bridge", "host"):
            raise self.fail("network", f"'network' must be auto, bridge or host; got {network!r}")
        setup = self._setup(data.get("setup"))
        load = self._load(data.get("load"), [name for step in setup for name in step.capture])
        hardening = self.mapping(data.get("hardening"), "hardening", _HARDENING_KEYS)
        port_env = self.typed(data, "port_env", str)
        return Scenario(
            path=self.path, lines=self.lines, name=name, description=self.typed(data, "description", str) or "",
            fixture=Path(source) if kind == "fixture" else None,
            dockerfile=Path(source) if kind == "dockerfile" else None,
            image=str(source) if kind == "image" else None,
            expect=expect, culprit=self.typed(data, "culprit", str), services=tuple(services),
            env={k: str(v) for k, v in env.items()}, args=self._args(data.get("args")),
            files=self._files(data.get("files")),
            port=Scenario.port if port is None else port, pprof_port=pprof_port,
            port_env=Scenario.port_env if port_env is None else port_env,
            health_path=health_path,
            health_timeout=self._duration(health, "timeout", "health.timeout", Scenario.health_timeout),
            network=network, setup=setup, load=load,
            # validate.MIN_SNAPSHOTS says why at least 4; the default of 6 leaves room for a blip.
            snapshots=(Scenario.snapshots if data.get("snapshots") is None
                       else self.checked("snapshots", validate.snapshot_count, data["snapshots"])),
            budgets=self._budgets(data.get("budgets")), limits=self._limits(data.get("limits")),
            hardening=Hardening(**{k: bool(self.typed(hardening, k, bool, f"hardening.{k}"))
                                   for k in _HARDENING_KEYS}),
            extension=self._extension(data.get("extension")), ignore=self._ignore(data.get("ignore")),
            memprofilerate=self.positive_int(data, "memprofilerate", "memprofilerate", minimum=1),
            # a soak by time gets room for its own length
            timeout=self._duration(data, "timeout", "timeout",
                                   max(Scenario.timeout, 1.5 * load.duration + 120) if load.duration
                                   else Scenario.timeout),
            capture_timeout=self._duration(data, "capture_timeout", "capture_timeout", Scenario.capture_timeout))

    def _duration(self, data: YamlMapping, key: str, full: str, default: float) -> float:
        """A duration key (validate.duration: above zero and finite), or ``default`` when absent."""
        return float(self.checked(full, validate.duration, data[key])) if key in data else default

    def _port(self, data: YamlMapping, key: str) -> int | None:
        port = self.positive_int(data, key, key)
        if port is not None and port > 65535:
            raise self.fail(key, f"'{key}' must be a TCP port, got {port}")
        return port

    def _ignore(self, raw: Any) -> tuple[_ignore.IgnoreRule, ...]:
        try:
            return _ignore.parse(raw)
        except _ignore.IgnoreError as exc:
            index = getattr(exc, "index", None)
            line = self.item_line("ignore", index) if index is not None else self.lines.get("ignore", 1)
            raise ScenarioError(self.path, line, f"'ignore': {exc}") from exc

    def _source(self, data: YamlMapping) -> tuple[str, Path | str]:
        """Which of ``fixture`` and ``dockerfile`` (a resolved path) or ``image`` (a name) is given."""
        given = [k for k in ("fixture", "dockerfile", "image") if data.get(k) is not None]
        if len(given) != 1:
            raise self.fail(given[1] if len(given) > 1 else "name",
                            "a scenario needs exactly one of 'fixture' (a Go main package directory), "
                            f"'dockerfile' or 'image'; found {given or 'none'}")
        key = given[0]
        value = self.typed(data, key, str)
        if key == "image":
            return key, str(value)
        try:
            resolved = (self.path.parent / value).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a symlink loop
            raise self.fail(key, f"'{key}' is not a usable path: {exc}") from exc
        if key == "fixture" and not resolved.is_dir():
            raise self.fail(key, f"'fixture' must be a Go main package directory; {resolved} is not a directory")
        if key == "dockerfile" and not resolved.is_file():
            raise self.fail(key, f"'dockerfile' {resolved} does not exist")
        return key, resolved

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

    def _load(self, raw: Any, captured: list[str]) -> Load:
        data = self.mapping(raw, "load", _LOAD_KEYS)
        shorthand = self._request(data, "load", lambda k: self.lines.get(f"load.{k}"), captured)
        counts = {key: self.positive_int(data, key, f"load.{key}", minimum)
                  for key, minimum in (("requests", 1), ("warmup_requests", 0), ("concurrency", 1))}
        rate = self.typed(data, "rate", (int, float), "load.rate")
        if rate is not None and rate < 0:
            raise self.fail("load.rate", f"'load.rate' cannot be negative, got {rate}")
        duration = None
        if data.get("duration") is not None:
            if "requests" in data:
                raise self.fail("load.duration", "'load.duration' and 'load.requests' both say how long the "
                                                 "measured load runs: give one of them")
            duration = self.checked("load.duration", validate.duration, data["duration"])
        seed = None
        if data.get("seed") is not None:
            seed = int(self.checked("load.seed", lambda v, k: validate.whole(v, k, 0), data["seed"]))
            if seed >= 2**63:
                raise self.fail("load.seed", f"'load.seed' must be below 2**63, got {seed}")
        abort = self._abort(data.get("abort"))
        mix: tuple[Request, ...] = ()
        if data.get("mix") is not None:
            mix = self._mix(data["mix"], captured)
            given = [k for k in ("path", "method", "body", "headers") if k in data]
            if given:
                raise self.fail(f"load.{given[0]}", f"'load.{given[0]}' belongs to the one-request shorthand; "
                                                    "with 'load.mix' give it on each entry")
        grpc, expect_codes = None, Load.expect_codes
        if "grpc" in data:
            grpc, codes = scenario_grpc.parse(self, data, captured)
            expect_codes = expect_codes if codes is None else codes
        elif "expect_codes" in data:
            raise self.fail("load.expect_codes", "'load.expect_codes' is for a gRPC load (load.grpc)")

        def count(key: str, default: int) -> int:
            value = counts[key]
            return default if value is None else value

        # The shorthand's defaults (Request) are the load's own (path /, GET, no body, no headers).
        return Load(path=shorthand.path, method=shorthand.method, body=shorthand.body, headers=shorthand.headers,
                    mix=mix, abort=abort, seed=seed, duration=duration,
                    requests=count("requests", Load.requests),
                    warmup_requests=count("warmup_requests", Load.warmup_requests),
                    concurrency=count("concurrency", Load.concurrency), rate=float(rate or 0),
                    timeout=self._duration(data, "timeout", "load.timeout", Load.timeout),
                    expect_status=shorthand.expect_status, grpc=grpc, expect_codes=expect_codes)

    def _request(self, data: YamlMapping, where: str, line_of: Callable[[str], int | None],
                 captured: list[str]) -> Request:
        """The request keys of ``data`` (load shorthand, a mix entry, a setup step), checked."""
        def fail(key: str, message: str) -> ScenarioError:
            return ScenarioError(self.path, line_of(key) or line_of("") or 1, message)

        text: dict[str, str] = {}
        for key in ("path", "method", "body"):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, str)):
                raise fail(key, f"'{where}.{key}' must be str, got {value!r}")
            if value is not None:
                text[key] = value
        path, method = text.get("path", Request.path), text.get("method", Request.method)
        if not path.startswith("/"):
            raise fail("path", f"'{where}.path' must start with '/', got {path!r}")
        if not _TOKEN_RE.match(method):
            raise fail("method", f"'{where}.method' must be an HTTP method such as GET or POST, got {method!r}")
        headers: dict[str, str] = {}
        if data.get("headers") is not None:
            raw = data["headers"]
            if not isinstance(raw, dict) or any(not _TOKEN_RE.match(str(k)) for k in raw):
                raise fail("headers", f"'{where}.headers' must map header names to values, got {raw!r}")
            headers = {str(k): str(v) for k, v in raw.items()}
        expect_status: tuple[int, ...] = ()
        if "expect_status" in data:
            codes = data["expect_status"]
            if not isinstance(codes, list) or not codes or any(
                    isinstance(c, bool) or not isinstance(c, int) or not 100 <= c <= 599 for c in codes):
                raise fail("expect_status", f"'{where}.expect_status' must be a list of HTTP status codes, "
                                            f"got {codes!r}")
            expect_status = tuple(codes)
        for key, value in [("path", text.get("path")), ("body", text.get("body")),
                           *[("headers", v) for v in headers.values()]]:
            if value is not None:
                try:
                    validate.template(value, captured, f"'{where}.{key}'")
                    if key == "body":
                        validate.json_braces(value, f"'{where}.body'")
                except validate.InvalidSetting as exc:
                    raise fail(key, str(exc)) from exc
        return Request(path=path, method=method, headers=headers, body=text.get("body"),
                       expect_status=expect_status)

    def _mix(self, raw: Any, captured: list[str]) -> tuple[Request, ...]:
        lines = self.items("load", "mix")
        if not isinstance(raw, list) or not raw:
            raise self.fail("load.mix", "'load.mix' must be a list of requests, e.g. "
                                        "- {path: /export, method: POST, body: '{\"id\": \"{uuid}\"}', weight: 1}")
        out = []
        for i, item in enumerate(raw):
            line, keys = lines[i] if i < len(lines) else (self.lines.get("load.mix", 1), {})
            where = f"load.mix[{i}]"
            if not isinstance(item, dict):
                raise ScenarioError(self.path, line, f"'{where}' must be a mapping with at least a path")
            unknown = sorted(set(map(str, item)) - _MIX_KEYS)
            if unknown:
                raise ScenarioError(self.path, keys.get(unknown[0], line),
                                    f"unknown key '{where}.{unknown[0]}' (allowed: {', '.join(sorted(_MIX_KEYS))})")
            if "path" not in item:
                raise ScenarioError(self.path, line, f"'{where}' needs a path")
            request = self._request(item, where, _line_in(keys, line), captured)
            weight = item.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight < float("inf"):
                raise ScenarioError(self.path, keys.get("weight", line),
                                    f"'{where}.weight' must be a number above 0, got {weight!r}")
            out.append(dataclasses.replace(request, weight=float(weight)))
        return tuple(out)

    def _abort(self, raw: Any) -> Abort | None:
        if raw is None:
            return None
        data = self.mapping(raw, "load.abort", _ABORT_KEYS)
        share = data.get("share")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise self.fail("load.abort.share" if "share" in data else "load.abort",
                            f"'load.abort.share' must be a share of requests above 0 and at most 1, got {share!r}")
        if "after" not in data:
            raise self.fail("load.abort", "'load.abort' needs 'after', e.g. {share: 0.3, after: 5ms}")
        after = self.checked("load.abort.after", validate.duration, data["after"])
        return Abort(share=float(share), after=after)

    def _setup(self, raw: Any) -> tuple[SetupStep, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("setup", "'setup' must be a list of steps: HTTP requests "
                                     "({method, path, headers, body, expect_status, capture}) or {command, timeout}")
        lines = self.items("setup")
        steps: list[SetupStep] = []
        captured: list[str] = []
        for i, item in enumerate(raw):
            line, keys = lines[i] if i < len(lines) else (self.lines.get("setup", 1), {})
            where = f"setup[{i}]"
            if not isinstance(item, dict):
                raise ScenarioError(self.path, line, f"'{where}' must be a mapping: a request or a command")
            allowed = _SETUP_COMMAND_KEYS if "command" in item else _SETUP_REQUEST_KEYS
            unknown = sorted(set(map(str, item)) - allowed)
            if unknown:
                raise ScenarioError(self.path, keys.get(unknown[0], line),
                                    f"unknown key '{where}.{unknown[0]}' (allowed: {', '.join(sorted(allowed))})")
            step = (self._command_step(item, i, line, keys) if "command" in item
                    else self._request_step(item, i, line, keys, captured))
            captured += list(step.capture)
            steps.append(step)
        return tuple(steps)

    def _command_step(self, item: YamlMapping, i: int, line: int, keys: dict[str, int]) -> SetupStep:
        command = item["command"]
        if not isinstance(command, list) or not command or any(
                isinstance(a, bool) or not isinstance(a, (str, int, float)) or "\0" in str(a) for a in command):
            raise ScenarioError(self.path, keys.get("command", line),
                                f"'setup[{i}].command' must be a list of strings such as [./migrate, up], "
                                f"got {command!r}")
        timeout = 60.0
        if "timeout" in item:
            try:
                timeout = validate.duration(item["timeout"], f"'setup[{i}].timeout'")
            except validate.InvalidSetting as exc:
                raise ScenarioError(self.path, keys.get("timeout", line), str(exc)) from exc
        return SetupStep(index=i, line=line, command=tuple(str(a) for a in command), timeout=timeout)

    def _request_step(self, item: YamlMapping, i: int, line: int, keys: dict[str, int],
                      captured: list[str]) -> SetupStep:
        where = f"setup[{i}]"
        if "path" not in item:
            raise ScenarioError(self.path, line, f"'{where}' needs a path (a request) or a command")
        request = self._request(item, where, _line_in(keys, line), captured)
        for key, text in [("path", request.path), ("body", request.body or ""), *request.headers.items()]:
            if validate.template_variables(text) & set(validate.BUILTIN_VARIABLES):
                raise ScenarioError(self.path, keys.get(key, keys.get("headers", line)),
                                    f"'{where}': {{seq}}, {{uuid}} and {{rand}} belong to the load; a setup step "
                                    "may use the variables earlier steps captured")
        capture = item.get("capture") or {}
        if not isinstance(capture, dict):
            raise ScenarioError(self.path, keys.get("capture", line),
                                f"'{where}.capture' must map variable names to json:PATH or header:NAME")
        for name, spec in capture.items():
            at = keys.get(f"capture.{name}", keys.get("capture", line))
            if not isinstance(name, str) or not _IDENT_RE.match(name) or name in validate.BUILTIN_VARIABLES:
                raise ScenarioError(self.path, at, f"'{where}.capture': {name!r} cannot be a variable name "
                                                   "(letters, digits and _, not seq, uuid or rand)")
            if not isinstance(spec, str) or not _CAPTURE_RE.match(spec):
                raise ScenarioError(self.path, at, f"'{where}.capture.{name}': {spec!r} is not a capture; "
                                                   "write json:a.b.0.c (a field of a JSON answer) or header:Name")
        return SetupStep(index=i, line=line, request=request, capture=dict(capture))

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
        return Extension(
            factor=self.checked("extension.factor", validate.extension_factor, data["factor"])
            if "factor" in data else None,
            timeout=self._duration(data, "timeout", "extension.timeout", 0.0) if "timeout" in data else None)

    def _limits(self, raw: Any) -> Limits:
        data = self.mapping(raw, "limits", _LIMIT_KEYS)
        memory = Limits.memory
        if "memory" in data:
            size = self.checked("limits.memory", lambda v, k: validate.size(v, k), data["memory"])
            if size < 6 * 1024 * 1024:
                raise self.fail("limits.memory",
                                f"'limits.memory' must be at least 6MiB (Docker's floor), got {size:.0f}")
            memory = int(size)
        pids = self.positive_int(data, "pids", "limits.pids", minimum=16)
        return Limits(memory=memory, pids=Limits.pids if pids is None else pids)
