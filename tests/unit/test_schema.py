"""results.json against its published JSON Schema (pytest_goleak/schema/results.schema.json).

``docs/results.example.json`` is a real results.json (goroutine_chan twins, trimmed); fresh ones
from Docker runs are validated in tests/integration/test_baseline_e2e.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pytest_goleak.judge.culprit import CulpritReport
from pytest_goleak.record import ScenarioResult
from pytest_goleak.report import baseline
from pytest_goleak.report import results as results_mod
from tests.conftest import REPO

jsonschema = pytest.importorskip("jsonschema")
SCHEMA_PATH = Path(results_mod.__file__).parents[1] / "schema" / "results.schema.json"
EXAMPLE = REPO / "docs" / "results.example.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator, doc):
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def built(scenarios):
    """Through results.build and a JSON round trip, exactly as results.json is written."""
    return json.loads(json.dumps(results_mod.build(scenarios, {"runtime": "docker"}), default=str))


def test_schema_version_matches_the_code():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["properties"]["schema_version"]["const"] == results_mod.SCHEMA_VERSION
    assert set(schema["required"]) == set(results_mod.build([], {}))


def test_every_scenario_key_is_documented_in_the_schema():
    schema = json.loads(SCHEMA_PATH.read_text())
    found = CulpritReport(errors=("heap profile: truncated",))
    full = ScenarioResult(name="x", file="x.yaml", description="", expect=None, culprit_expected=None,
                          verdict="leak", passed=False, oom="OOM-killed", culprits=found, ignore_listed=True)
    keys = set(results_mod.to_json(full))
    assert {"oom", "analysis_errors", "ignored_goroutines"} <= keys
    assert keys - set(schema["$defs"]["scenario"]["properties"]) == set()


def example():
    return json.loads(EXAMPLE.read_text())


def test_the_real_example_validates(validator):
    assert errors(validator, example()) == []


def test_a_fresh_scenario_result_validates(validator):
    fresh = ScenarioResult(name="x", file="x.yaml", description="", expect=None, culprit_expected=None,
                           verdict="error", passed=False)
    assert errors(validator, built([fresh])) == []


def test_a_comparison_validates(validator):
    doc = example()
    runs = results_mod.read_document(doc)
    base = baseline.snapshot(runs, "abc")
    compared = baseline.compare_runs(runs, base, baseline.parse_rules(("heap:+20%", "goroutines:+0")))
    doc["comparison"] = results_mod.comparison_json(dataclasses.replace(compared, path="baseline.json"))
    assert doc["comparison"]["rows"]
    assert results_mod.comparison_of(doc["comparison"]) == dataclasses.replace(compared, path="baseline.json")
    assert errors(validator, doc) == []


def test_a_comparison_without_a_baseline_validates(validator, tmp_path):
    doc = example()
    runs = results_mod.read_document(doc)
    compared, failures = baseline.apply(runs, save=None, compare="nope", fail_exprs=(), rootdir=tmp_path)
    assert compared is not None and compared.error and failures == [compared.error]
    doc["comparison"] = json.loads(json.dumps(results_mod.comparison_json(compared)))
    assert set(doc["comparison"]["baseline"]) == {"path"} and doc["comparison"]["error"] == compared.error
    assert errors(validator, doc) == []
    assert results_mod.comparison_of(doc["comparison"]) == compared


@pytest.mark.parametrize(
    ("breakage", "where"),
    [
        (lambda d: d.pop("scenarios"), "'scenarios' is a required property"),
        (lambda d: d.update(schema_version=2), "$.schema_version"),
        (lambda d: d["scenarios"][0].update(verdict="maybe"), "$.scenarios[0].verdict"),
        (
            lambda d: d["scenarios"][0]["signals"]["goroutines"].update(ci=[1.0]),
            "$.scenarios[0].signals.goroutines.ci",
        ),
        (lambda d: d["scenarios"][0].update(passed="yes"), "$.scenarios[0].passed"),
        (lambda d: d.update(comparison={"rows": []}), "$.comparison"),
        (lambda d: d.update(created="yesterday"), "$.created"),
    ],
)
def test_a_broken_document_is_rejected(validator, breakage, where):
    doc = example()
    breakage(doc)
    found = errors(validator, doc)
    assert found, "the broken document validated"
    assert any(where in e for e in found), found
