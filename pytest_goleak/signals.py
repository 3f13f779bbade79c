"""The one table of signals: what is measured, in what unit, under which budgets and names.

Every other module reads this table (through the functions below, at call time): the budget
validator and its defaults, the judge, the analysis, the baseline rules' aliases, the terminal
table's columns and the HTML report's titles and snapshot columns. Adding a signal means one
row here plus the code that measures it (a :class:`~pytest_goleak.run.capture.Snapshot` field of the
same name, filled in by the capture stage).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    name: str  # the key in results.json's ``signals`` and the Snapshot field it is read from
    unit: str  # "bytes" | "count"
    title: str  # the HTML report's heading
    #: Default of the per-1k slope budget ``<name>_per_1k_requests``; None: no default (the
    #: budget is still known when ``slope_budget``), absent when not ``slope_budget``.
    slope_default: float | None = None
    slope_budget: bool = False
    cap_budget: str | None = None  # the absolute cap's name (``max_goroutines``)
    cap_default: float | None = None
    aliases: tuple[str, ...] = ()  # short names in --goleak-compare-fail rules (``heap:+20%``)
    terminal: str | None = None  # header of the terminal table's column, when it has one
    column: str | None = None  # header of the HTML snapshot table's column
    report_rank: int = 99  # order of charts and trends in the HTML report
    column_rank: int = 99  # order of the HTML snapshot table's columns
    #: How far a series that keeps nothing drifts over a measured window (its noise floor, in the
    #: signal's unit): the extension calls a trailing window rising only when it rose more than this.
    noise: float = 0.0
    #: Default of the per-minute slope budget ``<name>_per_minute`` (time as the second axis);
    #: None: no per-minute budget for this signal.
    minute_default: float | None = None

    @property
    def slope_budget_name(self) -> str | None:
        return f"{self.name}_per_1k_requests" if self.slope_budget else None

    @property
    def minute_budget_name(self) -> str | None:
        return f"{self.name}_per_minute" if self.minute_default is not None else None


#: The default budgets suit a typical HTTP service. Per 1,000 requests: a few stray goroutines or
#: fds is noise; the heap budget sits near the heap's noise floor (benchmarks/README.md, "Heap noise
#: floor": a stock service that keeps nothing drifts about 3.7 KiB per 1,000 requests over the
#: default 2,000; a full cache with churn drifted 4.6 KiB), so a bulk leak of 8 B a request is over
#: it, and the extension, not the budget,
#: tells a cache that fills from a leak (judge/extension.py). Per minute of wall time: a background loop
#: that leaks whatever the traffic (one goroutine a second is 60/minute).
SIGNALS: tuple[Signal, ...] = (
    Signal("goroutines", "count", "Goroutines", slope_budget=True, slope_default=5.0,
           cap_budget="max_goroutines", cap_default=10000.0, aliases=("goroutines",), terminal="goroutines/1k",
           column="goroutines", report_rank=0, column_rank=1, noise=2.0, minute_default=60.0),
    Signal("heap_inuse_bytes", "bytes", "Heap in use", slope_budget=True, slope_default=6 * 1024.0,
           aliases=("heap",), terminal="heap/1k", column="heap in use", report_rank=2, column_rank=2,
           noise=12 * 1024.0),
    Signal("heap_objects", "count", "Heap objects", slope_budget=True, slope_default=250.0, aliases=("objects",),
           column="heap objects", report_rank=3, column_rank=3, noise=32.0),
    Signal("rss_bytes", "bytes", "Resident set size (RSS)", slope_budget=True, cap_budget="max_rss",
           aliases=("rss",), column="RSS", report_rank=4, column_rank=5),
    Signal("fds", "count", "Open file descriptors", slope_budget=True, slope_default=5.0, aliases=("fds",),
           terminal="fds/1k", column="fds", report_rank=5, column_rank=9, noise=2.0, minute_default=60.0),
    Signal("threads", "count", "OS threads", column="threads", report_rank=6, column_rank=8),
    Signal("cgroup_memory_bytes", "bytes", "cgroup memory", column="cgroup mem", report_rank=7, column_rank=6),
    Signal("gc_live_heap_bytes", "bytes", "Live heap after GC", column="live heap", report_rank=8, column_rank=4),
    Signal("goroutineleak", "count", "Leaked goroutines (goroutineleak profile)", column="leaked goroutines",
           report_rank=1, column_rank=7),
    Signal("server_connections", "count", "Server-side connections (Redis clients, PostgreSQL backends)",
           column="server conns", report_rank=9, column_rank=10),
)


@dataclass(frozen=True)
class Budget:
    name: str
    signal: str
    kind: str  # "slope" (per 1,000 requests or per minute, see axis) | "cap" (the peak of any snapshot)
    unit: str
    default: float | None
    axis: str = "requests"  # a slope's axis: "requests" (per 1,000) | "time" (per minute of wall time)

    @property
    def is_bytes(self) -> bool:
        return self.unit == "bytes"


def by_name() -> dict[str, Signal]:
    return {s.name: s for s in SIGNALS}


def get(name: str) -> Signal | None:
    return by_name().get(name)


def units() -> dict[str, str]:
    """signal name -> unit, in the table's order (the order of results.json's ``signals``)."""
    return {s.name: s.unit for s in SIGNALS}


def budgets() -> dict[str, Budget]:
    """Every known budget: the per-1k slopes in the table's order, then the absolute caps."""
    out = {}
    for s in SIGNALS:
        if s.slope_budget_name:
            out[s.slope_budget_name] = Budget(s.slope_budget_name, s.name, "slope", s.unit, s.slope_default)
    for s in SIGNALS:
        if s.minute_budget_name:
            out[s.minute_budget_name] = Budget(s.minute_budget_name, s.name, "slope", s.unit, s.minute_default, "time")
    for s in SIGNALS:
        if s.cap_budget:
            out[s.cap_budget] = Budget(s.cap_budget, s.name, "cap", s.unit, s.cap_default)
    return out


def default_budgets() -> dict[str, float]:
    """The budgets every scenario is judged against unless it says otherwise."""
    return {b.name: b.default for b in budgets().values() if b.default is not None}


def aliases() -> dict[str, str]:
    """Short name in a compare-fail rule -> signal name."""
    return {a: s.name for s in SIGNALS for a in s.aliases}


def titles() -> dict[str, str]:
    """signal name -> title, in the HTML report's order."""
    return {s.name: s.title for s in sorted(SIGNALS, key=lambda s: s.report_rank)}


def terminal_columns() -> list[tuple[str, str, bool]]:
    """(signal, header, is_bytes) for the terminal table's growth columns."""
    return [(s.name, s.terminal, s.unit == "bytes") for s in SIGNALS if s.terminal]


def snapshot_columns() -> list[tuple[str, str, str]]:
    """(snapshot field, unit, header) of the signals in the HTML snapshot table."""
    return [(s.name, s.unit, s.column) for s in sorted(SIGNALS, key=lambda s: s.column_rank) if s.column]
