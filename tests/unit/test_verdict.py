from pytest_goleak.judge.analysis import trend
from pytest_goleak.judge.verdict import culprit_matches, judge, outcome
from pytest_goleak.run.capture import Snapshot


def pts(values):
    return [(300 + 500 * i, float(v)) for i, v in enumerate(values)]


def test_slope_budget_exceeded_only_when_growing():
    growing = {"goroutines": trend(pts([10, 510, 1010, 1510, 2010, 2510]), "count")}
    v = judge({"goroutines_per_1k_requests": 5}, growing, [])
    assert v.verdict == "leak"
    assert "goroutines_per_1k_requests = 1000.0 exceeds budget 5.0" in v.reasons[0]
    flat = {"goroutines": trend(pts([10, 12, 9, 11, 10, 12]), "count")}
    assert judge({"goroutines_per_1k_requests": 5}, flat, []).verdict == "clean"


def test_plateau_within_budget_is_clean():
    plateau = {"heap_inuse_bytes": trend(pts([0, 4e6, 8e6, 8e6, 8.01e6, 8e6, 8.02e6, 8e6]), "bytes")}
    assert judge({"heap_inuse_bytes_per_1k_requests": 1024}, plateau, []).verdict == "clean"


def test_absolute_cap():
    snaps = [Snapshot(index=0, t=0.0, requests=0, goroutines=10),
             Snapshot(index=1, t=1.0, requests=9, goroutines=20001)]
    v = judge({"max_goroutines": 10000}, {}, snaps)
    assert v.verdict == "leak" and v.checks[0].measured == 20001


def test_missing_signal_is_reported_not_failed():
    v = judge({"fds_per_1k_requests": 1}, {}, [])
    assert v.verdict == "clean" and v.checks[0].detail == "signal not available"


def test_oom_is_a_leak():
    assert judge({}, {}, [], oom="OOM-killed at 32.0MiB after 900 requests").verdict == "leak"


def test_outcome_rules():
    assert outcome("leak", "leak", None, None) == (True, "expected leak, measured leak")
    assert outcome("clean", "leak", None, None)[0] is False
    assert outcome("clean", None, None, None)[0] is True  # a user's service within budget
    assert outcome("leak", None, None, None)[0] is False
    assert outcome("leak", "leak", "main.lookup", "main.other")[0] is False
    assert outcome("leak", "leak", "main.lookup", "main.lookup.func1")[0] is True
    assert outcome("error", "clean", None, None)[0] is False


def test_culprit_matches():
    assert culprit_matches("main.lookup", "main.lookup")
    assert not culprit_matches("main.lookupAll", "main.lookup")
    assert not culprit_matches(None, "main.lookup")


def test_engine_errors_are_recognised_by_their_library():
    import docker.errors
    import requests.exceptions

    from pytest_goleak.run.runner import _is_engine_error

    assert _is_engine_error(docker.errors.APIError("port is already allocated"))
    assert _is_engine_error(requests.exceptions.ReadTimeout("read timed out"))
    assert not _is_engine_error(KeyError("x"))


def test_a_leak_is_sized_per_request_per_1k_and_per_day():
    from pytest_goleak.judge.verdict import leak_size

    assert leak_size(8 * 1024.0) == "8B a request, 8.0KiB per 1k, 675.0MiB a day at 1,000 requests/s"
    assert leak_size(16 * 1000.0, 200.0).endswith("263.7MiB a day at 200 requests/s")
    growing = {"heap_inuse_bytes": trend(pts([0, 8000, 16000, 24000, 32000, 40000]), "bytes")}
    v = judge({"heap_inuse_bytes_per_1k_requests": 4096}, growing, [], rate=500.0)
    assert v.verdict == "leak" and "16B a request, 15.6KiB per 1k, 659.2MiB a day at 500 requests/s" in v.reasons[0]


def test_a_per_minute_budget_is_judged_on_the_idle_window():
    from pytest_goleak.run.capture import IdleWindow

    loop = IdleWindow(1.0, {"goroutines": 10.0, "fds": 8.0}, {"goroutines": 30.0, "fds": 8.0})
    budgets = {"goroutines_per_minute": 60.0, "fds_per_minute": 60.0}
    v = judge(budgets, {}, [], idle=loop)
    assert v.verdict == "leak" and v.checks[0].measured == 1200.0 and not v.checks[1].exceeded
    assert "1200.0/minute with no traffic" in v.reasons[0]
    quiet = IdleWindow(1.0, {"goroutines": 10.0}, {"goroutines": 12.0})  # within the noise floor
    assert judge(budgets, {}, [], idle=quiet).verdict == "clean"
    assert judge(budgets, {}, []).checks[0].detail == "no idle window"


def test_goroutines_the_leak_profile_finds_blocked_for_ever_are_proven_and_not_extended():
    from pytest_goleak.judge.extension import over_slope_budgets

    budgets = {"goroutines_per_1k_requests": 5, "heap_inuse_bytes_per_1k_requests": 6144}
    rising = trend(pts([10, 510, 1010, 1510, 2010, 2510]), "count")
    heap = trend(pts([1e6, 2e6, 3e6, 4e6, 5e6, 6e6]), "bytes")
    # every new goroutine is in the goroutine leak profile: proven, a leak whatever follows
    proven = judge(budgets, {"goroutines": rising, "goroutineleak": rising, "heap_inuse_bytes": heap}, [])
    check = next(c for c in proven.checks if c.signal == "goroutines")
    assert proven.verdict == "leak" and check.exceeded and check.proven_by == "goroutineleak"
    assert "proven: 1000.0/1k of them blocked for ever" in check.detail
    assert over_slope_budgets(proven) == []  # nothing to extend for
    # none of them in it (blocked on a reachable channel: a worker pool, a queue): the extension decides
    for leak_profile in (trend(pts([0, 0, 0, 0, 0, 0]), "count"), None):
        signals = {"goroutines": rising, "heap_inuse_bytes": heap}
        if leak_profile is not None:
            signals["goroutineleak"] = leak_profile
        v = judge(budgets, signals, [])
        assert v.verdict == "leak" and all(c.proven_by is None for c in v.checks)
        assert {c.name for c in over_slope_budgets(v)} == set(budgets)
    # a few in it, the lower end of their slope under the budget: not proof enough
    few = trend(pts([0, 1, 2, 2, 3, 4]), "count")
    v = judge(budgets, {"goroutines": rising, "goroutineleak": few, "heap_inuse_bytes": heap}, [])
    assert all(c.proven_by is None for c in v.checks) and over_slope_budgets(v)
    # the proof alone is no leak: the goroutines budget itself must be over
    flat = trend(pts([10, 12, 9, 11, 10, 12]), "count")
    v = judge(budgets, {"goroutines": flat, "goroutineleak": rising}, [])
    assert all(not c.exceeded and c.proven_by is None for c in v.checks)
