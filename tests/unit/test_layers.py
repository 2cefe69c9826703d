"""The model imports nothing but the standard library, msgspec, pydantic and
``eventsourcing.domain`` (ADR 0011). import-linter checks the layers and cycles; it cannot
forbid a subpackage of an external package, so this test reads the imports itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "domain" / "model"
ALLOWED = ("msgspec", "pydantic", "eventsourcing.domain", "domain.model")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def allowed(module: str) -> bool:
    root = module.split(".")[0]
    return (root in sys.stdlib_module_names and root != "sqlite3") or any(
        module == a or module.startswith(f"{a}.") for a in ALLOWED
    )


def test_the_model_imports_only_the_standard_library_msgspec_pydantic_and_eventsourcing_domain():
    offending = {
        f"{path.name}: {module}"
        for path in sorted(MODEL.glob("*.py"))
        for module in imported_modules(path)
        if not allowed(module)
    }
    assert not offending, sorted(offending)


def test_the_check_would_catch_a_store_import():
    assert not allowed("eventsourcing.persistence")
    assert not allowed("eventsourcing.application")
    assert not allowed("sqlite3")
    assert not allowed("projections.views")
    assert allowed("eventsourcing.domain")
    assert allowed("datetime")
