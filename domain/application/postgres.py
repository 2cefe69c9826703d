"""The ledger's PostgreSQL recorder, loaded by topic (``store.py``) only when ``--db`` is a
``postgresql://`` URL (psycopg and the library's PostgreSQL module cost every SQLite command
a tenth of a second).

``PostgresLedgerRecorder`` adds to the library's process recorder what the SQLite one in
``store.py`` adds to its own: the import refusal log in the batch's transaction, the
projection's (position, topic, state) reads and the rebuild's reads by stream. The read
side's PostgreSQL store is ``projections/pg.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from domain.application.ledger_tree import (
    Frontier,
    PostgresTreeMixin,
    copy_leaves_pg,
    current_frontier_pg,
)
from domain.application.outage import guard_datastore
from domain.application.store import expect_follows

# Whether the server can compress TOASTed values with lz4 (PostgreSQL 14+, built with it).
_LZ4 = (
    "SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'"
)


class PostgresLedgerRecorder(PostgresTreeMixin, PostgresProcessRecorder):
    # The Merkle tree's frontier as of this process's last committed write (or read), as the
    # SQLite recorder keeps it: a batch's subtree-cache rows and an award's basis cost
    # O(batch), not a re-read of the tree. Checked against the stored last leaf before each
    # use (in the batch's transaction, under the table lock), so another writer's leaves
    # are never missed: the frontier is then read afresh (ADR 0021).
    frontier: Frontier | None = None
    _written: Frontier | None = None
    _lz4: bool | None = None  # whether the server compresses with lz4 (asked when needed)

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        # Before the library's constructor: it already connects (type adapters).
        attempts = int(os.environ.get("FIVESTAR_PG_CONNECT_ATTEMPTS", "2"))
        guard_datastore(datastore, datastore.pool.timeout, max(1, attempts))
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.import_refusals ("
                "run text, line bigint, record_id text, reason text, PRIMARY KEY (run, line))"
            ).format(schema=schema)
        )
        self._insert_refusal = SQL(
            "INSERT INTO {schema}.import_refusals VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (run, line) DO UPDATE SET reason = EXCLUDED.reason"
        ).format(schema=schema)
        self._copy_events_sql = SQL(
            "COPY {schema}.{table} (notification_id, originator_id, originator_version, topic, "
            "state) FROM STDIN (FORMAT BINARY)"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        qualified = f"{self.datastore.schema}.{self.events_table_name}"
        self._set_last_id_sql = SQL(
            "SELECT setval(pg_get_serial_sequence({name}, 'notification_id'), %s)"
        ).format(name=Literal(qualified))
        self._max_id_sql = SQL("SELECT max(notification_id) AS last FROM {schema}.{table}").format(
            schema=schema, table=Identifier(self.events_table_name)
        )
        self.last_tracking: tuple[str, int] | None = None
        self._select_refusals = SQL(
            "SELECT line, record_id, reason FROM {schema}.import_refusals "
            "WHERE run = %s ORDER BY line"
        ).format(schema=schema)
        self._select_states = SQL(
            "SELECT notification_id, topic, state FROM {schema}.{table} "
            "WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        self._select_by_stream = SQL(
            "SELECT e.originator_id::text AS stream, e.originator_version, e.notification_id, "
            "e.topic, e.state, l.version AS leaf_version, l.leaf_hash FROM {schema}.{table} e "
            "LEFT JOIN {schema}.merkle_leaves l ON l.position = e.notification_id "
            "WHERE (e.originator_id, e.originator_version) > (%s::uuid, %s) "
            "AND e.notification_id <= %s AND e.originator_id < %s::uuid "
            "ORDER BY e.originator_id, e.originator_version LIMIT %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        self._count_events = SQL(
            "SELECT COUNT(*) AS n FROM {schema}.{table} WHERE notification_id <= %s"
        ).format(schema=schema, table=Identifier(self.events_table_name))
        self._select_stream = SQL(
            "SELECT notification_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = %s ORDER BY originator_version"
        ).format(schema=schema, table=Identifier(self.events_table_name))

    ids_as_uuid = True  # what ``_copy_events`` writes (``ImportWriter`` sends hex strings)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """A batch in one transaction: its tracking position, its refusals, its events
        (``COPY``, binary) and their Merkle leaves (``COPY``), instead of the library's
        array-of-composites insert and a leaf ``executemany`` (most of an import's time).

        The events table is locked (EXCLUSIVE, as the library does) before the copy, so no
        other writer draws notification ids meanwhile: the batch's ids are the ``len``
        values of the sequence up to its ``currval``. No retry loop here: a lost race
        (``IntegrityError``) is the ledger's to retry, a lost server ends the command
        (``outage.py``)."""
        # An import may ask for commits that do not wait for the disk (``durable=False``,
        # SQLite's relaxed sync); here every batch's commit is synchronous, so the line an
        # outage reports as committed is one the server keeps (ADR 0022), at the cost of one
        # WAL flush per batch of thousands of records. (``SET LOCAL synchronous_commit =
        # off`` for those batches would save those flushes, but a server crash could then
        # lose a batch the outage line already named as committed: tested by
        # ``test_store_outage``, which stops the server with ``-m immediate``.)
        kwargs.pop("durable", None)
        tracking: Tracking | None = kwargs.get("tracking")
        self._written = None
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            ids = self._insert_events(curs, stored_events, **kwargs)
        if self._written is not None:  # committed: the batch's frontier is the store's
            self.frontier = self._written
        if tracking is not None:
            self.last_tracking = (tracking.application_name, tracking.notification_id)
        return ids

    def _insert_events(  # type: ignore[override]  # the library's hook returns nothing
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int] | None:
        """Everything a batch writes, inside its transaction (as the SQLite recorder's
        hook of the same name): tracking, refusals, events, leaves; returns the ids."""
        tracking: Tracking | None = kwargs.get("tracking")
        if tracking is not None:
            self._insert_tracking(curs, tracking)
        refusals = kwargs.get("refusals")
        if refusals:
            curs.executemany(
                self._insert_refusal, [(kwargs["refusal_log"], *row) for row in refusals]
            )
        if not stored_events:
            return None
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._max_id_sql)
        last = curs.fetchone()["last"] or 0
        expect_follows(kwargs.get("expect_last"), last, last + 1)
        ids = self._copy_events(curs, stored_events, last)
        self._written = copy_leaves_pg(
            curs, self.datastore.schema, self.events_table_name, stored_events, ids, self.frontier
        )
        return ids

    def frontier_point(self) -> tuple[int, int, str]:
        """(position, size, root) of the ledger's tree as stored now (``receipts``)."""
        with self.datastore.transaction(commit=False) as curs:
            self.frontier = current_frontier_pg(curs, self.datastore.schema, self.frontier)
        f = self.frontier
        return f.position, f.size, f.root().hex()

    def _copy_events(self, curs: Any, stored_events: Sequence[StoredEvent], last: int) -> list[int]:
        """The events at the positions right after ``last`` (the table's greatest, read under
        the table lock), and the id sequence moved to the new end: positions without gaps, so
        the positions an award's basis and a batch written ahead predict are the ones written
        (a rolled-back transaction's ids are taken again, never having been committed)."""
        with curs.copy(self._copy_events_sql) as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
            write = copy.write_row
            for i, e in enumerate(stored_events, start=last + 1):
                write((i, e.originator_id, e.originator_version, e.topic, e.state))
        end = last + len(stored_events)
        curs.execute(self._set_last_id_sql, (end,))
        return list(range(last + 1, end + 1))

    def insert_snapshots(self, recorder: Any, stored: Sequence[StoredEvent]) -> None:
        """Write snapshots (``Ledger._trim_cache``) through the snapshot ``recorder``'s
        statement in a transaction that neither waits for the WAL flush nor compresses with
        pglz (lz4 where the server has it): snapshots are a cache (a lost one costs a replay,
        never a wrong state), tens of kilobytes each, and an import evicting branches writes
        some after many batches (as the SQLite recorder's, ADR 0021)."""
        if not stored:
            return
        with (
            recorder.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            if self._lz4 is None:
                curs.execute(_LZ4)
                row = curs.fetchone()
                self._lz4 = bool(row and row["lz4"])
            compression = ", set_config('default_toast_compression', 'lz4', true)"
            curs.execute(
                "SELECT set_config('synchronous_commit', 'off', true)"
                + (compression if self._lz4 else "")
            )
            recorder._insert_stored_events(curs, stored)

    def max_tracking_id(self, application_name: str) -> int | None:
        """The library's, noting the answer: an import run reads its resume position here
        first, so a store lost before any batch commits can still say where it stands."""
        found = super().max_tracking_id(application_name)
        self.last_tracking = (application_name, found or 0)
        return found

    def select_refusals(self, run: str) -> list[tuple[int, str, str]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_refusals, (run,))
            return [(row["line"], row["record_id"], row["reason"]) for row in curs.fetchall()]

    # The bulk reads below (the projector's, the rebuild's: every event of the ledger) ask
    # for binary results as plain tuples: bytea then travels as its bytes, not as hex the
    # server encodes and psycopg decodes, and no dict is built per row. Measured on the
    # 674k-event ledger: a third of the client's time and under half of the server's.
    def select_states(self, after: int, stop: int, limit: int) -> list[tuple[int, str, bytes]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.row_factory = tuple_row  # binary tuples: see above
            curs.execute(self._select_states, (after, stop, limit), binary=True)
            return curs.fetchall()

    def select_by_stream(
        self, after: tuple[str, int], stop: int, limit: int, until: str | None = None
    ) -> list[tuple[str, int, int, str, bytes, int | None, bytes | None]]:
        upper = _uuid_bound(until) if until else "ffffffff-ffff-ffff-ffff-ffffffffffff"
        params = (_uuid_bound(after[0]), after[1], stop, upper, limit)
        with self.datastore.transaction(commit=False) as curs:
            # no parallel plan: the rebuild's own workers already keep the cores busy
            curs.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            curs.row_factory = tuple_row  # binary tuples: see above
            curs.execute(self._select_by_stream, params, binary=True)
            return curs.fetchall()

    def count_events(self, stop: int) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._count_events, (stop,))
            return int(curs.fetchall()[0]["n"])

    def select_stream(self, originator_id: UUID) -> list[Notification]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_stream, (originator_id,))
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=originator_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


def _uuid_bound(prefix: str) -> str:
    """A full UUID from a stream id or a prefix of hex digits (``"8"`` -> ``80000000-…``)."""
    if len(prefix) == 36:
        return prefix
    digits = (prefix + "0" * 32)[:32]
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
