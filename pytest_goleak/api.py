"""The Python face of the harness: run a scenario from a test, with budgets written in Python.

    def test_orders_service_does_not_leak(goleak):
        result = goleak.run("scenarios/orders.yaml",
                            budgets={"heap_inuse_bytes_per_1k_requests": "64KiB"}, requests=4000)
        assert result.passed, result.message
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import validate
from .record import ScenarioResult as ScenarioResult  # the result goleak.run returns
from .scenario.parse import Scenario, load_scenario
from .session import GoleakSession


def python_budgets(budgets: Mapping[str, object]) -> dict[str, float]:
    """Budgets given in Python: ValueError (unknown name, negative) or TypeError (a boolean...)."""
    return validate.budgets(budgets, "budgets")


class Goleak:
    """Session-scoped: shares the engine connection, build cache and services of the run."""

    def __init__(self, session: GoleakSession) -> None:
        self.session = session

    def run(self, scenario: str | Path | Scenario, *, budgets: Mapping[str, object] | None = None,
            requests: int | None = None, snapshots: int | None = None, expect: str | None = None,
            **changes: Any) -> ScenarioResult:
        """Run one scenario file (or Scenario) now. ``budgets`` replace the file's; sizes may be
        strings such as ``"64KiB"``. Other keyword arguments replace Scenario fields.
        A bad value raises ValueError (TypeError for a wrong type) before anything runs."""
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
        if budgets is not None:
            changes["budgets"] = python_budgets(budgets)
        if requests is not None:
            changes["load"] = dataclasses.replace(sc.load, requests=validate.whole(requests, "requests="))
        if snapshots is not None:
            changes["snapshots"] = validate.snapshot_count(snapshots, "snapshots=")
        if expect is not None:
            changes["expect"] = expect
        sc = dataclasses.replace(sc, **changes)
        result = self.session.run(sc)
        if not self.session.is_worker:
            self.session.record(result)
        return result
