"""The user-style services stay what a stranger would write: standard library only, own module,
a scenario of only fixture, expect and load.path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpora" / "userstyle"
SERVICES = sorted(p.parent for p in CORPUS.glob("*/go.mod"))
GO = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if os.access(p, os.X_OK)), None)


def test_every_service_has_a_module_and_a_scenario() -> None:
    assert len(SERVICES) >= 10
    for svc in SERVICES:
        assert (svc / "go.mod").read_text().splitlines()[:3] == [f"module example.com/{svc.name}", "", "go 1.26"]
        assert not (svc / "go.sum").exists(), svc.name  # nothing to sum: no dependencies
        assert (svc / f"{svc.name}.goleak.yaml").is_file(), svc.name


@pytest.mark.parametrize("svc", SERVICES, ids=lambda p: p.name)
def test_scenario_has_only_fixture_expect_and_load_path(svc: Path) -> None:
    data = yaml.safe_load((svc / f"{svc.name}.goleak.yaml").read_text())
    assert set(data) == {"fixture", "expect", "load"}
    assert data["fixture"] == "." and data["expect"] in ("leak", "clean")
    assert set(data["load"]) == {"path"} and data["load"]["path"].startswith("/")


@pytest.mark.skipif(GO is None, reason="no Go toolchain")
@pytest.mark.parametrize("svc", SERVICES, ids=lambda p: p.name)
def test_service_imports_only_the_standard_library(svc: Path) -> None:
    assert GO is not None
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOWORK="off")
    done = subprocess.run([GO, "list", "-json", "-deps", "."], cwd=svc, capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr
    packages = json.loads("[" + done.stdout.replace("}\n{", "},\n{") + "]")
    own = [p for p in packages if not p.get("Standard")]
    assert [p["ImportPath"] for p in own] == [f"example.com/{svc.name}"]
    assert "net/http/pprof" in own[0]["Imports"]


def test_truth_names_a_culprit_for_every_leak_and_only_for_leaks() -> None:
    truth = yaml.safe_load((CORPUS / "truth.yaml").read_text())
    leaks = {s.name for s in SERVICES
             if yaml.safe_load((s / f"{s.name}.goleak.yaml").read_text())["expect"] == "leak"}
    assert set(truth) == leaks
    assert all(isinstance(v, str) and v.startswith("main.") for v in truth.values())
