"""Tampering with a ledger's store behind the product's back, for the integrity tests.

A small ledger to import, and direct SQL on its events table for either store, the way an
insider with database access would edit it (``test_ledger_integrity``, ``test_rebuild_verifies``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from domain.application.store import is_postgres
from tests.support.builders import community, rec, village


def ledger() -> list[dict[str, Any]]:
    out = [village("V1"), community("C1"), village("V2")]
    for month in range(1, 7):
        for code in ("V1", "C1", "V2"):
            out.append(rec("meeting.held", code, f"2024-{month:02d}-05", kind="theme_day"))
    return out  # 21 events: V1 at 1,4,7,...; C1 at 2,5,...; V2 at 3,6,...


class Store:
    """Direct SQL on the ledger's events table, for either store."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.pg = is_postgres(db)
        self.pos = "notification_id" if self.pg else "rowid"
        self.events = "fivestar_events" if self.pg else "stored_events"
        self.records: list[dict[str, Any]] = []

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        if self.pg:
            with psycopg.connect(self.db, autocommit=False) as conn:
                yield conn
        else:
            lite = sqlite3.connect(self.db)
            try:
                with lite:
                    yield lite
            finally:
                lite.close()

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.replace("{pos}", self.pos).replace("stored_events", self.events)
        if self.pg:
            sql = sql.replace("?", "%s")
        with self._conn() as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def state(self, position: int) -> bytes:
        return bytes(self.run("SELECT state FROM stored_events WHERE {pos} = ?", position)[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run("UPDATE stored_events SET state = ? WHERE {pos} = ?", state, position)

    def forge_after(self, position: int) -> None:
        """Insert a forged row: the event at ``position`` copied as the next version of its
        stream, with a new id (the stream's version 7 becomes a forged version 8)."""
        state = self.state(position).replace(b'"originator_version":7', b'"originator_version":8')
        state = state.replace(b'"id":"', b'"id":"forged-')
        query = "SELECT originator_id, topic FROM stored_events WHERE {pos}=?"
        (stream, topic) = self.run(query, position)[0]
        self.run(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            stream,
            8,
            topic,
            state,
        )
