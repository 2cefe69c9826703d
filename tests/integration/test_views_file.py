"""The read models' SQLite file is derived data: its connections do not zero freed pages.

Debian builds SQLite with ``secure_delete`` on; for the read models that turned every
rewritten kilobyte row and every table a rebuild's swap drops into writes of zeros (ADR 0028).
The ledger's own file keeps the build's setting: nothing in it is ever deleted.
"""

from __future__ import annotations

import sqlite3

from domain.application.service import FiveStar


def _secure_delete(c: object) -> int:
    c.execute("PRAGMA secure_delete")  # type: ignore[attr-defined]
    return int(c.fetchone()[0])  # type: ignore[attr-defined]


def test_read_model_connections_do_not_zero_freed_pages(sqlite_db: str) -> None:
    service = FiveStar(sqlite_db)
    try:
        with service.views.reading() as c:
            assert _secure_delete(c) == 0
        with service.views.writing() as w:
            assert _secure_delete(w.c) == 0
    finally:
        service.close()


def test_the_ledger_file_keeps_the_builds_setting(sqlite_db: str) -> None:
    built = sqlite3.connect(":memory:").execute("PRAGMA secure_delete").fetchone()[0]
    service = FiveStar(sqlite_db)
    try:
        with service.ledger.factory.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            assert _secure_delete(c) == built
    finally:
        service.close()
