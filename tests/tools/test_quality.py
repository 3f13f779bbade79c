"""The project's own hygiene, as part of the test run CI makes: lint, types, gofmt, tidy modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/go.mod"))
USERSTYLE = sorted(p.parent for p in (REPO / "corpora" / "userstyle").glob("*/go.mod"))
GO_MODULES = [REPO / "go_fixtures", REPO / "pytest_goleak" / "loadgen", *EXAMPLES, *USERSTYLE]
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path = REPO, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def test_ruff_is_clean():
    done = run([str(BIN / "ruff"), "check", "pytest_goleak", "tests", "scripts", "benchmarks"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean():
    done = run([str(BIN / "mypy"), "pytest_goleak"])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("module", GO_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_go_sources_are_gofmt_clean(module, go_toolchain):
    gofmt = Path(go_toolchain).with_name("gofmt")
    done = run([str(gofmt), "-l", "."], cwd=module)
    assert done.returncode == 0 and done.stdout == "", f"not gofmt-clean:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("module", GO_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_go_modules_are_tidy(module, go_toolchain):
    done = run([go_toolchain, "mod", "tidy", "-diff"], cwd=module)
    assert done.returncode == 0, f"`go mod tidy` would change {module}:\n{done.stdout}{done.stderr}"
