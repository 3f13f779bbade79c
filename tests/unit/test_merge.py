"""``goleak merge``: shards' results.json files into one report (the real run is in
tests/integration/test_shards.py; here, the refusals and the file copying)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_goleak import cli
from pytest_goleak.record import ScenarioResult
from pytest_goleak.report import results as results_mod
from pytest_goleak.report.merge import MergeError, gather
from pytest_goleak.run.capture import Snapshot


def _shard(root: Path, name: str, *scenarios: str, error: str | None = None) -> Path:
    report = root / name
    runs = []
    for s in scenarios:
        (report / s).mkdir(parents=True)
        (report / s / "heap-0.pb.gz").write_bytes(b"\x1f\x8b profile of " + s.encode())
        runs.append(ScenarioResult(name=s, file=f"{s}.yaml", description="", expect="clean", culprit_expected=None,
                                   verdict="clean", passed=True, artifacts={"log": f"{s}/container.log"},
                                   snapshots=(Snapshot(0, 0.0, 0, profiles={"heap": f"{s}/heap-0.pb.gz"}),)))
        (report / s / "container.log").write_text("log\n")
    results_mod.write(report, results_mod.build(runs, {"runtime": "docker"}, error=error))
    return report


def test_gather_reads_every_shard_and_copies_their_files(tmp_path):
    a, b = _shard(tmp_path, "a", "one", "two"), _shard(tmp_path, "b", "three")
    merged = gather([a, b / "results.json"], tmp_path / "out")
    assert [s.name for s in merged.scenarios] == ["one", "two", "three"] and merged.errors == ()
    assert (tmp_path / "out" / "three" / "heap-0.pb.gz").read_bytes().endswith(b"three")
    assert (tmp_path / "out" / "one" / "container.log").is_file()
    assert merged.settings["shards"] == [str(a), str(b / "results.json")]


def test_a_scenario_in_two_shards_is_refused(tmp_path):
    a, b = _shard(tmp_path, "a", "one"), _shard(tmp_path, "b", "one")
    with pytest.raises(MergeError, match=r"scenario 'one' is in two shards: .*a and .*b"):
        gather([a, b], tmp_path / "out")


def test_a_missing_or_broken_shard_is_named(tmp_path):
    with pytest.raises(MergeError, match=r"nowhere/results.json: cannot read it"):
        gather([tmp_path / "nowhere"], tmp_path / "out")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.json").write_text(json.dumps({"schema_version": 1, "scenarios": "x"}))
    with pytest.raises(MergeError, match="does not follow results schema"):
        gather([tmp_path / "bad"], tmp_path / "out")


def test_merge_command_writes_one_report_and_says_what_failed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _shard(tmp_path, "a", "one")
    _shard(tmp_path, "b", "two", error="no Docker engine")
    assert cli.main(["merge", "a", "b", "--report", "out"]) == 1  # a shard's run failed
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {s["name"] for s in doc["scenarios"]} == {"one", "two"} and "no Docker engine" in doc["error"]
    assert doc["validation"]["overall"] == {"tp": 0, "fn": 0, "fp": 0, "tn": 2}
    assert (tmp_path / "out" / "index.html").is_file() and not results_mod.schema_errors(doc)
    assert cli.main(["merge", "a", "a", "--report", "out2"]) == 2
    assert "is in two shards" in capsys.readouterr().err
