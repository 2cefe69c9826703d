"""Every row of every read-model table, to compare what the read models store (a rebuild
against the projection, ``test_rebuilt_rows.py`` and the property tests)."""

from __future__ import annotations

from typing import Any

from domain.application.service import FiveStar
from projections.tables import SYSTEM_TABLES


def stored_rows(svc: FiveStar) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows as tuples of values (blobs as bytes), in a stable order."""
    out = {}
    for name in svc.views.tables:
        if name not in SYSTEM_TABLES:
            rows = svc.views.query(f"SELECT * FROM {{p}}{name}")
            out[name] = sorted((_row(row) for row in rows), key=repr)
    return out


def _row(row: Any) -> tuple[Any, ...]:
    """A row's values (PostgreSQL's rows are dicts: iterated, they give the column names)."""
    values = row.values() if isinstance(row, dict) else row
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in values)
