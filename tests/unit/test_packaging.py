"""pyproject.toml declares what the package imports, with floors that have what it uses."""

from __future__ import annotations

import ast
import importlib.metadata
import sys

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO

PACKAGE = REPO / "pytest_goleak"
tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _requirements(optional: bool = False) -> dict[str, Requirement]:
    """[project].dependencies; with ``optional``, also the extras a user installs (not ``test``)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    if optional:
        reqs += [Requirement(r) for extra, rs in project.get("optional-dependencies", {}).items()
                 if extra != "test" for r in rs]
    return {r.name.lower().replace("_", "-"): r for r in reqs}


def _floor(req: Requirement) -> Version | None:
    floors = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return max(floors) if floors else None


def _top_level_imports() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name.endswith("_pb2.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"pytest_goleak"}


def test_every_imported_distribution_is_declared():
    declared = _requirements(optional=True)  # an optional one is imported under ImportError
    dists = importlib.metadata.packages_distributions()
    undeclared = []
    for module in sorted(_top_level_imports()):
        owners = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if module == "_pytest":
            owners = {"pytest"}
        if not owners & declared.keys():
            undeclared.append(f"{module} (from {', '.join(sorted(owners))})")
    assert not undeclared, f"imported but not in [project].dependencies: {undeclared}"


def test_new_style_hook_wrappers_have_a_pluggy_that_knows_them():
    """hookimpl(wrapper=True): pluggy 1.1 (yanked), 1.2; pytest>=7.4 alone still allows pluggy 0.12."""
    uses_wrapper = any("hookimpl(wrapper=True)" in p.read_text() for p in PACKAGE.rglob("*.py"))
    if not uses_wrapper:
        return
    pluggy = _requirements().get("pluggy")
    assert pluggy is not None and (_floor(pluggy) or Version("0")) >= Version("1.2"), pluggy
    pytest_floor = _floor(_requirements()["pytest"])
    assert pytest_floor is not None and pytest_floor >= Version("7.4")  # config.stash, pytest.StashKey
