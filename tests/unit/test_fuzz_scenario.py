"""Bad scenario input, fuzzed: whatever the YAML, ``load_scenario`` either returns a Scenario or
raises ScenarioError whose text starts with ``file:line:``. Nothing else may escape.

Deterministic (``derandomize=True``): the same cases every run, so a failure reproduces.
Profile bytes are fuzzed in tests/unit/pprof/test_pprof_fuzz.py.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_goleak import signals
from pytest_goleak.scenario.parse import _TOP_KEYS, Scenario, ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
SHIPPED = [*sorted((REPO / "scenarios").glob("*.yaml")),
           *sorted((REPO / "tests" / "data" / "fault_scenarios").glob("*.yaml"))]
PATH = REPO / "scenarios" / "fuzzed.yaml"  # relative fixture paths resolve against the real tree
WHERE = re.compile(r"^" + re.escape(str(PATH)) + r":\d+: \S")

def fuzz(examples: int) -> settings:
    return settings(derandomize=True, max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])



KEYS = sorted(_TOP_KEYS) + ["load", "limits", "health", "budgets", "unknown", ""]
SUB_KEYS = ["path", "method", "body", "headers", "requests", "warmup_requests", "concurrency", "rate",
            "timeout", "memory", "pids", *signals.budgets(), "x"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["64KiB", "1.5MB", "2s", "500ms", "-1", "0", "1e999", "nan", "..", "/", "\x00", "leak",
                     "clean", "redis", "host", "bridge", "../go_fixtures/goroutine_chan/fixed", "GET"]),
)
sub_keys = st.one_of(st.sampled_from(SUB_KEYS), st.text(max_size=6), st.integers())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(sub_keys, inner, max_size=3)), max_leaves=5)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def check(text: str) -> Scenario | None:
    try:
        return load_scenario(PATH, text)
    except ScenarioError as exc:
        assert WHERE.match(str(exc)), f"no file:line: in {str(exc)!r}"
        assert exc.line is not None and exc.line >= 1
        return None


@fuzz(800)
@given(documents)
def test_random_mappings(doc: dict[str, Any]) -> None:
    check(yaml.safe_dump(doc, allow_unicode=True))


@functools.cache
def _parsed(shipped: Path) -> dict[str, Any]:
    base: dict[str, Any] = yaml.safe_load(shipped.read_text())
    base["fixture"] = str((shipped.parent / base["fixture"]).resolve())
    return base


@fuzz(500)
@given(documents.filter(bool), st.sampled_from(SHIPPED), st.data())
def test_shipped_files_with_keys_replaced(doc: dict[str, Any], shipped: Path, data: st.DataObject) -> None:
    base = copy.deepcopy(_parsed(shipped))
    key = data.draw(st.sampled_from(sorted(doc)))
    base[key] = doc[key]
    check(yaml.safe_dump(base, allow_unicode=True))


def _mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "swap", "dup", "truncate", "indent"]))
        i = data.draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "insert":
            lines.insert(i, data.draw(st.text(max_size=20)) + "\n")
        elif op == "replace" and lines[i]:
            j = data.draw(st.integers(0, len(lines[i]) - 1))
            ch = data.draw(st.sampled_from(list(":-[]{}#&*!|>'\"%@` \t\n,?") + ["x", "0", "\x00", "\u2028"]))
            lines[i] = lines[i][:j] + ch + lines[i][j + 1:]
        elif op == "swap" and len(lines) > 1:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "truncate":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
        elif op == "indent":
            lines[i] = "  " + lines[i]
    return "".join(lines)


@fuzz(800)
@given(st.sampled_from(SHIPPED), st.data())
def test_shipped_files_mutated_as_text(shipped: Path, data: st.DataObject) -> None:
    text = shipped.read_text().replace("fixture: ../", f"fixture: {shipped.parent.parent}/")
    check(_mutate(text, data))


@fuzz(1000)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    check(text)


def test_every_shipped_file_loads() -> None:
    for path in SHIPPED:
        assert isinstance(load_scenario(path), Scenario), path
