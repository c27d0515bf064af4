"""Every module the running portal imports is installed by `pip install .`, the guide's install step.

The Makefile installs `.[dev]`, which hides a runtime import that only a development dependency brings
in (docs/deploy.md: `requests` was one). So each third-party import of the code that runs in production
must name its distribution in [project.dependencies] itself, not merely arrive with another package.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

# Its own PostgreSQL/Redis or only files: the same whatever DATABASE_URL says (pyproject.toml markers).
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_CODE = ["reports", "traffic", "open311", "portal", "seeds", "manage.py"]


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # "celery[redis]>=5.4,<6" -> "celery": the name is what comes before any extra, version or marker.
    return {normalized(re.match(r"[A-Za-z0-9._-]+", spec)[0]) for spec in project["dependencies"]}


def runtime_files() -> list[Path]:
    files = []
    for name in RUNTIME_CODE:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def top_level_imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def our_packages() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/__init__.py")} | {p.stem for p in ROOT.glob("*.py")}


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the files that import it, leaving out the standard library and our own code."""
    exempt = set(sys.stdlib_module_names) | our_packages()
    found: dict[str, set[str]] = {}
    for path in runtime_files():
        for module in top_level_imports(path) - exempt:
            found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return found


def test_it_finds_the_imports_it_checks():
    imports = third_party_imports()
    # A walk that found nothing would pass for the wrong reason.
    assert {"django", "celery", "requests", "standardwebhooks"} <= imports.keys()
    assert "reports" not in imports and "json" not in imports


def test_every_runtime_import_is_a_declared_dependency():
    declared = declared_dependencies()
    installed_by = importlib.metadata.packages_distributions()
    missing = []
    for module, files in sorted(third_party_imports().items()):
        distributions = {normalized(name) for name in installed_by.get(module, [])}
        if not distributions & declared:
            where = ", ".join(sorted(files))
            named = " or ".join(sorted(distributions)) or "a distribution that is not installed"
            missing.append(f"{module} (from {named}), imported by {where}")
    assert not missing, "add to [project.dependencies] in pyproject.toml:\n" + "\n".join(missing)
