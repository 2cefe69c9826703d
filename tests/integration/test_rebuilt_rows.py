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
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in _values(row))
                for row in service.views.query(f"SELECT * FROM {{p}}{name}")
            ]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        service.close()


def _values(row: Any) -> Any:
    """A row's values: PostgreSQL's rows are dicts, which iterated give the column names
    (the comparison then held for any rows of the same count)."""
    return row.values() if isinstance(row, dict) else row


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


def test_the_rebuild_finds_every_adoption_and_nothing_else(
    cli: Cli, db: str, tmp_path: Path
) -> None:
    """The rulebook adoptions a rebuild processes first: on SQLite found through the
    streams' index (the streams not begun by a registration), the same events in the same
    order as a scan of every event for their topic: adoptions for several years, one year
    twice, after branch events."""
    from eventsourcing.utils import get_topic

    from domain.application.rebuild import _ledger_events
    from domain.model.events import RulebookAdopted

    ledger = make_ledger(tmp_path / "ledger.jsonl", branches=6, seed=7)
    cli("import", str(ledger))
    service = FiveStar(db, create=False)
    try:
        for year, book in ((2024, "puyang-2024-revision"), (2025, "puyang-2024-revision")):
            service.adopt(year, book, "test", "test")
        service.adopt(2024, "puyang-2022", "back", "test")
        head = service.ledger.recorder.max_notification_id() or 0
        found = _ledger_events(service.ledger, head)
        scanned = service.ledger.recorder.select_notifications(
            start=None, limit=1000, stop=head, topics=[get_topic(RulebookAdopted)]
        )
        assert [p for p, _ in found] == [n.id for n in scanned]
        assert all(isinstance(e, RulebookAdopted) for _, e in found)
        assert [(e.year, e.rulebook) for _, e in found] == [  # type: ignore[attr-defined]
            (2024, "puyang-2024-revision"),
            (2025, "puyang-2024-revision"),
            (2024, "puyang-2022"),
        ]
        assert _ledger_events(service.ledger, found[0][0])[-1][0] == found[0][0]
    finally:
        service.close()
