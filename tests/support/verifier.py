"""``scripts/verify_export.py``, the auditors' standard-library verifier, loaded as a module so
tests can call its own functions on an export."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def verifier() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "verify_export", ROOT / "scripts/verify_export.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
