"""The Go fixtures build, fixed twins pass `go vet`, and each twin pair is shaped alike."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "go_fixtures"
GO = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if os.access(p, os.X_OK)), None)
PATTERNS = sorted(p.parent.parent.name for p in FIXTURES.glob("*/leaky/main.go"))
SINGLES = sorted(p.parent.name for p in FIXTURES.glob("*/main.go"))

needs_go = pytest.mark.skipif(GO is None, reason="no Go toolchain")


def _go(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    assert GO is not None
    env = dict(os.environ, GOFLAGS="-buildvcs=false", CGO_ENABLED="0")
    return subprocess.run([GO, *args], cwd=FIXTURES, capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


def test_every_pattern_has_both_twins_and_an_opening_comment() -> None:
    assert len(PATTERNS) >= 7, PATTERNS
    for pattern in PATTERNS:
        for variant in ("leaky", "fixed"):
            source = (FIXTURES / pattern / variant / "main.go").read_text()
            assert source.startswith("// "), f"{pattern}/{variant} must open with a comment"
        assert "Leak:" in (FIXTURES / pattern / "leaky" / "main.go").read_text().split("package")[0]


def _shipped() -> dict:
    from pytest_goleak.scenario.parse import load_scenario

    return {p.stem: load_scenario(p) for p in (ROOT / "scenarios").glob("*.yaml")}


def test_every_leaky_and_calibration_fixture_has_a_scenario() -> None:
    """Each twin of a pattern is run by a scenario (one pattern may serve several scenario pairs,
    as session_cache does with two capacities), and each single calibration fixture too."""
    used = {s.fixture.relative_to(FIXTURES).as_posix() for s in _shipped().values() if s.fixture}
    for pattern in PATTERNS:
        assert {f"{pattern}/leaky", f"{pattern}/fixed"} <= used, pattern
    for single in SINGLES:
        assert single in used


@needs_go
def test_go_build_all() -> None:
    done = _go("build", "./...")
    assert done.returncode == 0, done.stderr


@needs_go
def test_go_vet_is_clean_on_fixed_twins_and_calibration_fixtures() -> None:
    packages = [f"./{p}/fixed" for p in PATTERNS] + [f"./{s}" for s in SINGLES] + ["./internal/..."]
    done = _go("vet", *packages)
    assert done.returncode == 0, done.stderr


@needs_go
def test_go_vet_reports_the_lost_cancel() -> None:
    """Of the leaks here only context_cancel is visible to vet (lostcancel); see the report."""
    done = _go("vet", "./context_cancel/leaky")
    assert done.returncode != 0
    assert "the cancel function is not used on all paths" in done.stderr


@needs_go
def test_gofmt_clean() -> None:
    gofmt = Path(GO).with_name("gofmt")  # type: ignore[arg-type]
    done = subprocess.run([str(gofmt), "-l", "."], cwd=FIXTURES, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_shipped_scenarios_run_at_default_budgets_and_twins_share_their_load() -> None:
    """Users get the defaults, so the suite is judged at them; a twin is judged on its leak's load."""
    shipped = _shipped()
    assert all(not s.budgets for s in shipped.values()), [n for n, s in shipped.items() if s.budgets]
    pairs = [n.removesuffix("_leaky") for n in shipped if n.endswith("_leaky")]
    assert len(pairs) >= len(PATTERNS)
    for name in pairs:
        leaky, fixed = shipped[f"{name}_leaky"], shipped[f"{name}_fixed"]
        assert leaky.fixture is not None and fixed.fixture is not None
        assert (leaky.fixture.name, fixed.fixture.name, leaky.fixture.parent) == \
            ("leaky", "fixed", fixed.fixture.parent), name  # twins of one pattern
        assert (fixed.load, fixed.setup, fixed.snapshots, fixed.limits, fixed.services, fixed.env) == \
            (leaky.load, leaky.setup, leaky.snapshots, leaky.limits, leaky.services, leaky.env), name
