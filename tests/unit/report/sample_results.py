"""A synthetic results.json for report tests: one leaky, one clean, one failing, one error, one skipped.

Series are generated from a fixed seed so they look like real runs (noise, a warm-up step, a plateau)
while staying deterministic. ``hostile()`` swaps every untrusted string for XSS payloads.
"""

from __future__ import annotations

import copy
import random
from typing import Any

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)

LEAKY_FILE = "/work/main/go_fixtures/goroutine_chan/leaky/main.go"
REQUESTS = [300 + 540 * i for i in range(7)]  # 300 .. 3540


def _series(fn: Any, seed: int, noise: float) -> list[list[float]]:
    rng = random.Random(seed)
    return [[x, round(fn(x) * (1 + rng.uniform(-noise, noise)))] for x in REQUESTS]


def _signal(unit: str, slope: float, decision: str, series: list[list[float]], p: float) -> dict[str, Any]:
    return {
        "unit": unit,
        "slope_per_1k": slope,
        "ci": [slope * 0.95, slope * 1.05],
        "p_value": p,
        "decision": decision,
        "series": series,
    }


def _snapshots(name: str, signals: dict[str, Any]) -> list[dict[str, Any]]:
    snaps = []
    for i, x in enumerate(REQUESTS):
        snap: dict[str, Any] = {"index": i, "t": round(1.2 + 1.9 * i, 1), "requests": x}
        for key, sig in signals.items():
            snap[key] = sig["series"][i][1]
        snap["profiles"] = {k: f"{name}/{k}-{i}.pb.gz" for k in ("heap", "goroutine", "allocs")}
        snap["profiles"]["goroutine_text"] = f"{name}/goroutine-{i}.txt"
        snaps.append(snap)
    return snaps


def _phase(requests: int, seconds: float) -> dict[str, Any]:
    return {
        "requests": requests,
        "ok": requests,
        "errors": 0,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_ms": 1.9,
        "p99_ms": 9.9,
        "status": {"200": requests},
        "first_error": None,
    }


def leaky() -> dict[str, Any]:
    name = "goroutine_chan_leaky"
    signals = {
        "goroutines": _signal(
            "count", 998.2, "growing", _series(lambda x: 12 + 0.9982 * (x - 300), 1, 0.01), 0.0012
        ),
        "heap_inuse_bytes": _signal(
            "bytes", 1_100_000, "growing", _series(lambda x: 4_200_000 + 1100 * (x - 300), 2, 0.03), 0.001
        ),
        "heap_objects": _signal(
            "count", 2_150, "growing", _series(lambda x: 12_000 + 2.15 * (x - 300), 3, 0.02), 0.002
        ),
        "rss_bytes": _signal(
            "bytes", 1_400_000, "growing", _series(lambda x: 9_000_000 + 1400 * (x - 300), 4, 0.02), 0.004
        ),
        "fds": _signal("count", 0.0, "flat", [[x, 9] for x in REQUESTS], 0.9),
        "threads": _signal("count", 0.2, "plateau", _series(lambda x: 7 + min(x, 1500) / 1000, 5, 0.0), 0.3),
        "cgroup_memory_bytes": _signal(
            "bytes", 1_500_000, "growing", _series(lambda x: 11_000_000 + 1500 * (x - 300), 6, 0.02), 0.003
        ),
        "gc_live_heap_bytes": _signal(
            "bytes", 1_050_000, "growing", _series(lambda x: 4_000_000 + 1050 * (x - 300), 7, 0.03), 0.002
        ),
    }
    stack = [
        {"function": "runtime.gopark", "file": "/usr/local/go/src/runtime/proc.go", "line": 435},
        {"function": "runtime.chansend1", "file": "/usr/local/go/src/runtime/chan.go", "line": 161},
        {"function": "main.lookup", "file": LEAKY_FILE, "line": 23},
    ]
    return {
        "name": name,
        "file": f"scenarios/{name}.yaml",
        "description": "Handler starts a goroutine that sends on an unbuffered channel "
        "nobody reads after a timeout.",
        "expect": "leak",
        "verdict": "leak",
        "passed": True,
        "message": "goroutines_per_1k_requests = 998.2 exceeds budget 5 (p=0.0012); "
        "heap_inuse_bytes_per_1k_requests = 1.0 MiB exceeds budget 256.0 KiB",
        "error": None,
        "duration_s": 12.3,
        "requests": 3540,
        "budgets": {
            "goroutines_per_1k_requests": {"signal": "goroutines", "limit": 5, "measured": 998.2, "exceeded": True,
                                           "unit": "count"},
            "heap_inuse_bytes_per_1k_requests": {
                "signal": "heap_inuse_bytes",
                "limit": 262144,
                "measured": 1_100_000,
                "exceeded": True,
                "unit": "bytes",
            },
            "max_goroutines": {"signal": "goroutines", "limit": 5000, "measured": 3250, "exceeded": False,
                               "unit": "count"},
        },
        "signals": signals,
        "culprits": [
            {
                "kind": "goroutine",
                "function": "main.lookup",
                "file": LEAKY_FILE,
                "line": 23,
                "source": "\tch <- result{payload: make([]byte, 1024)}",
                "source_context": [
                    [21, "func lookup(ch chan<- result) {"],
                    [22, "\ttime.Sleep(2 * time.Millisecond)"],
                    [23, "\tch <- result{payload: make([]byte, 1024)}"],
                    [24, "}"],
                ],
                "delta": 2990,
                "delta_space": None,
                "delta_objects": None,
                "state": "chan send",
                "stack": stack,
            },
            {
                "kind": "heap",
                "function": "main.lookup",
                "file": LEAKY_FILE,
                "line": 23,
                "delta_space": 3_061_760,
                "delta_objects": 2990,
                "stack": stack[2:],
            },
        ],
        "growth": {
            "inuse_space": [
                {"function": "main.lookup", "file": LEAKY_FILE, "line": 23, "delta": 3_061_760},
                {
                    "function": "runtime.malg",
                    "file": "/usr/local/go/src/runtime/proc.go",
                    "line": 4971,
                    "delta": 1_224_704,
                },
                {
                    "function": "bufio.NewReaderSize",
                    "file": "/usr/local/go/src/bufio/bufio.go",
                    "line": 57,
                    "delta": -8192,
                },
            ],
            "inuse_objects": [
                {"function": "main.lookup", "file": LEAKY_FILE, "line": 23, "delta": 2990},
                {
                    "function": "runtime.malg",
                    "file": "/usr/local/go/src/runtime/proc.go",
                    "line": 4971,
                    "delta": 2990,
                },
            ],
        },
        "heap_diff_stacks": [
            {"stack": ["runtime.goexit", "main.handleWork.gowrap1", "main.lookup"], "delta_space": 3_061_760},
            {
                "stack": [
                    "runtime.goexit",
                    "net/http.(*conn).serve",
                    "net/http.serverHandler.ServeHTTP",
                    "main.handleWork",
                    "runtime.newproc",
                    "runtime.malg",
                ],
                "delta_space": 1_224_704,
            },
            {
                "stack": [
                    "runtime.goexit",
                    "net/http.(*conn).serve",
                    "net/http.(*conn).readRequest",
                    "bufio.NewReaderSize",
                ],
                "delta_space": -8192,
            },
            {
                "stack": ["runtime.goexit", "net/http.(*conn).serve", "net/http.(*response).finishRequest"],
                "delta_space": 40_960,
            },
            # a warm-up buffer released after the first snapshot: shrinks, drawn blue
            {"stack": ["runtime.goexit", "main.main", "main.warmUp", "bytes.growSlice"], "delta_space": -1_048_576},
            # too narrow to draw: summed into main.handleWork's hover text
            {"stack": ["runtime.goexit", "net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP",
                       "main.handleWork", "strconv.Itoa"], "delta_space": 96},
        ],
        "goroutine_groups": [
            {
                "count": 2990,
                "state": "chan send",
                "wait_minutes": [0, 1],
                "created_by": "main.handleWork",
                "stack": stack,
            },
            {
                "count": 4,
                "state": "IO wait",
                "wait_minutes": [],
                "created_by": "net/http.(*Server).Serve",
                "stack": [
                    {
                        "function": "internal/poll.runtime_pollWait",
                        "file": "/usr/local/go/src/runtime/netpoll.go",
                        "line": 351,
                    }
                ],
            },
        ],
        "snapshots": _snapshots(name, signals),
        "artifacts": {
            "trace": f"{name}/trace.out",
            "gctrace": f"{name}/gctrace.txt",
            "log": f"{name}/container.log",
        },
        "gctrace_excerpt": [
            f"gc {i} @{0.5 * i:.3f}s 2%: 0.011+0.42+0.003 ms clock, {4 + i}->{5 + i}->{4 + i} MB, "
            f"{5 + i} MB goal, 0 MB stacks, 0 MB globals, 2 P"
            for i in range(1, 9)
        ],
        "pprof_command": "go tool pprof -top -sample_index=inuse_space "
        f"-base goleak-report/{name}/heap-1.pb.gz goleak-report/{name}/heap-6.pb.gz",
        "pprof_diff_base_command": "go tool pprof -top -sample_index=inuse_space "
        f"-diff_base goleak-report/{name}/heap-1.pb.gz goleak-report/{name}/heap-6.pb.gz",
        "container": {
            "runtime": "docker",
            "image": f"pytest-goleak/{name}:3f2a9c",
            "id": "abc123",
            "memory_limit": 268_435_456,
            "exit_code": None,
            "oom_killed": False,
            "hardening": [
                "non-root 65532",
                "read-only rootfs",
                "cap_drop ALL",
                "no-new-privileges",
                "pids 512",
            ],
        },
        "build": {
            "go_version": "go1.26.8",
            "hash": "3f2a9c0d1e",
            "cached": True,
            "seconds": 0.8,
            "source": "/work/main/go_fixtures/goroutine_chan/leaky",
        },
        "server_connections": {},
        "culprit_expected": "main.lookup",
        "load": {"phases": [_phase(300, 0.09)] + [_phase(540, 0.15) for _ in REQUESTS[1:]]},
        "vet": [
            {
                "analyzer": "lostcancel",
                "position": "main.go:20:2",
                "message": "the cancel function is not used on all paths (possible context leak)",
            }
        ],
    }


def clean() -> dict[str, Any]:
    s = leaky()
    name = "goroutine_chan_fixed"
    s.update(
        name=name,
        file=f"scenarios/{name}.yaml",
        expect="clean",
        verdict="clean",
        passed=True,
        description="Same handler with a buffered channel: the sender never blocks.",
        message="all budgets hold: goroutines +0.02/1k req, heap +1.2 KiB/1k req",
    )
    s["signals"] = {
        "goroutines": _signal("count", 0.02, "flat", _series(lambda x: 9, 11, 0.1), 0.71),
        "heap_inuse_bytes": _signal(
            "bytes", 1200, "plateau", _series(lambda x: 4_300_000 + 300 * min(x, 1400), 12, 0.02), 0.44
        ),
        "rss_bytes": _signal(
            "bytes", 900, "plateau", _series(lambda x: 9_500_000 + 200 * min(x, 1400), 13, 0.01), 0.5
        ),
    }
    s["budgets"] = {
        "goroutines_per_1k_requests": {"signal": "goroutines", "limit": 5, "measured": 0.02, "exceeded": False,
                                       "unit": "count"},
        "heap_inuse_bytes_per_1k_requests": {
            "signal": "heap_inuse_bytes",
            "limit": 262144,
            "measured": 1200,
            "exceeded": False,
            "unit": "bytes",
        },
    }
    s["culprits"], s["heap_diff_stacks"], s["goroutine_groups"] = [], [], []
    s["growth"] = {"inuse_space": [], "inuse_objects": []}
    s["snapshots"] = _snapshots(name, s["signals"])
    return s


def failing_service() -> dict[str, Any]:
    """A user's own service (no expectation) that blows its budget: must be listed first."""
    s = leaky()
    s.update(
        name="orders_api",
        file="scenarios/orders_api.yaml",
        expect=None,
        verdict="leak",
        passed=False,
        description="Order API under mixed GET/POST load against Redis.",
        message="heap_inuse_bytes_per_1k_requests = 1.0 MiB exceeds budget 256.0 KiB",
    )
    s["server_connections"] = {"redis": [[x, 1 + (x - 300) // 10] for x in REQUESTS]}
    s["analysis_errors"] = ["goroutine profile 3 could not be parsed: truncated gzip stream"]
    s["culprit_expected"] = None
    s["load"]["phases"][2] = {
        **_phase(540, 0.2),
        "ok": 520,
        "errors": 20,
        "status": {"200": 520, "504": 20},
        "first_error": "GET /work: 504 Gateway Timeout",
    }
    return s


def errored() -> dict[str, Any]:
    return {
        "name": "broken_build",
        "file": "scenarios/broken_build.yaml",
        "expect": "clean",
        "verdict": "error",
        "passed": False,
        "error": "go build failed:\n./main.go:12:2: undefined: handler",
        "message": None,
        "signals": None,
        "snapshots": None,
        "culprits": None,
    }


def skipped() -> dict[str, Any]:
    return {
        "name": "needs_postgres",
        "verdict": "skipped",
        "expect": "clean",
        "passed": True,  # as the runner reports a skip
        "message": "PostgreSQL image not available",
    }


def results() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "tool": {"name": "pytest-goleak", "version": "0.1.0"},
        "created": "2026-11-25T23:10:00Z",
        "scenarios": [leaky(), clean(), skipped(), errored(), failing_service()],
        "validation": {
            "signals": {
                "goroutines": {"tp": 3, "fn": 0, "fp": 0, "tn": 4},
                "heap_inuse_bytes": {"tp": 2, "fn": 1, "fp": 0, "tn": 4},
            }
        },
        "comparison": None,
    }


def _poison(value: Any, payload: str) -> Any:
    if isinstance(value, dict):
        return {
            k: (payload + str(v) + payload if k in _UNTRUSTED_KEYS and v is not None else _poison(v, payload))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [payload + v if isinstance(v, str) else _poison(v, payload) for v in value]
    return value


_UNTRUSTED_KEYS = {
    "function",
    "file",
    "source",
    "message",
    "error",
    "description",
    "state",
    "created_by",
    "image",
    "id",
    "analyzer",
    "position",
    "pprof_command",
    "pprof_diff_base_command",
    "go_version",
    "hash",
    "runtime",
    "expect",
    "verdict",
    "created",
}


def hostile() -> dict[str, Any]:
    """Every untrusted string wrapped in both payloads, plus hostile names, links and signal keys."""
    data = _poison(_poison(results(), SCRIPT), IMG)
    first = data["scenarios"][0]
    first["name"] = "../x" + SCRIPT
    first["source_context"] = None
    first["culprits"][0]["source_context"] = [[23, SCRIPT + IMG]]
    first["artifacts"] = {"log": "javascript:alert(1)", "trace": "../../etc/passwd", IMG: IMG}
    first["signals"][SCRIPT] = copy.deepcopy(first["signals"]["goroutines"])
    first["signals"]["goroutines"]["unit"] = IMG
    first["budgets"][IMG] = {"limit": 1, "measured": 2, "exceeded": True, "unit": SCRIPT}
    first["server_connections"] = {SCRIPT: [[1, 2], [3, 4]]}
    first["container"]["hardening"] = [SCRIPT, IMG]
    data["tool"] = {"name": SCRIPT, "version": IMG}
    data["validation"]["signals"][IMG] = {"tp": 1, "fn": 0, "fp": 0, "tn": 1}
    data["scenarios"][1]["name"] = ".."
    data["scenarios"][2]["name"] = IMG
    data["detectors"] = {"cells": [{"detector": SCRIPT, "corpus": IMG, "tp": 1, "fn": 0, "fp": 0, "tn": 0, "absent": 0,
                                    "error": 0, "recall": 1.0, "false_alarm_rate": None, "right_place_rate": 1.0,
                                    "scenarios": {"tp": [IMG, "../x" + SCRIPT]}}]}
    return data
