"""The Docker instance's log tail says it was cut exactly when the engine rotated the log away.

The figures are from json-file logs on this machine's engine, the sizes of the files it kept
against what its logs stream gave back: a flood of 1 KiB lines with 4 MiB files (max-size) kept
a full first file of 4,195,515 bytes, read back as 3.9 MiB of text; 1-byte lines kept 1 MiB and
0.3 MiB files, read back as 37 KB. stored_bytes summed over the frames was 99.7% and 96% of the
files' sizes. No engine is needed here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_goleak.run.runtime import docker as rt
from pytest_goleak.run.runtime.base import InstanceInfo

LINE = b"x" * 1023 + b"\n"


class _Container:
    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.id = "c0ffee"

    def logs(self, **kwargs: Any) -> Any:
        assert kwargs["stream"] is True and kwargs["follow"] is False  # a stream that ends
        return iter(self.frames)


def _logs(frames: list[bytes], monkeypatch: pytest.MonkeyPatch, cap: int = 8 << 20) -> str:
    monkeypatch.setenv("GOLEAK_MAX_LOG_BYTES", str(cap))
    info = InstanceInfo(runtime="docker")
    return rt.DockerInstance(None, _Container(frames), "http://x", "http://x", info).logs()


def _engine_bytes(message: bytes, time: str = "2026-12-06T20:10:20.123456789Z") -> int:
    """What the json-file driver writes for one message (Go's encoder escapes <, > and &)."""
    entry = json.dumps({"log": message.decode(), "stream": "stdout", "time": time}, separators=(",", ":"),
                       ensure_ascii=False)
    return len(entry.replace("<", r"\u003c").replace(">", r"\u003e").replace("&", r"\u0026").encode()) + 1


@pytest.mark.parametrize("message", [LINE, b"a\n", b"", b'say "hi" <b> & \\ \t\x01\x1b[0m\r\n',
                                     "ünïcode ✓\n".encode(), b"y" * 16384])
def test_stored_bytes_is_a_close_lower_bound_of_the_engines_entry(message: bytes) -> None:
    exact = _engine_bytes(message)
    assert exact - 3 <= rt.stored_bytes(message) <= exact  # off only by the time's trailing digits


def test_a_log_just_after_its_rotation_is_said_to_be_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # the engine's first file is full (4 MiB stored) and its second has barely begun: 1 KiB lines
    # read back as 3.9 MiB, under half the 8 MiB cap, which is what the check once compared
    frames = [LINE] * (4_195_000 // _engine_bytes(LINE) + 40)
    assert sum(map(len, frames)) < 4 << 20
    text = _logs(frames, monkeypatch)
    assert text.startswith("(log cut: the engine keeps about the last 8 MiB")
    assert text.endswith(LINE.decode())


def test_short_lines_are_cut_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1-byte lines: 1 MiB files hold 37 KB of text (measured: 18,722 lines in a 1 MiB + 0.3 MiB log)
    frames = [b"a\n"] * 18_722
    assert "(log cut:" in _logs(frames, monkeypatch, cap=2 << 20)[:20]


def test_a_log_the_engine_never_rotated_is_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [LINE] * (int(0.9 * (4 << 20)) // _engine_bytes(LINE))  # 90% of the first file
    text = _logs(frames, monkeypatch)
    assert not text.startswith("(log cut") and len(text) == sum(map(len, frames))


def test_the_read_is_capped_whatever_was_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [LINE] * 3000  # 3 MiB read, against a 2 MiB cap
    text = _logs(frames, monkeypatch, cap=2 << 20)
    body = text.split("\n", 1)[1]
    assert text.startswith("(log cut:") and len(body) <= 2 << 20 and body.endswith(LINE.decode())
