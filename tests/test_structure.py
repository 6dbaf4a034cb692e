"""The code keeps its shape: small modules, imports that point down the app table, nothing imports the demo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 600  # generated migrations excepted
# Each package may import only those listed (DESIGN.md, "Where new things live"); the demo may import everything.
MAY_IMPORT = {
    "feedbackhub": set(),
    "ai": {"feedbackhub"},
    "customers": {"feedbackhub"},
    "feedback": {"feedbackhub", "customers", "ai"},
    "themes": {"feedbackhub", "customers", "feedback", "ai"},
    "launches": {"feedbackhub", "customers", "feedback", "themes"},
    "integrations": {"feedbackhub", "customers", "feedback", "themes", "launches", "ai"},
    "notifications": {"feedbackhub", "customers", "feedback", "themes", "launches", "ai"},
    "insights": {"feedbackhub", "customers", "feedback", "themes", "launches", "integrations", "notifications", "ai"},
}
PROJECT_PACKAGES = {*MAY_IMPORT, "demo"}


def modules(package: str) -> list[Path]:
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


def imported_packages(path: Path) -> set[str]:
    """The project packages ``path`` imports (absolute imports only; the project uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PROJECT_PACKAGES


@pytest.mark.parametrize("package", sorted(PROJECT_PACKAGES))
def test_given_a_package_then_no_module_is_longer_than_the_limit(package):
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in modules(package)
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }

    assert too_long == {}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_given_a_package_then_it_imports_only_the_packages_below_it_and_never_the_demo(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(bad)
        for path in modules(package)
        if (bad := imported_packages(path) - MAY_IMPORT[package] - {package})
    }

    assert wrong == {}


def test_given_the_checker_then_it_sees_an_upward_import(tmp_path):
    module = tmp_path / "services.py"
    module.write_text("from themes.models import Theme\nimport demo.loader\nfrom . import local\n")

    assert imported_packages(module) == {"themes", "demo"}
