"""load.grpc: what a scenario file says about a gRPC load, its file:line errors, and how the
load stage hands it to the driver and judges its status codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goleak.report import results
from pytest_goleak.run import grpcload, load
from pytest_goleak.scenario.definition import GrpcLoad
from pytest_goleak.scenario.parse import ScenarioError, load_scenario

HEAD = "fixture: pkg\nport: 50051\npprof_port: 6060\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    (tmp_path / "feed.proto").write_text('syntax = "proto3";\n')
    p = tmp_path / "s.yaml"
    p.write_text(HEAD + text)
    return p


def test_full_grpc_load(tmp_path):
    s = load_scenario(write(tmp_path, (
        "load:\n  grpc:\n    call: feed.v1.Feed/Subscribe\n    proto: feed.proto\n"
        "    data: '{\"topic\": \"t-{seq}\", \"size\": {rand:1-9}}'\n"
        "    metadata: {Authorization: 'Bearer {uuid}'}\n    stream_messages: 3\n"
        "    expect_codes: [OK, not_found, 14]\n  concurrency: 4\n")))
    g = s.load.grpc
    assert g == GrpcLoad(call="feed.v1.Feed/Subscribe", data='{"topic": "t-{seq}", "size": {rand:1-9}}',
                         proto=(tmp_path / "feed.proto").resolve(), metadata={"authorization": "Bearer {uuid}"},
                         stream_messages=3)
    assert s.load.expect_codes == (0, 5, 14)
    (entry,) = s.load.entries()
    assert entry.label == "gRPC /feed.v1.Feed/Subscribe" and entry.expect_status == (0, 5, 14)


def test_grpc_defaults_reflection_and_ok_only(tmp_path):
    s = load_scenario(write(tmp_path, "load:\n  grpc: {call: pkg.Svc/Get}\n  expect_codes: [0]\n"))
    assert s.load.grpc == GrpcLoad(call="pkg.Svc/Get") and s.load.grpc.proto is None
    assert s.load.expect_codes == (0,)
    assert load_scenario(write(tmp_path, "load: {path: /x}\n")).load.grpc is None


@pytest.mark.parametrize(("text", "line", "message"), [
    ("load:\n  grpc: {call: Feed.Get}\n", 5, "'load.grpc.call' must be package.Service/Method, got 'Feed.Get'"),
    ("load:\n  grpc: {data: '{}'}\n", 5, "'load.grpc.call' must be package.Service/Method, got None"),
    ("load:\n  grpc:\n    call: a.B/C\n    proto: missing.proto\n", 7, "missing.proto is not a file"),
    ("load:\n  grpc:\n    call: a.B/C\n    data: '{\"a\": }'\n", 7, "'load.grpc.data' is not JSON"),
    ("load:\n  grpc:\n    call: a.B/C\n    data: '{\"a\": \"{tokn}\"}'\n", 7, "unknown variable {tokn}"),
    ("load:\n  grpc:\n    call: a.B/C\n    metadata: {k: '{nope}'}\n", 7, "unknown variable {nope}"),
    ("load:\n  path: /x\n  grpc: {call: a.B/C}\n", 5, "'load.path' is for HTTP"),
    ("load:\n  grpc: {call: a.B/C, expect_codes: [FINE]}\n", 5, "bad: 'FINE'"),
    ("load:\n  grpc: {call: a.B/C, expect_codes: [17]}\n", 5, "bad: 17"),
    ("load:\n  grpc: {call: a.B/C, expect_codes: [0]}\n  expect_codes: [0]\n", 5, "given twice"),
    ("load:\n  expect_codes: [0]\n", 5, "'load.expect_codes' is for a gRPC load"),
    ("load:\n  grpc: {call: a.B/C, stream_messages: -1}\n", 5, "load.grpc.stream_messages"),
    ("load:\n  grpc: {call: a.B/C, method: x}\n", 5, "unknown key 'load.grpc.method'"),
])
def test_bad_grpc_input_names_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.line == line, str(err.value)
    assert message in str(err.value) and str(err.value).startswith(f"{path}:{line}:")


def test_driver_spec_carries_the_call(tmp_path):
    s = load_scenario(write(tmp_path, "load:\n  grpc: {call: a.B/C, proto: feed.proto, stream_messages: 2}\n"))
    spec = load.spec("http://127.0.0.1:49153", s.load, {"token": "t"}, 7)
    assert spec["grpc"] == {"target": "127.0.0.1:49153", "call": "a.B/C", "data": "{}",
                            "proto": str((tmp_path / "feed.proto").resolve()), "metadata": {}, "stream_messages": 2}
    assert spec["requests"][0]["method"] == "gRPC" and spec["vars"] == {"token": "t"}
    assert "grpc" not in load.spec("http://h:1", load_scenario(write(tmp_path, "load: {path: /}\n")).load, {}, 1)


def _summary(status: dict[str, int], first_error: str | None = None) -> load.LoadSummary:
    n = sum(status.values())
    entry = load.EntryResult("gRPC /a.B/C", n, status.get("0", 0), 0, 0, status)
    phase = load.PhaseResult(n, entry.ok, 0, 1.0, n, status=status, first_error=first_error, entries=(entry,))
    return load.LoadSummary.of([phase], n, 1, "grpc")


def test_status_codes_count_like_http_statuses(tmp_path):
    s = load_scenario(write(tmp_path, "load:\n  grpc: {call: a.B/C}\n"))
    _summary({"0": 96, "14": 4}).check(s.load.entries())  # 4% unexpected: the load it describes
    with pytest.raises(load.LoadError) as err:
        _summary({"0": 90, "12": 10}, "Unimplemented: unknown method C").check(s.load.entries())
    text = str(err.value)
    assert "10 of 100 calls (10%) were not OK (OK: 90, UNIMPLEMENTED: 10)" in text
    assert "first error: Unimplemented: unknown method C" in text and "load.grpc.expect_codes" in text
    expecting = load_scenario(write(tmp_path, "load:\n  grpc: {call: a.B/C, expect_codes: [OK, UNIMPLEMENTED]}\n"))
    _summary({"0": 90, "12": 10}).check(expecting.load.entries())


def test_summary_round_trips_its_protocol():
    summary = _summary({"0": 3})
    assert results.load_json(summary)["protocol"] == "grpc" and summary.status == {"0": 3}
    assert grpcload.code_name("14") == "UNAVAILABLE" and grpcload.code_name("99") == "99"
    assert grpcload.target("http://127.0.0.1:5/") == "127.0.0.1:5"
