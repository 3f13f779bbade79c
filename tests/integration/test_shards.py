"""Shards across CI runners: two shards (pytest-split) merged by ``goleak merge`` are one full run.

Three shipped scenarios run once whole and once as two shards, for real (Docker, Go, the load
driver); the merged report must have the same scenario set, verdicts, pass/fail, culprits, the
same validation matrix and detector matrix as the whole run, the files its pages link to, and a
baseline comparison over all of them. The runs are at defaults, extension included: a heap
budget near the noise floor relies on the extension to clear a clean service's noise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_goleak.detectors.harness import session_matrix
from pytest_goleak.report import results as results_mod
from pytest_goleak.report.confusion import validation
from tests.conftest import REPO
from tests.integration.test_faults import copy_scenario, pytest_cmd

pytestmark = pytest.mark.integration
SCENARIOS = ("goroutine_chan_leaky", "goroutine_chan_fixed", "http_body_fixed")
COMMON = ("-q",)


def _run(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(pytest_cmd("scenarios", *COMMON, *args), cwd=work, capture_output=True, text=True,
                          timeout=900, check=False, stdin=subprocess.DEVNULL)


def _doc(report: Path) -> dict[str, Any]:
    return json.loads((report / "results.json").read_text())


def _outcomes(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Verdict, pass/fail and, for a leak, its culprit (a clean run's top growth is noise)."""
    return {s["name"]: (s["verdict"], s["passed"],
                        s["culprits"][0]["function"] if s["verdict"] == "leak" and s["culprits"] else None)
            for s in doc["scenarios"]}


def _judged_cells(doc: dict[str, Any]) -> dict[str, Any]:
    """What the verdicts decide: the validation matrix overall and the harness's row of the
    detector matrix. A single signal's cell flags on its measured-window trend (a clean heap's
    noise near its budget, before the extension clears it), which two real runs need not agree on:
    every cell is compared with the shards' own answers below, not with another run's."""
    harness = [c for c in doc["detectors"]["cells"] if c["detector"] == "harness"]
    return {"overall": doc["validation"]["overall"], "harness": harness}


def test_two_shards_merged_give_the_same_answers_as_one_full_run(tmp_path, docker_client, go_toolchain):
    pytest.importorskip("pytest_split")
    for name in SCENARIOS:
        copy_scenario(REPO / "scenarios" / f"{name}.yaml", tmp_path / "scenarios")
    whole = _run(tmp_path, "--goleak-report", "whole")
    shards = [_run(tmp_path, "--splits", "2", "--group", str(g), "--goleak-report", f"shard{g}") for g in (1, 2)]
    full = _doc(tmp_path / "whole")
    parts = [_doc(tmp_path / f"shard{g}") for g in (1, 2)]
    names = [{s["name"] for s in p["scenarios"]} for p in parts]
    assert names[0] and names[1] and not names[0] & names[1], names  # a real split, each scenario once
    assert whole.returncode == 0, whole.stdout[-3000:]
    assert all(s.returncode == 0 for s in shards), [s.stdout[-2000:] for s in shards]

    merge = subprocess.run([sys.executable, "-m", "pytest_goleak.cli", "merge", "shard1", "shard2", "--report",
                            "merged", "--compare", "whole/results.json"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert merge.returncode == 0, merge.stdout[-2000:] + merge.stderr[-2000:]
    merged = _doc(tmp_path / "merged")
    assert _outcomes(merged) == _outcomes(full) and set(_outcomes(full)) == set(SCENARIOS)
    assert _judged_cells(merged) == _judged_cells(full) and _judged_cells(full)["harness"]
    # and exactly the matrices of the shards' own answers, every signal included
    answers = [r for p in parts for r in results_mod.read_document(p)]
    assert merged["validation"] == results_mod.validation_json(validation(answers))
    assert merged["detectors"] == results_mod.cells_json(session_matrix(results_mod.ordered(answers)))
    assert merged["settings"]["shards"] == ["shard1", "shard2"]
    # one baseline comparison over every scenario of both shards
    compared = {row["scenario"] for row in merged["comparison"]["rows"]}
    assert compared == set(SCENARIOS) and merged["comparison"]["missing_scenarios"] == []
    # the merged pages link to files that are there: each scenario's profiles came along
    for s in merged["scenarios"]:
        for rel in [*s["artifacts"].values(), *(p for snap in s["snapshots"] for p in snap["profiles"].values())]:
            assert (tmp_path / "merged" / rel).is_file(), rel
        assert (tmp_path / "merged" / s["name"] / "index.html").is_file()
    assert "goroutine_chan_leaky" in (tmp_path / "merged" / "index.html").read_text()
    # the terminal table of the merged run, and the comparison's verdict
    assert "goroutine_chan_leaky" in merge.stdout and "baseline comparison: no regression" in merge.stdout
