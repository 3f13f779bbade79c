"""Culprit naming on real profiles captured from the fixtures (tests/data/profiles, see regen.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytest_goleak.judge import culprit
from pytest_goleak.pprof import Frame
from pytest_goleak.pprof.diff import GoroutineGrowth
from pytest_goleak.run.capture import Snapshot
from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "profiles"


def snapshots(tmp_path: Path, fixture: str) -> tuple[Snapshot, Snapshot]:
    for f in DATA.glob(f"{fixture}.*"):
        shutil.copy(f, tmp_path / f.name)

    def snap(which: str) -> Snapshot:
        return Snapshot(index=0, t=0.0, requests=0,
                        profiles={"heap": f"{fixture}.{which}.heap.pb.gz",
                                  "goroutine": f"{fixture}.{which}.goroutine.pb.gz",
                                  "goroutine_text": f"{fixture}.{which}.goroutine.txt"})

    return snap("base"), snap("new")


def test_goroutine_leak_names_the_blocked_function_with_its_state(tmp_path):
    first, last = snapshots(tmp_path, "goroutine_chan_leaky")
    module = "github.com/pytest-goleak/go_fixtures"
    found = culprit.find(tmp_path, first, last, goroutines_first=True, module=module)
    top = found.culprits[0]
    assert (top.kind, top.function) == ("goroutine", "main.lookup")
    assert top.state is not None and top.state.startswith("chan send") and top.delta and top.delta > 0
    assert top.file is not None and top.file.endswith("goroutine_chan/leaky/main.go")
    assert [f.function for f in top.stack][0] == "runtime.gopark"
    assert found.goroutine_groups and found.growth["inuse_space"] and not found.errors


def test_heap_leak_names_the_allocating_function(tmp_path):
    first, last = snapshots(tmp_path, "global_map_leaky")
    found = culprit.find(tmp_path, first, last, goroutines_first=False, module=None)
    top = found.culprits[0]
    assert (top.kind, top.function) == ("heap", "main.remember")
    assert top.delta_space and top.delta_space > 0 and top.delta_objects and top.delta_objects > 0
    biggest = max(found.heap_diff_stacks, key=lambda s: s.delta_space)
    assert "main.remember" in biggest.stack and biggest.stack[0] != "main.remember"  # root first


def test_unreadable_profile_is_noted_not_raised(tmp_path):
    first, last = snapshots(tmp_path, "global_map_leaky")
    (tmp_path / "global_map_leaky.new.heap.pb.gz").write_bytes(b"<html>not a profile</html>")
    found = culprit.find(tmp_path, first, last, goroutines_first=False)
    assert any(e.startswith("heap profile:") for e in found.errors)


def test_pick_frame_prefers_the_users_own_code():
    stack = [Frame("runtime.gopark", "proc.go", 1), Frame("github.com/redis/go-redis/v9.(*Client).dial", "r.go", 2),
             Frame("github.com/acme/svc/store.Open", "store.go", 3), Frame("main.handle", "main.go", 4)]
    assert culprit.pick_frame(stack, "github.com/acme/svc") == (stack[2], True)
    assert culprit.pick_frame(stack, None) == (stack[3], True)
    assert culprit.pick_frame(stack[:2], None) == (stack[1], False)  # a library, not the standard library
    assert culprit.pick_frame(stack[:1], None) == (stack[0], False)


def test_source_context_around_the_line(tmp_path):
    src = tmp_path / "main.go"
    src.write_text("\n".join(f"line {n}" for n in range(1, 11)))
    roots = [tmp_path]
    assert culprit.source_context(str(src), 5, roots, around=1) == [(4, "line 4"), (5, "line 5"), (6, "line 6")]
    assert culprit.source_context(str(tmp_path / "missing.go"), 5, roots) == []


def test_source_is_named_not_read_outside_the_build_context_module_cache_and_goroot(tmp_path, monkeypatch):
    """A //line directive lets a service name any file as its source (issue 18, item 3)."""
    monkeypatch.setenv("GOLEAK_UNIT_SECRET", "unit-secret-marker")
    context, outside = tmp_path / "ctx", tmp_path / "outside"
    context.mkdir()
    outside.mkdir()
    (outside / "secret.go").write_text("token = hunter2\n")
    (context / "link.go").symlink_to(outside / "secret.go")  # a symlink out of the context
    (context / ".git").mkdir()
    (context / ".git" / "config.go").write_text("extraheader = AUTHORIZATION: basic xyz\n")
    (context / "creds.env").write_text("TOKEN=abc\n")  # not a source file
    (context / "big.go").write_bytes(b"x\n" * (culprit.SOURCE_MAX_BYTES // 2 + 1))
    (context / "ok.go").write_text("package main\n")
    roots = [context]
    for name in ("/proc/self/environ", str(outside / "secret.go"), str(context / "link.go"),
                 str(context / ".git" / "config.go"), str(context / "creds.env"), str(context / "big.go"),
                 "/dev/zero", "ok.go"):
        assert culprit.source_context(name, 1, roots) == [], name
    assert culprit.source_context(str(context / "ok.go"), 1, roots) == [(1, "package main")]


def test_a_goroutine_that_only_moved_between_stacks_is_not_a_culprit():
    """The accept loop caught outside Accept in the first snapshot and inside it in the last
    grows its stack by one; beside 3,114 leaked receive loops it must not lead as "own" code."""
    redis = (Frame("internal/poll.runtime_pollWait", "netpoll.go", 351),
             Frame("github.com/redis/go-redis/v9.(*PubSub).ReceiveTimeout", "pubsub.go", 440))
    split = (Frame("internal/poll.runtime_pollWait", "netpoll.go", 351),
             Frame("github.com/redis/go-redis/v9.(*PubSub).ReceiveTimeout", "pubsub.go", 441))
    accept = (Frame("net.(*TCPListener).Accept", "tcpsock.go", 380),
              Frame("github.com/pytest-goleak/go_fixtures/internal/server.Run.func2", "server.go", 62))
    shrunk = (Frame("runtime.gopark", "proc.go", 1),)
    groups = [GoroutineGrowth(accept, 0, 1), GoroutineGrowth(redis, 2, 3116), GoroutineGrowth(split, 0, 400),
              GoroutineGrowth(shrunk, 5, 1)]
    assert [g.frames for g in culprit.material_growth(groups)] == [redis, split]
    assert culprit.material_growth([GoroutineGrowth(accept, 0, 1)])[0].frames == accept
    assert culprit.material_growth([GoroutineGrowth(shrunk, 5, 1)]) == []
