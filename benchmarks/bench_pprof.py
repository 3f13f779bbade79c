"""Benchmark the pprof engine. Results and how to read them: benchmarks/README.md, "pprof engine".

    PATH=$PATH:/usr/local/go/bin .venv/bin/python benchmarks/bench_pprof.py [--runs N] [--skip-go]

1. in-process: parse + aggregate (top, all four heap sample indexes) + diff (subtract, growth)
   on the two committed real heap profiles of global_map/leaky;
2. in-process: the same on a synthetic ~50 MB (uncompressed) heap profile and a base derived
   from it, generated deterministically (seeded) into a cache directory, never committed;
3. whole processes, interleaved in one run: ``goleak top --base`` against
   ``go tool pprof -top -base`` on the real pair, and on the synthetic pair.

Reports medians (and min/max) over N runs and the goleak/pprof ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pytest_goleak.pprof import Frame, Location, Mapping, Profile, Sample, diff, encode, load, parse  # noqa: E402
from pytest_goleak.pprof.aggregate import top  # noqa: E402

DATA = REPO / "tests" / "data" / "profiles"
REAL_BASE = DATA / "global_map_leaky.base.heap.pb.gz"
REAL_NEW = DATA / "global_map_leaky.new.heap.pb.gz"
CACHE = Path(os.environ.get("GOLEAK_BENCH_CACHE", Path(tempfile.gettempdir()) / "goleak-bench"))
HEAP_TYPES = (("alloc_objects", "count"), ("alloc_space", "bytes"),
              ("inuse_objects", "count"), ("inuse_space", "bytes"))


# --- synthetic profile ----------------------------------------------------------------------------

def synthetic(target_bytes: int = 50_000_000, seed: int = 20260101, shrink: float = 1.0) -> Profile:
    """A heap-shaped profile of about target_bytes uncompressed, shaped like a big Go service:
    a call tree of 24,000 locations over 4,000 functions (a fifth of the locations carry
    inlined frames), 20,000 distinct stacks 12-60 deep that share prefixes as real stacks do,
    and as many samples as it takes to reach the size, each with a ``bytes`` label like Go's
    (same stack, different object sizes). ``shrink`` < 1 scales the in-use values down, to
    derive a "base" that shares every stack."""
    rnd = random.Random(seed)
    mapping = Mapping(0x400000, 0x4000000, 0, "/app/synthetic", "0123456789abcdef")
    funcs = [Frame(f"example.com/svc/pkg{i % 97}.F{i}", f"example.com/svc/pkg{i % 97}/f{i % 300}.go", 0)
             for i in range(4000)]
    locs = []
    for i in range(24000):
        depth = 1 + (rnd.random() < 0.2) * rnd.randint(1, 2)
        frames = tuple(Frame(f.function, f.file, rnd.randint(1, 900)) for f in rnd.sample(funcs, depth))
        locs.append(Location(i + 1, 0x400000 + 16 * i, mapping, frames))
    # Grow root->leaf paths by extending a random earlier path: that makes a call tree.
    paths: list[tuple[Location, ...]] = [tuple(rnd.sample(locs, 8)) for _ in range(50)]
    while len(paths) < 20000:
        parent = rnd.choice(paths)
        paths.append(parent[:rnd.randint(4, len(parent))] + tuple(rnd.sample(locs, rnd.randint(1, 6))))
    stacks = [tuple(reversed(p)) for p in paths if len(p) >= 12] or [tuple(reversed(paths[0]))]
    samples = []
    size = 0
    while size < target_bytes:
        stack = rnd.choice(stacks)
        n = rnd.randint(1, 50)
        obj = rnd.choice((16, 32, 64, 128, 1024, 4096))
        live = int(rnd.randint(0, n) * shrink)
        samples.append(Sample((n, n * obj, live, live * obj), stack, (("bytes", obj, ""),)))
        size += 2 * len(stack) + 20  # about the encoded size of the sample
    return Profile(HEAP_TYPES, tuple(samples), (mapping,), ("space", "bytes"), 524288,
                   time_nanos=1_700_000_000_000_000_000)


def synthetic_files() -> tuple[Path, Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    new, base = CACHE / "synthetic-50MB.new.pb.gz", CACHE / "synthetic-50MB.base.pb.gz"
    if not new.exists() or not base.exists():
        print(f"generating synthetic profiles in {CACHE} (once) ...", file=sys.stderr)
        new.write_bytes(encode(synthetic()))
        base.write_bytes(encode(synthetic(shrink=0.6)))
    return new, base


# --- timing ---------------------------------------------------------------------------------------

def measure(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1000:8.1f} ms  (min {min(times) * 1000:.1f}, "
            f"max {max(times) * 1000:.1f}, n={len(times)})")


def engine_pipeline(new_path: Path, base_path: Path) -> Callable[[], object]:
    new_bytes, base_bytes = new_path.read_bytes(), base_path.read_bytes()

    def run() -> object:
        new, base = parse(new_bytes), parse(base_bytes)
        for i in range(len(new.sample_types)):
            top(new, i)
        d = diff.subtract(new, base)
        top(d, d.index_of("inuse_space"))
        return diff.growth(base, new)
    return run


def stages(new_path: Path, base_path: Path, runs: int) -> None:
    new_bytes, base_bytes = new_path.read_bytes(), base_path.read_bytes()
    new, base = parse(new_bytes), parse(base_bytes)
    idx = new.index_of("inuse_space")
    print(f"  parse(new)           {summary(measure(lambda: parse(new_bytes), runs))}")
    print(f"  top(new, inuse)      {summary(measure(lambda: top(new, idx), runs))}")
    print(f"  subtract(new, base)  {summary(measure(lambda: diff.subtract(new, base), runs))}")
    print(f"  growth(base, new)    {summary(measure(lambda: diff.growth(base, new), runs))}")
    print(f"  parse+top (one file) {summary(measure(lambda: top(parse(new_bytes), idx), runs))}")


def processes(new_path: Path, base_path: Path, runs: int, with_go: bool) -> None:
    """goleak top --base vs go tool pprof -top -base, alternating so drift hits both alike."""
    goleak = [sys.executable, "-m", "pytest_goleak.cli", "top", "--base", str(base_path), str(new_path)]
    pprof = ["go", "tool", "pprof", "-top", f"-base={base_path}", str(new_path)]
    env = dict(os.environ, PPROF_BINARY_PATH="/nonexistent", PYTHONPATH=str(REPO))
    t_goleak: list[float] = []
    t_pprof: list[float] = []
    for _ in range(runs):
        t_goleak += measure(lambda: subprocess.run(goleak, env=env, check=True, capture_output=True), 1)
        if with_go:
            t_pprof += measure(lambda: subprocess.run(pprof, env=env, check=True, capture_output=True), 1)
    print(f"  goleak top --base        {summary(t_goleak)}")
    if with_go:
        print(f"  go tool pprof -top -base {summary(t_pprof)}")
        ratio = statistics.median(t_goleak) / statistics.median(t_pprof)
        print(f"  ratio goleak/pprof (medians) = {ratio:.2f}  (target <= 1.0)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--big-runs", type=int, default=3)
    ap.add_argument("--skip-go", action="store_true", help="do not run go tool pprof")
    args = ap.parse_args()
    with_go = not args.skip_go and shutil.which("go") is not None
    if with_go:  # build and cache cmd/pprof before timing it
        subprocess.run(["go", "tool", "pprof", "-h"], capture_output=True, check=False)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")

    print(f"\n[real] {REAL_NEW.name} ({REAL_NEW.stat().st_size} B) vs {REAL_BASE.name}")
    print(f"  full pipeline        {summary(measure(engine_pipeline(REAL_NEW, REAL_BASE), args.runs))}")
    stages(REAL_NEW, REAL_BASE, args.runs)
    processes(REAL_NEW, REAL_BASE, args.runs, with_go)

    new, base = synthetic_files()
    raw_size = len(parse_size(new))
    print(f"\n[synthetic] {new.name}: {new.stat().st_size / 1e6:.1f} MB gzipped, "
          f"{raw_size / 1e6:.1f} MB raw, {len(load(new).samples)} samples")
    stages(new, base, args.big_runs)
    processes(new, base, args.big_runs, with_go)
    return 0


def parse_size(path: Path) -> bytes:
    import gzip
    return gzip.decompress(path.read_bytes())


if __name__ == "__main__":
    sys.exit(main())
