"""The package layout shows the pipeline (README, "Development"): few top-level modules, no two
modules named alike, and the report stage imported only by the modules that wire the stages."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "pytest_goleak"
MAX_TOP_LEVEL = 12
#: Sibling implementations of one interface, one per package (the runtime's and the services'
#: Docker and local backends, each package's base protocol): the same name on purpose.
BACKENDS = {"base", "docker", "local"}
#: The modules that wire the stages together and so call the reporters.
WIRING = {"pytest_goleak.plugin", "pytest_goleak.session", "pytest_goleak.cli"}


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every Python module of the package (generated protobuf code aside)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name.endswith("_pb2.py"):
            continue
        parts = path.relative_to(REPO).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _stem(name: str) -> str:
    """A name as a reader takes it: without a ``_model`` suffix or a plural ``s``."""
    name = name.removesuffix("_model")
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def look_alikes(dotted: list[str]) -> list[list[str]]:
    """Groups of modules and packages whose last names differ only by a plural, a folder or ``_model``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in dotted:
        last = name.rsplit(".", 1)[-1]
        if name != "pytest_goleak" and last not in BACKENDS:
            groups[_stem(last)].append(name)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _imports(module: str, path: Path) -> set[str]:
    """The absolute names of what a module imports (relative imports resolved)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            names.update([base, *(f"{base}.{a.name}" for a in node.names)])
    return names


def test_at_most_a_dozen_modules_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_no_two_modules_are_named_alike():
    assert look_alikes(list(_modules())) == []


def test_the_look_alike_rule_can_fail():
    assert look_alikes(["p.vet", "p.detectors.vet", "p.result", "p.report.results", "p.scenario",
                        "p.scenario_model", "p.run.runtime.docker", "p.services.docker"]) == [
        ["p.detectors.vet", "p.vet"], ["p.report.results", "p.result"], ["p.scenario", "p.scenario_model"]]


def test_only_the_wiring_imports_the_report_stage():
    offenders = {module: sorted(n for n in _imports(module, path) if n.startswith("pytest_goleak.report"))
                 for module, path in _modules().items()
                 if not module.startswith("pytest_goleak.report") and module not in WIRING}
    assert {m: names for m, names in offenders.items() if names} == {}


def test_every_folder_of_modules_is_a_package():
    """setuptools' ``packages.find`` ships only folders with an ``__init__.py`` (runtime/ once had none)."""
    folders = {p.parent for p in PACKAGE.rglob("*.py")}
    assert sorted(str(f.relative_to(REPO)) for f in folders if not (f / "__init__.py").is_file()) == []
