"""A rebuild writes, table by table and row by row, what the projections wrote while the
ledger was imported: each read model's ``stream_rows`` (the rebuild's fold of whole streams,
ADR 0020) gives the rows its ``process`` left, byte for byte, blobs included.

The property test compares what the read models *answer*; this compares what they *store*,
on a generated ledger with every kind of record the generator writes (weak spells and their
lifting, retracted incidents, honours, metrics, awards, the mechanism and case records),
imported in small projection batches so that ``process`` ran over many batches. On SQLite
and PostgreSQL, with the rebuild's forked workers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import FiveStar
from projections.tables import SYSTEM_TABLES
from tests.support.ledgers import make_ledger

Cli = Callable[..., Any]


def _rows(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, in a stable order (blobs as bytes)."""
    service = FiveStar(db, create=False)
    try:
        tables = [name for name in service.views.tables if name not in SYSTEM_TABLES]
        out = {}
        for name in tables:
            rows = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in service.views.query(f"SELECT * FROM {{p}}{name}")
            ]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        service.close()


def test_rebuilt_tables_hold_the_rows_the_projections_wrote(
    cli: Cli, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_PROJECTION_BATCH_SIZE", "700")
    ledger = make_ledger(tmp_path / "ledger.jsonl", branches=20, seed=5)
    cli("import", str(ledger))
    kept = _rows(db)
    assert sum(len(rows) for rows in kept.values()) > 500  # something to compare

    assert cli("rebuild").code == 0
    rebuilt = _rows(db)

    assert rebuilt.keys() == kept.keys()
    for name in kept:
        assert rebuilt[name] == kept[name], f"table {name} differs after the rebuild"
