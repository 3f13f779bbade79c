"""Goroutine grouping (proto) and the ?debug=2 text parser across Go 1.22-1.26 variants."""

from __future__ import annotations

from pprof_testlib import DATA

from pytest_goleak.pprof import Frame, first_user_frame, load
from pytest_goleak.pprof.goroutines import group_by_stack, group_text, parse_text

VARIANTS = """\
goroutine 1 [running]:
main.main()
\t/src/app/main.go:12 +0x1d

goroutine 7 [chan send, 5 minutes]:
main.lookup(0xc000012345)
\t/src/app/main.go:21 +0x65
created by main.handleWork in goroutine 6
\t/src/app/main.go:26 +0x85

goroutine 8 [chan send, 1 minute]:
main.lookup(...)
\t/src/app/main.go:21 +0x65
created by main.handleWork in goroutine 9
\t/src/app/main.go:26 +0x85

goroutine 9 [select, locked to thread]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
\t/usr/local/go/src/runtime/proc.go:424 +0xce
runtime.selectgo(0xc00005cf28, 0xc00005cf0c, 0x0?, 0x0, 0x0?, 0x1)
\t/usr/local/go/src/runtime/select.go:335 +0x7a5
runtime.ensureSigM.func1()
\t/usr/local/go/src/runtime/signal_unix.go:1060 +0x19f
created by runtime.ensureSigM in goroutine 1
\t/usr/local/go/src/runtime/signal_unix.go:1043 +0xc8

goroutine 10 gp=0xc000007340 m=nil [sync.WaitGroup.Wait, 12 minutes]:
sync.runtime_SemacquireWaitGroup(0xc0000a6010?)
\t/usr/local/go/src/runtime/sema.go:110 +0x25 fp=0xc0000516e8 sp=0xc0000516c8 pc=0x46c7a5
sync.(*WaitGroup).Wait(0xc0000a6010)
\t/usr/local/go/src/sync/waitgroup.go:118 +0x48
main.(*pool).drain(...)
\t/src/app/pool.go:40
created by main.start
\t/src/app/main.go:50 +0x120

goroutine 11 [sync.Mutex.Lock]:
sync.runtime_SemacquireMutex(0xc0000a6010?, 0x0?, 0x1?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
main.deep(0x1)
\t/src/app/deep.go:9 +0x10
...additional frames elided...
created by main.spawn in goroutine 1
\t/src/app/main.go:60 +0x20

goroutine 12 [IO wait, 3 minutes]:
internal/poll.runtime_pollWait(0x7f, 0x72)
\t/usr/local/go/src/runtime/netpoll.go:351 +0x85
net.(*netFD).Read(0xc000180080, {0xc000192000, 0x1000, 0x1000})
\t/usr/local/go/src/net/fd_posix.go:55 +0x25

goroutine 13 [chan receive (nil chan), 2 minutes]:
main.waitNil()
\t/src/app/main.go:70 +0x18
"""


def test_parse_text_variants() -> None:
    gs = {g.id: g for g in parse_text(VARIANTS)}
    assert sorted(gs) == [1, 7, 8, 9, 10, 11, 12, 13]
    assert gs[1].state == "running" and gs[1].frames == (Frame("main.main", "/src/app/main.go", 12),)
    g7 = gs[7]
    assert (g7.state, g7.wait_minutes, g7.created_by_goroutine) == ("chan send", 5, 6)
    assert g7.frames == (Frame("main.lookup", "/src/app/main.go", 21),)
    assert g7.created_by == Frame("main.handleWork", "/src/app/main.go", 26)
    assert gs[8].wait_minutes == 1
    assert gs[9].state == "select" and gs[9].locked_to_thread and gs[9].wait_minutes == 0
    assert [f.function for f in gs[9].frames] == [
        "runtime.gopark", "runtime.selectgo", "runtime.ensureSigM.func1"]
    g10 = gs[10]
    assert (g10.state, g10.wait_minutes) == ("sync.WaitGroup.Wait", 12)
    assert g10.frames[0] == Frame("sync.runtime_SemacquireWaitGroup",
                                  "/usr/local/go/src/runtime/sema.go", 110)
    assert g10.frames[2] == Frame("main.(*pool).drain", "/src/app/pool.go", 40)
    assert g10.created_by is not None and g10.created_by.function == "main.start"
    assert g10.created_by_goroutine is None  # Go < 1.21 style "created by" without a parent
    assert gs[11].state == "sync.Mutex.Lock" and gs[11].elided
    assert gs[11].created_by is not None and gs[11].created_by.function == "main.spawn"
    assert gs[12].state == "IO wait" and gs[12].wait_minutes == 3
    assert first_user_frame(gs[12].frames) is None
    assert gs[13].state == "chan receive (nil chan)"


def test_group_text_by_state_and_stack() -> None:
    groups = group_text(parse_text(VARIANTS))
    senders = [g for g in groups if g.state == "chan send"]
    assert len(senders) == 1
    s = senders[0]
    assert (s.count, s.wait_minutes_min, s.wait_minutes_max, s.wait_minutes) == (2, 1, 5, (1, 5))
    assert s.created_by_goroutine is None  # two different parents
    assert s.ids == (7, 8)
    assert groups[0] is s  # biggest group first


def test_parse_text_tolerates_junk_and_crlf() -> None:
    text = "junk\n\n" + VARIANTS.replace("\n", "\r\n") + "\n\ngoroutine x [oops]:\n"
    assert len(parse_text(text)) == 8
    assert parse_text("") == []


def test_real_text_matches_real_proto_profile() -> None:
    """The text and proto goroutine dumps were captured back to back with no load in between:
    the leaked senders must agree exactly."""
    text = parse_text((DATA / "goroutine_chan_leaky.new.goroutine.txt").read_text())
    proto = load(DATA / "goroutine_chan_leaky.new.goroutine.pb.gz")
    assert len(text) == proto.total(0)
    groups = group_text(text)
    leak = groups[0]
    assert leak.state == "chan send"
    assert leak.frames[0].function == "main.lookup"
    assert leak.created_by is not None and leak.created_by.function == "main.handleWork"
    proto_leak = [g for g in group_by_stack(proto) if any(f.function == "main.lookup" for f in g.frames)]
    assert leak.count == proto_leak[0].count


def test_group_by_stack_real() -> None:
    p = load(DATA / "goroutine_chan_leaky.new.goroutine.pb.gz")
    groups = group_by_stack(p)
    assert sum(g.count for g in groups) == p.total(0)
    assert groups == sorted(groups, key=lambda g: -g.count)
    top_group = groups[0]
    lookup = first_user_frame(top_group.frames)
    assert lookup is not None and lookup.function == "main.lookup"
