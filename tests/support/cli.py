"""Helpers over the ``cli`` fixture (tests/conftest.py): import records, read JSON answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def load(cli: Callable[..., Any], write_ledger: Callable[..., Any], records: list[dict]) -> Any:
    """Import ``records`` with ``fivestar import``; every one must be applied."""
    res = cli("import", str(write_ledger(records)))
    assert res.code == 0, res.out
    return res


def eligibility(cli: Callable[..., Any], year: int, *extra: str) -> list[dict[str, Any]]:
    """``fivestar eligibility --year Y --json``, which must succeed."""
    res = cli("eligibility", "--year", str(year), "--json", *extra)
    assert res.code == 0, res.err
    return res.json()  # type: ignore[no-any-return]
