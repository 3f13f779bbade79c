"""The hook through which a project adds its own detectors (registered by the plugin).

In a ``conftest.py`` or a plugin::

    def pytest_goleak_detectors(config):
        return [MyDetector()]

Each returned object follows :class:`pytest_goleak.detectors.base.Detector`: a ``name`` and a
``detect(target) -> DetectorResult``. A detector that raises becomes an errored cell with its
reason (:func:`pytest_goleak.detectors.base.run_detector`); the other cells still fill.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .base import Detector


@pytest.hookspec
def pytest_goleak_detectors(config: pytest.Config) -> Sequence[Detector] | None:
    """Return detectors to validate against the corpora; results of all implementations are joined."""
