"""Filling is not leaking: the extension's decision on whole series (pure)."""

from __future__ import annotations

from dataclasses import replace

from pytest_goleak.judge.analysis import trends
from pytest_goleak.judge.extension import axis_points, decide, filled_at, over_slope_budgets, plateau_reached
from pytest_goleak.judge.verdict import judge
from pytest_goleak.run.capture import Snapshot

BUDGETS = {"heap_inuse_bytes_per_1k_requests": 64 * 1024.0, "goroutines_per_1k_requests": 5.0}
STEP = 400  # requests between snapshots, as a 2,000-request run with 6 snapshots has


def series(fn, n):
    """Snapshots at 200 + STEP*i requests, heap from fn(requests), a flat goroutine count."""
    return [Snapshot(index=i, t=float(i), requests=200 + STEP * i, heap_inuse_bytes=float(fn(200 + STEP * i)),
                     goroutines=10, phase="main" if i < 6 else "extension") for i in range(n)]


def leak(r):  # 512 B per request, without end
    return 1e6 + 512 * r


def cache(cap):  # 512 B per request until `cap` requests, then flat
    return lambda r: 1e6 + 512 * min(r, cap)


def pre_verdict(snaps):
    main = [s for s in snaps if s.phase == "main"]
    return judge(BUDGETS, trends(main), snaps)


def test_a_slope_over_budget_asks_for_the_extension():
    snaps = series(leak, 6)
    over = over_slope_budgets(pre_verdict(snaps))
    assert [c.name for c in over] == ["heap_inuse_bytes_per_1k_requests"]


def test_a_crossed_cap_or_an_oom_needs_no_extension():
    snaps = series(leak, 6)
    snaps = [replace(s, goroutines=20000) for s in snaps]
    v = judge({**BUDGETS, "max_goroutines": 10000.0}, trends(snaps), snaps)
    assert over_slope_budgets(v) == []
    oom = judge(BUDGETS, trends(snaps), snaps, oom="OOM-killed at 32MiB")
    assert over_slope_budgets(oom) == []


def test_clean_run_asks_for_nothing():
    assert over_slope_budgets(pre_verdict(series(lambda r: 1e6, 6))) == []


def test_leak_keeps_its_pace_to_the_bound():
    snaps = series(leak, 21)
    over = over_slope_budgets(pre_verdict(snaps[:6]))
    assert not plateau_reached(over, snaps, 6)
    d = decide(pre_verdict(snaps), snaps, 6)
    assert d.verdict.verdict == "leak" and d.plateaus == ()
    assert "kept its pace" in d.notes[0]


def test_cache_that_fills_in_the_extension_is_a_plateau_with_its_fill_point():
    snaps = series(cache(4000), 21)  # fills at 4,000 requests, after the 2,200 of the main run
    v = pre_verdict(snaps)
    assert v.verdict == "leak"  # over budget in the measured window
    # The runner stops once the trailing window is flat: find where that happens.
    stop = next(n for n in range(7, 22) if plateau_reached(over_slope_budgets(v), snaps[:n], 6))
    assert snaps[stop - 1].requests > 4000
    d = decide(v, snaps[:stop], 6)
    assert d.verdict.verdict == "clean" and d.plateaus == ("heap_inuse_bytes_per_1k_requests",)
    check = next(c for c in d.verdict.checks if c.name == "heap_inuse_bytes_per_1k_requests")
    assert not check.exceeded and 3500 <= check.plateau_at_requests <= 4200
    assert "filled at about" in d.notes[0] and "then flat" in d.notes[0]


def test_noise_on_a_plateau_does_not_read_as_growth():
    wobble = [0, 3000, -2000, 1500, -500, 2500, -1500, 1000]
    snaps = series(cache(2000), 16)
    snaps = [replace(s, heap_inuse_bytes=(s.heap_inuse_bytes or 0.0) + wobble[i % len(wobble)])
             for i, s in enumerate(snaps)]
    d = decide(pre_verdict(snaps), snaps, 6)
    assert d.verdict.verdict == "clean", d.notes


def test_a_noisy_plateau_steep_only_by_chance_is_not_growth():
    """A trailing slope over the budget that is not a significant rise (Mann-Kendall) is noise."""
    snaps = series(cache(2000), 12)
    for i, bump in enumerate([0, 270000, -90000, 360000, 60000, 180000], start=6):
        snaps[i] = replace(snaps[i], heap_inuse_bytes=(snaps[i].heap_inuse_bytes or 0.0) + bump)
    d = decide(pre_verdict(snaps), snaps, 6)
    assert d.verdict.verdict == "clean", d.notes


def test_cache_larger_than_the_bound_looks_like_a_leak():
    """What the extension cannot tell apart, as the README says."""
    snaps = series(cache(10 ** 6), 21)
    assert decide(pre_verdict(snaps), snaps, 6).verdict.verdict == "leak"


def test_filled_at():
    pts = [(float(200 + STEP * i), float(cache(3000)(200 + STEP * i))) for i in range(16)]
    assert filled_at(pts, 6) in (2600.0, 3000.0)
    assert filled_at([(0.0, 5.0), (1.0, 5.0)], 6) == 0.0


def staircase(r):
    """A slice of 128-byte records appended to for good: the live heap is its capacity, which
    grows 1.25x at a time, so the series is flat between reallocations."""
    cap = 256
    while cap < r:
        cap += (cap + 3 * 256) // 4
    return 1e6 + 128 * cap


def test_a_leak_that_grows_in_steps_is_not_a_plateau():
    snaps = series(staircase, 21)
    v = pre_verdict(snaps)
    over = over_slope_budgets(v)
    assert over, "the measured window must be over budget for the extension to run"
    stopped = [n for n in range(7, 22) if plateau_reached(over, snaps[:n], 6)]
    assert stopped == [], f"a pause between two steps read as a plateau at snapshot {stopped[:1]}"
    assert decide(v, snaps, 6).verdict.verdict == "leak"


def test_a_real_stepped_leak_whose_steps_drift_down_is_not_a_plateau():
    """corpora/userstyle audit_log in a full-suite run: one ~200 KiB step in the window, and the
    values on either side drift down a little as garbage goes; Mann-Kendall gave p = 0.5."""
    kib = [262, 336, 407, 460, 547, 547, 678, 670, 803, 803, 802, 963, 967, 963, 1174, 1167, 1163, 1163]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=k * 1024.0, goroutines=10,
                      phase="main" if i < 6 else "extension") for i, k in enumerate(kib)]
    v = pre_verdict(snaps)
    over = over_slope_budgets(v)
    assert over and not plateau_reached(over, snaps, 6)
    assert decide(v, snaps, 6).verdict.verdict == "leak"


def test_step_rate():
    from pytest_goleak.judge.extension import step_rate

    flat_noise = [(float(x), 1e6 + (7000 if i % 2 else -7000)) for i, x in enumerate(range(0, 2400, 400))]
    assert step_rate(flat_noise) == 0.0  # no clean split
    step = [(0.0, 10.0), (400.0, 9.0), (800.0, 50.0), (1200.0, 49.0), (1600.0, 48.0), (2000.0, 48.0)]
    assert step_rate(step) == (48.0 - 10.0) / 2.0


# --- small leaks near the noise floor (issue 21) and when to stop early (issue 20) ---------------

DEFAULTS = {"heap_inuse_bytes_per_1k_requests": 6 * 1024.0, "goroutines_per_1k_requests": 5.0}
WOBBLE = [0, 2500, -2000, 1500, -3000, 2000, -1000, 3000, -2500, 500, -1500, 1000]


def noisy(fn):
    """fn plus the heap noise a stock service shows: a few KiB either way (the real
    latency_samples_leaky series fell by at most 5 KiB between two snapshots)."""
    return lambda r: fn(r) + WOBBLE[(r // STEP) % len(WOBBLE)]


def slice_of(bytes_per_request):
    """A slice that grows by bytes_per_request a request, 1.25x at a time: its capacity is live."""
    def heap(r):
        cap = 256
        while cap < r:
            cap += (cap + 3 * 256) // 4
        return 300 * 1024.0 + bytes_per_request * cap
    return heap


def judged(snaps, budgets=DEFAULTS):
    main = [s for s in snaps if s.phase == "main"]
    v = judge(budgets, trends(main), snaps)
    return v, over_slope_budgets(v)


def runner_loop(snaps, budgets=DEFAULTS, bound=21, window=6):
    """drive.Driver._extend on a whole series: where it stops and the decision there. Its bound is
    ``bound`` snapshots; undecided there, twice as many requests."""
    from pytest_goleak.judge.extension import UNDECIDED_FACTOR, conclusive, decisive

    v, over = judged(snaps[:window], budgets)
    if not over:
        return "no extension", window, decide(v, snaps[:window], window)
    cap = 1 + int(UNDECIDED_FACTOR * (bound - 1))
    for k in range(window + 1, min(cap, len(snaps)) + 1):
        if decisive(over, snaps[:k], window):
            return "decisive", k, decide(judged(snaps[:k], budgets)[0], snaps[:k], window)
        if plateau_reached(over, snaps[:k], window):
            return "plateau", k, decide(judged(snaps[:k], budgets)[0], snaps[:k], window)
        if k == bound and conclusive(over, snaps[:k], window):
            break
    return "bound", k, decide(judged(snaps[:k], budgets)[0], snaps[:k], window)


def run_extension(fn, budgets=DEFAULTS, n=21):
    """The runner's loop on a synthetic series of ``fn``, with its bound at ``n`` snapshots."""
    from pytest_goleak.judge.extension import UNDECIDED_FACTOR

    return runner_loop(series(fn, 1 + int(UNDECIDED_FACTOR * (n - 1))), budgets, bound=n)


def test_a_bulk_leak_of_8_bytes_a_request_is_a_leak_at_defaults():
    stopped, _, d = run_extension(noisy(slice_of(8)))
    assert stopped == "bound" and d.verdict.verdict == "leak", d.notes


def test_a_filling_cache_of_the_same_size_is_a_plateau():
    for cap in (1500, 4000):  # full in the measured window; full in the extension
        stopped, _, d = run_extension(noisy(lambda r, cap=cap: slice_of(8)(min(r, cap))))
        assert d.verdict.verdict == "clean", (cap, stopped, d.notes)


def test_noise_at_the_floor_is_not_a_leak():
    stopped, _, d = run_extension(noisy(lambda r: 300 * 1024.0))
    assert d.verdict.verdict == "clean", (stopped, d.notes)


def test_a_map_that_doubles_is_not_a_plateau_in_the_gap_between_two_doublings():
    """A map's tables all split at once: its heap is flat from one doubling to the next."""
    def doubling(r):
        size = 1024
        while size * 7 // 8 < r:
            size *= 2
        return 300 * 1024.0 + 16 * size
    stopped, _, d = run_extension(noisy(doubling))
    assert stopped != "plateau" and d.verdict.verdict == "leak", (stopped, d.notes)


def test_a_big_leak_stops_early_and_a_big_cache_filling_late_never_does():
    stopped, k, d = run_extension(leak)  # 512 KiB per 1k: 128 times the budget
    assert (stopped, d.verdict.verdict) == ("decisive", "leak") and k < 21
    stopped, _, d = run_extension(cache(5000))  # the same pace until 5,000 requests
    assert stopped in ("plateau", "bound") and d.verdict.verdict == "clean", (stopped, d.notes)


def test_the_extension_stops_near_the_memory_or_pids_limit():
    from pytest_goleak.judge.extension import near_limit

    mib = 1024 * 1024
    assert near_limit(Snapshot(0, 0.0, 0, cgroup_memory_bytes=200.0 * mib), 256 * mib, 512) == "memory"
    assert near_limit(Snapshot(0, 0.0, 0, rss_bytes=200.0 * mib), 256 * mib, 512) == "memory"
    assert near_limit(Snapshot(0, 0.0, 0, rss_bytes=100.0 * mib, threads=400.0), 256 * mib, 512) == "pids"
    assert near_limit(Snapshot(0, 0.0, 0, rss_bytes=100.0 * mib, threads=40.0), 256 * mib, 512) is None


def test_a_pool_that_swings_is_judged_against_its_own_noise():
    """corpora/userstyle pooled_buffers: a sync.Pool keeps a varying number of big buffers across GCs,
    so the live heap swings by hundreds of KiB; a rise by chance over the trailing window smaller than
    what the series itself falls by is noise, even at a budget near the floor."""
    kib = [900, 1000, 1090, 1150, 1240, 1300, 1050, 1100, 980, 1150, 1100, 1050, 1120, 1150, 1180, 1200]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=k * 1024.0, goroutines=10,
                      phase="main" if i < 6 else "extension") for i, k in enumerate(kib)]
    v, over = judged(snaps[:6])
    assert over  # a significant rise in the measured window, over 6 KiB per 1k
    assert decide(judged(snaps)[0], snaps, 6).verdict.verdict == "clean"
    # The same trailing rise without the falls before it is a leak.
    steady = [replace(s, heap_inuse_bytes=1024.0 * (900 + 30 * i)) for i, s in enumerate(snaps)]
    assert decide(judged(steady)[0], steady, 6).verdict.verdict == "leak"


def test_a_stepped_small_leak_whose_measured_window_reads_as_a_plateau_is_extended():
    """latency_samples_leaky in a suite run: one 1.25x step inside the measured window and a flat
    top read as a plateau there ([290, 292, 295, 313, 316, 310] KiB); the extension decides."""
    kib = [290, 292, 295, 313, 316, 310, 318, 317, 330, 331, 329, 352, 351, 350, 372, 371, 370, 369, 398, 397, 396]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=k * 1024.0, goroutines=10,
                      phase="main" if i < 6 else "extension") for i, k in enumerate(kib)]
    v, over = judged(snaps[:6])
    assert v.verdict == "clean" and [c.name for c in over] == ["heap_inuse_bytes_per_1k_requests"]
    d = decide(judged(snaps)[0], snaps, 6)
    assert d.verdict.verdict == "leak", d.notes


def test_a_full_cache_with_churn_that_drifts_a_little_is_not_a_leak():
    """cache_late_fixed in a suite run: full at 5,000 requests, then 12 KiB of drift over 2,800."""
    kib = [397, 667, 911, 1129, 1419, 1675, 1898, 2095, 2310, 2729, 2929, 3136, 3341, 3341, 3342, 3342, 3343, 3352,
           3352, 3353, 3353]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=k * 1024.0, goroutines=10,
                      phase="main" if i < 6 else "extension") for i, k in enumerate(kib)]
    assert decide(judged(snaps)[0], snaps, 6).verdict.verdict == "clean"


def test_a_full_cache_that_rehashes_once_after_its_fill_is_not_a_leak():
    """cache_late_fixed in a suite run: full at 5,000 requests, then one 15 KiB step (its map
    rehashing the churn) and flat: 7.5 KiB/1k over the trailing window, over the 6 KiB budget,
    but a hundredth of the fill's pace. The same late rise at the measured window's pace is a leak."""
    b = [402304, 686808, 934720, 1167776, 1424616, 1705304, 1938984, 2157656, 2370696, 2813272, 3012504, 3235688,
         3434072, 3433440, 3434440, 3436952, 3452008, 3451880, 3453304, 3453544, 3453752]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=float(v), goroutines=10,
                      phase="main" if i < 6 else "extension") for i, v in enumerate(b)]
    d = decide(judged(snaps)[0], snaps, 6)
    assert d.verdict.verdict == "clean" and "its tail" in " ".join(d.notes), d.notes
    late = [b[0] + 7.5 * 1024 * 0.4 * i for i in range(len(b))]  # 7.5 KiB/1k from the start: a leak
    steady = [replace(s, heap_inuse_bytes=v) for s, v in zip(snaps, late, strict=True)]
    assert decide(judged(steady)[0], steady, 6).verdict.verdict == "leak"



def test_a_set_leak_is_not_a_plateau_before_its_next_doubling():
    """request_ids_leaky in a make test run (heap in bytes): its set doubled at 1,792 ids and is flat
    until the next doubling at 3,584. Counting the fill from the first snapshot, the extension read
    the gap as flat for as long as the fill had taken and stopped at 3,400 requests: clean. Ids
    count from the service's start, so the flat stretch must outlast the requests before the fill."""
    heap = [290760, 305552, 324648, 341080, 359848, 364504, 364984, 364584, 366600]
    snaps = [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=float(h), goroutines=10,
                      phase="main" if i < 6 else "extension") for i, h in enumerate(heap)]
    v, over = judged(snaps[:6])
    assert [c.name for c in over] == ["heap_inuse_bytes_per_1k_requests"]
    assert not plateau_reached(over, snaps, 6)
    # Flat on past twice the requests it took to fill, it is a plateau.
    longer = snaps + [Snapshot(index=i, t=float(i), requests=200 + 400 * i, heap_inuse_bytes=366000.0,
                               goroutines=10, phase="extension") for i in range(9, 12)]
    assert plateau_reached(over, longer, 6)


def pool_series(kib, step=200):
    return [Snapshot(index=i, t=float(i), requests=200 + step * i, heap_inuse_bytes=k * 1024.0, goroutines=10,
                     phase="main" if i < 6 else "extension") for i, k in enumerate(kib)]


# redis_client_fixed (1,000 requests after 200 of warm-up, 6 snapshots): go-redis's pool opens a
# connection (64 KiB of buffers) whenever more Publishes than ever before run at once. Its first
# 1,400 requests are a real run's; in CI (Go 1.27) one more connection came at about 3,000
# requests, and the extension called the run a decisive leak at 3,400 (p = 0.03, one step).
POOL_KIB = [790, 807, 811, 800, 874, 895, 949, 957, 943, 939, 943, 947, 950, 942, 1005, 1008, 1012]
WOBBLE_KIB = [3, -5, 2, -1, 6, -4, 0, 4, -6, 1, 5, -3]


def test_a_pool_that_opens_one_more_connection_late_is_not_decisive_and_more_load_finds_it_full():
    from pytest_goleak.judge.extension import _late, decisive, noise_of, still_over, strongly_over

    snaps = pool_series(POOL_KIB)
    _, over = judged(snaps[:6])
    c = over[0]
    points = axis_points(snaps, c)
    late = _late(points, 6)
    assert still_over(c, late, noise_of(c, points)) and not strongly_over(c, late, noise_of(c, points))
    assert not decisive(over, snaps, 6)
    full = pool_series(POOL_KIB + [1010 + WOBBLE_KIB[i % 12] for i in range(24)])
    stopped, k, d = runner_loop(full)
    assert d.verdict.verdict == "clean" and stopped == "plateau" and full[k - 1].requests > 4200, (stopped, k, d.notes)


def test_a_pool_that_keeps_opening_connections_is_a_leak():
    """The same steps, one every 600 requests without end: a connection leak, whatever the step size."""
    kib = POOL_KIB + [1012 + 64 * ((i + 1) // 3) + WOBBLE_KIB[i % 12] for i in range(24)]
    stopped, _, d = runner_loop(pool_series(kib))
    assert d.verdict.verdict == "leak", (stopped, d.notes)


# redis_client_fixed on Go 1.27 (this machine, 1,000 requests measured): a drift of time.NewTimer's
# zombies from go-redis's health checks and one more pool connection (+64 KiB) at 3,200 requests.
# Its heap fills to about 6,000 requests and then falls (16,000 requests: benchmarks/README.md).
DRIFT_STEP_BYTES = [828072, 836936, 841552, 848728, 859960, 864792, 864912, 870496, 884848, 877736, 881024,
                    881240, 881176, 882528, 889552, 953424, 951168, 957760, 956376, 961336, 966512]


def test_a_rise_that_is_mostly_one_step_or_slower_than_the_measured_pace_is_undecided_at_the_bound():
    from pytest_goleak.judge.extension import _late, conclusive, noise_of, strongly_over

    snaps = pool_series([b / 1024 for b in DRIFT_STEP_BYTES])
    _, over = judged(snaps[:6])
    c = over[0]
    points = axis_points(snaps, c)
    late = _late(points, 6)
    assert strongly_over(c, late, noise_of(c, points))  # p = 0.002: the old rule called it a leak here
    assert late.step_per_1k > late.slope_per_1k  # but the 64 KiB step is most of the rise
    assert not conclusive(over, snaps, 6)
    # The same window at a steady pace, no step: a leak that kept its pace is conclusive.
    kib = [b / 1024 for b in DRIFT_STEP_BYTES[:6]]
    steady = pool_series(kib + [kib[-1] + 7.0 * (i + 1) + WOBBLE_KIB[i % 12] / 4 for i in range(15)])
    assert conclusive(judged(steady[:6])[1], steady, 6)
    # A pace that fell to under half the measured window's is a fill slowing down: undecided.
    slowing = pool_series(kib + [kib[-1] + 2.2 * (i + 1) + WOBBLE_KIB[i % 12] / 8 for i in range(15)])
    _, over = judged(slowing[:6])
    pts = axis_points(slowing, over[0])
    assert strongly_over(over[0], _late(pts, 6), noise_of(over[0], pts)) and not conclusive(over, slowing, 6)


# redis_client_fixed at the default load (2,000 requests, snapshots 400 apart), Go 1.27: flat from
# 2,200 to 5,400 requests, then one more pool connection at 5,800.
LATE_STEP_BYTES = [712736, 806520, 809144, 796888, 819800, 830440, 889336, 886880, 889424, 892896, 891312,
                   893808, 894920, 901424, 981344, 984464]


def test_a_late_step_is_not_a_decisive_leak():
    from pytest_goleak.judge.extension import decisive, one_step

    snaps = pool_series([b / 1024 for b in LATE_STEP_BYTES], step=400)
    _, over = judged(snaps[:6])
    assert over and not decisive(over, snaps, 6)  # was decisive at 6,200 requests (p = 0.004)
    late = _trend(snaps[-6:], over[0])
    assert late.p_value < 0.01 and one_step(late)
    # A steady rise at that pace, a little at every snapshot, still is.
    kib = [b / 1024 for b in LATE_STEP_BYTES[:6]]
    steady = pool_series(kib + [kib[-1] + 20.0 * (i + 1) for i in range(10)], step=400)
    assert decisive(judged(steady[:6])[1], steady, 6)


def _trend(snaps, check):
    from pytest_goleak.judge.extension import _trend_of

    return _trend_of(axis_points(snaps, check))
