"""The deterministic GoBench "goker" cases and the goroutines each one leaks, as facts.

Written from reading Go's own ``runtime/goroutineleakprofile_test.go`` (Go 1.26): its goker list
marks a case deterministic with ``makeTest`` (flaky ones with ``makeFlakyTest``, left out here)
and names, per case, the goroutines that must be reported as leaked: the function the goroutine
was started with (the last frame of its stack, above ``created by``) and the wait reason in its
header. Nothing here is the test's text; the functions are spelled as pprof names them.

``per_run`` is how many goroutines one run of the case leaks, measured with the wrapper
(Go 1.26.8, ``GOMAXPROCS=1``); the load of each case follows from it (see :func:`load_for`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Leak:
    function: str  # the goroutine's start function, e.g. "main.(*Tx_cockroach13197).awaitDone"
    state: str  # its wait reason, e.g. "chan receive", "sync.Mutex.Lock"


@dataclass(frozen=True)
class GokerCase:
    name: str  # as the case registers itself, e.g. "Cockroach13197"
    file: str  # its file in the goker directory
    leaks: tuple[Leak, ...]
    per_run: int = 1  # goroutines one run leaks (measured)
    sleeps: bool = False  # the case waits 100 ms before it profiles (else it yields)


def _case(name: str, *leaks: tuple[str, str], file: str = "", per_run: int = 1, sleeps: bool = False) -> GokerCase:
    return GokerCase(name, file or f"{name.lower()}.go", tuple(Leak(f, s) for f, s in leaks), per_run, sleeps)


CHAN_RECV, CHAN_SEND = "chan receive", "chan send"
LOCK, RLOCK, WLOCK = "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock"

CASES: tuple[GokerCase, ...] = (
    _case("Cockroach7504", ("main.Cockroach7504.func2.1", LOCK), ("main.Cockroach7504.func2.2", LOCK),
          per_run=200, sleeps=True),
    _case("Cockroach13197", ("main.(*Tx_cockroach13197).awaitDone", CHAN_RECV)),
    _case("Cockroach13755", ("main.(*Rows_cockroach13755).awaitDone", CHAN_RECV)),
    _case("Cockroach24808", ("main.Cockroach24808.func2", CHAN_SEND)),
    _case("Cockroach25456", ("main.Cockroach25456.func2", CHAN_RECV)),
    _case("Cockroach35073", ("main.Cockroach35073.func2.1", CHAN_SEND), ("main.Cockroach35073.func2", CHAN_SEND),
          per_run=2),
    _case("Cockroach35931", ("main.Cockroach35931.func2", CHAN_SEND)),
    _case("Etcd5509", ("main.Etcd5509.func2", WLOCK)),
    _case("Etcd6708", ("main.Etcd6708.func2", RLOCK)),
    _case("Etcd10492", ("main.Etcd10492.func2", LOCK)),
    _case("Grpc660", ("main.(*benchmarkClient_grpc660).doCloseLoopUnary.func1", CHAN_SEND)),
    _case("Grpc862", ("main.DialContext_grpc862.func2", CHAN_RECV)),
    _case("Grpc1275", ("main.testInflightStreamClosing_grpc1275.func1", CHAN_RECV), sleeps=True),
    _case("Grpc1424", ("main.DialContext_grpc1424.func1", CHAN_RECV), sleeps=True),
    _case("Kubernetes5316", ("main.finishRequest_kubernetes5316.func1", CHAN_SEND), sleeps=True),
    _case("Kubernetes25331", ("main.(*watchChan_kubernetes25331).run", CHAN_SEND)),
    _case("Kubernetes38669", ("main.(*cacheWatcher_kubernetes38669).process", CHAN_SEND)),
    _case("Moby7559", ("main.(*UDPProxy_moby7559).Run", LOCK), per_run=20, sleeps=True),
    _case("Moby17176", ("main.testDevmapperLockReleasedDeviceDeletion_moby17176.func1", LOCK), per_run=100,
          sleeps=True),
    # The case registers as Moby25348; its file is moby25384.go.
    _case("Moby25348", ("main.(*Manager_moby25348).init", "sync.WaitGroup.Wait"), file="moby25384.go"),
    _case("Moby30408", ("main.Moby30408.func2", CHAN_RECV), ("main.testActive_moby30408.func1", "sync.Cond.Wait"),
          per_run=2),
    _case("Syncthing4829", ("main.Syncthing4829.func2", RLOCK)),
    _case("Syncthing5795", ("main.(*rawConnection_syncthing5795).dispatcherLoop", CHAN_RECV),
          ("main.Syncthing5795.func2", CHAN_RECV), per_run=2),
)

BY_NAME = {c.name: c for c in CASES}
