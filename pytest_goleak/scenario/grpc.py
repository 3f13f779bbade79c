"""``load.grpc`` in a scenario file: the call, its JSON request, proto file, metadata, stream
length and expected status codes, checked with file:line errors like the rest of the file
(parse.py's builder hands itself in)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .. import validate
from .definition import GRPC_CODES, GrpcLoad, ScenarioError, YamlMapping

GRPC_KEYS = {f.name for f in dataclasses.fields(GrpcLoad)} | {"expect_codes"}
HTTP_ONLY_KEYS = ("path", "method", "body", "headers", "expect_status", "mix")
_CALL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/[A-Za-z_][A-Za-z0-9_]*$")


class Builder(Protocol):
    """What of parse.py's builder this module uses."""

    path: Path

    def fail(self, key: str, message: str) -> ScenarioError: ...
    def mapping(self, data: Any, key: str, allowed: set[str]) -> YamlMapping: ...
    def typed(self, data: YamlMapping, key: str, kind: type | tuple[type, ...], full: str = "") -> Any: ...
    def positive_int(self, data: YamlMapping, key: str, full: str, minimum: int = 1) -> int | None: ...


def parse(b: Builder, load: YamlMapping, captured: Sequence[str]) -> tuple[GrpcLoad, tuple[int, ...] | None]:
    """``load.grpc`` as a :class:`GrpcLoad`, and its expected status codes when given."""
    http = [k for k in HTTP_ONLY_KEYS if k in load]
    if http:
        raise b.fail(f"load.{http[0]}", f"'load.{http[0]}' is for HTTP; a gRPC load (load.grpc) does not take it")
    data = b.mapping(load["grpc"], "load.grpc", GRPC_KEYS)
    call = b.typed(data, "call", str, "load.grpc.call")
    if call is None or not _CALL_RE.match(call):
        raise b.fail("load.grpc.call" if call else "load.grpc",
                     f"'load.grpc.call' must be package.Service/Method, got {call!r}")
    body = b.typed(data, "data", str, "load.grpc.data")
    proto = b.typed(data, "proto", str, "load.grpc.proto")
    proto_path = None
    if proto is not None:
        proto_path = (b.path.parent / proto).resolve()
        if not proto_path.is_file():
            raise b.fail("load.grpc.proto", f"'load.grpc.proto': {proto_path} is not a file")
    n = b.positive_int(data, "stream_messages", "load.grpc.stream_messages", minimum=0)
    grpc = GrpcLoad(call=call, data=GrpcLoad.data if body is None else _json_template(b, body, captured),
                    proto=proto_path,
                    metadata=_metadata(b, b.typed(data, "metadata", dict, "load.grpc.metadata") or {}, captured),
                    stream_messages=GrpcLoad.stream_messages if n is None else n)
    # expect_codes sits under load.grpc, or beside it as load.expect_status does
    given = [(f"load.{k}", d["expect_codes"]) for k, d in (("expect_codes", load), ("grpc.expect_codes", data))
             if "expect_codes" in d]
    if len(given) > 1:
        raise b.fail(given[1][0], "'expect_codes' is given twice (load.expect_codes, load.grpc.expect_codes)")
    return grpc, codes(b, *given[0]) if given else None


def _json_template(b: Builder, text: str, captured: Sequence[str]) -> str:
    """``data``: a request template (variables expanded per call by the driver) that is JSON once
    its variables are filled in."""
    try:
        validate.template(text, captured, "'load.grpc.data'")
    except validate.InvalidSetting as exc:
        raise b.fail("load.grpc.data", str(exc)) from exc
    sample = validate.expand_captured(text, dict.fromkeys(validate.template_variables(text), "0"))
    try:
        json.loads(sample)
    except ValueError as exc:
        raise b.fail("load.grpc.data", f"'load.grpc.data' is not JSON: {exc}") from exc
    return text


def _metadata(b: Builder, raw: dict[Any, Any], captured: Sequence[str]) -> dict[str, str]:
    bad = [k for k, v in raw.items() if not isinstance(k, str) or isinstance(v, bool)
           or not isinstance(v, (str, int, float))]
    if bad:
        raise b.fail("load.grpc.metadata", f"'load.grpc.metadata' must map names to strings; bad: {bad!r}")
    out = {k.lower(): str(v) for k, v in raw.items()}  # gRPC metadata keys are lower case
    for k, v in out.items():
        try:
            validate.template(v, captured, f"'load.grpc.metadata.{k}'")
        except validate.InvalidSetting as exc:
            raise b.fail("load.grpc.metadata", str(exc)) from exc
    return out


def codes(b: Builder, full: str, raw: Any) -> tuple[int, ...]:
    """gRPC status codes by number (0-16) or name (NOT_FOUND, NotFound)."""
    names = {n.replace("_", ""): i for i, n in enumerate(GRPC_CODES)}
    out: list[int] = []
    for c in raw if isinstance(raw, list) and raw else [raw]:
        if isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(GRPC_CODES):
            out.append(c)
        elif isinstance(c, str) and c.upper().replace("_", "") in names:
            out.append(names[c.upper().replace("_", "")])
        else:
            raise b.fail(full, f"'{full}' must be a list of gRPC status codes (0-16 or names such as OK, "
                               f"NOT_FOUND); bad: {c!r}")
    return tuple(out)
