from __future__ import annotations

import pytest

from pytest_goleak.pprof import Frame, first_user_frame, is_standard
from pytest_goleak.pprof.frames import package_of


@pytest.mark.parametrize(("fn", "std"), [
    ("runtime.gopark", True),
    ("runtime/pprof.writeHeap", True),
    ("internal/poll.(*FD).Read", True),
    ("net/http.(*conn).serve", True),
    ("sync.(*Mutex).Lock", True),
    ("main.lookup", False),
    ("main.main.func1", False),
    ("github.com/acme/svc/cache.(*LRU).Put", False),
    ("example.com/x.F[go.shape.int]", False),
    ("slices.Sort[go.shape.[]github.com/acme/x.T]", True),
])
def test_is_standard(fn: str, std: bool) -> None:
    assert is_standard(fn) is std


def test_package_of() -> None:
    assert package_of("net/http.(*conn).serve") == "net/http"
    assert package_of("github.com/a/b.(*T).M") == "github.com/a/b"


def test_first_user_frame_skips_runtime_and_stdlib() -> None:
    frames = [Frame("runtime.chansend1", "runtime/chan.go", 161),
              Frame("net/http.HandlerFunc.ServeHTTP", "x", 1),
              Frame("main.lookup", "main.go", 21), Frame("main.main", "main.go", 30)]
    assert first_user_frame(frames) == frames[2]
    assert first_user_frame(frames[:2]) is None
