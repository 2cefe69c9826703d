"""Helpers over the ``cli`` fixture (tests/conftest.py): import records, read JSON answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def load(
    cli: Callable[..., Any], write_ledger: Callable[..., Any], records: list[dict[str, Any]]
) -> Any:
    """Import ``records`` with ``fivestar import``; every one must be applied."""
    res = cli("import", str(write_ledger(records)))
    assert res.code == 0, res.out
    return res


def eligibility(cli: Callable[..., Any], year: int, *extra: str) -> list[dict[str, Any]]:
    """``fivestar eligibility --year Y --json``, which must succeed."""
    res = cli("eligibility", "--year", str(year), "--json", *extra)
    assert res.code == 0, res.err
    rows: list[dict[str, Any]] = res.json()
    return rows


def table_body(out: str) -> list[str]:
    """The rows of a readable list: its lines without the header row and the summary line
    (the first table only, when a command prints more than one)."""
    lines = out.splitlines()
    assert len(lines) >= 2, out
    first_table = lines[1:-1]
    if "" in first_table:
        first_table = first_table[: first_table.index("")]
    return first_table
