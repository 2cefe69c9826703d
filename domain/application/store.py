"""Where the ledger and its read models are stored: SQLite by default, PostgreSQL by URL.

``--db``/``FIVESTAR_DB`` names the store. A file path selects the library's SQLite module
(read models go to a sibling file, ``NAME.views.db``, so projection writes never hold the
event store's write lock); a ``postgresql://`` URL selects its PostgreSQL module on psycopg 3
(read models in tables of the same database). The recorder subclasses below add the two
things the library's process recorders lack: the import refusal log, written in the same
transaction as the batch's events and tracking, and a branch's events with their positions.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteProcessRecorder
from eventsourcing.utils import get_topic

from domain.application.ledger_tree import (
    SQLITE_TABLES,
    Frontier,
    append_leaves_sqlite,
    current_frontier,
)

DEFAULT_DB = "./fivestar.db"


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def resolve_db(db: str | None) -> str:
    return db or os.environ.get("FIVESTAR_DB") or DEFAULT_DB


class NoLedger(LookupError):
    """A command that only reads was pointed at a store that holds no ledger."""

    def __init__(self, db: str) -> None:
        super().__init__(
            f"no ledger at {db} (check --db or FIVESTAR_DB; `fivestar import FILE` creates one)"
        )


def require_ledger_file(db: str) -> None:
    """A SQLite ledger must exist before anything but a writing command opens it (opening
    would create an empty file, and its directories)."""
    if not is_postgres(db) and not Path(db).expanduser().is_file():
        raise NoLedger(db)


def ledger_env(db: str, *, create: bool = True) -> dict[str, str]:
    """The eventsourcing environment for the ledger stored at ``db``; ``create=False`` for a
    store that must exist already (nothing is created, not even a directory)."""
    if is_postgres(db):
        return {
            **postgres_env(db),
            # A topic, not an import: the PostgreSQL modules load only when a URL asks.
            "PROCESS_RECORDER_TOPIC": "domain.application.postgres:PostgresLedgerRecorder",
            **({} if create else {"CREATE_TABLE": "n"}),
        }
    if create:
        Path(db).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    else:
        require_ledger_file(db)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(Path(db).expanduser()),
        "SQLITE_LOCK_TIMEOUT": "30",
        "PROCESS_RECORDER_TOPIC": get_topic(SQLiteLedgerRecorder),
    }


def postgres_env(db: str) -> dict[str, str]:
    url = urlparse(db)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_POOL_SIZE": os.environ.get("FIVESTAR_PG_POOL_SIZE", "5"),
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONN_MAX_AGE": "600",
        # Seconds to wait for a connection before asking whether the server is there at
        # all (outage.py): a stopped server ends a command in seconds, not minutes.
        # (FIVESTAR_POSTGRES_CONNECT_TIMEOUT overrides it, as for the other hard-coded keys)
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }


def expect_follows(expected: int | None, last: int, first: int) -> None:
    """A batch written ahead (``ImportWriter``) was decided for a ledger whose last event
    is at ``expected``: refuse it, in its transaction, unless that is the store's ``last``
    and its own events start right after it (``first``). A concurrent writer came between
    otherwise, and the batch goes back to the importing process to be decided again."""
    if expected is not None and not (last == expected and first == expected + 1):
        raise IntegrityError(
            f"the ledger's last event is at {last} (batch from {first}), not at {expected} "
            "as the batch written ahead expected: another process wrote meanwhile"
        )


class SQLiteLedgerRecorder(SQLiteProcessRecorder):
    # The Merkle tree's frontier as of this process's last committed write (or read), so a
    # batch's leaves, subtree-cache rows and an award's basis cost O(batch), not a re-read
    # of the tree; checked against the stored last leaf before each use (ADR 0021).
    frontier: Frontier | None = None
    _written: Frontier | None = None
    # KiB of page cache an import's writes ask of their connection (0: as it is), see
    # ``import_page_cache``.
    _cache_kib = 0

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's ``insert_events`` (one transaction), and ``durable=False`` commits
        without waiting for the disk (``synchronous=NORMAL`` under WAL: a crash of the process
        loses nothing, a power cut may lose the last such commits, never half of one). An
        import relaxes every batch but its last, whose ordinary commit makes them all durable
        (ADR 0021)."""
        durable = kwargs.pop("durable", True)
        self._written = None
        with _writing(self.datastore, durable, self._cache_kib) as c:
            ids = self._insert_events(c, stored_events, **kwargs)
        if self._written is not None:  # committed: the batch's frontier is the store's
            self.frontier = self._written
        return ids

    @contextmanager
    def import_page_cache(self, mib: int) -> Iterator[None]:
        """Within it, writes give their connection a page cache of ``mib`` MiB (0: leave it
        as it is), given back on exit. An import's batches insert into the events' index and
        the leaves' at ~1,500 places each: with SQLite's 2 MB default they re-read and spill
        the same pages batch after batch (``Settings.import_cache_mb``)."""
        if mib <= 0:
            yield
            return
        with self.datastore.get_connection(commit=True) as conn:
            before = conn._sqlite_conn.execute("PRAGMA cache_size").fetchone()[0]
        self._cache_kib = mib * 1024
        try:
            yield
        finally:
            self._cache_kib = 0
            with self.datastore.get_connection(commit=True) as conn:
                conn._sqlite_conn.execute(f"PRAGMA cache_size={int(before)}")

    def insert_snapshots(self, recorder: Any, stored: Sequence[StoredEvent]) -> None:
        """Write snapshots through the snapshot ``recorder``'s statement, without waiting for
        the disk: they are a cache (a lost one costs a replay, never a wrong state), and an
        import evicting branches writes some after every batch (ADR 0021)."""
        with _writing(recorder.datastore, durable=False) as c:
            recorder._insert_events(c, stored)

    def frontier_point(self) -> tuple[int, int, str]:
        """(position, size, root) of the ledger's tree as stored now (``receipts``)."""
        with self.datastore.transaction(commit=False) as c:
            self.frontier = current_frontier(c, self.frontier)
        f = self.frontier
        return f.position, f.size, f.root().hex()

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            "CREATE TABLE IF NOT EXISTS import_refusals ("
            "run TEXT, line INTEGER, record_id TEXT, reason TEXT, "
            "PRIMARY KEY (run, line)) WITHOUT ROWID"
        )
        statements.extend(SQLITE_TABLES)
        return statements

    def convert_originator_id(self, originator_id: str) -> Any:
        """Leave ids as stored: the msgspec mapper decodes them from the event itself, and
        converting 190,000 hex strings to UUIDs costs a rebuild most of a second."""
        return originator_id

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One ``executemany`` for the batch instead of the library's row-by-row inserts.

        Inside the write transaction SQLite gives a rowid table's new rows MAX(rowid)+1,
        +2, ..., so the positions are known without asking for each one."""
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        top = c.fetchone()[0] or 0
        expect_follows(kwargs.get("expect_last"), top, top + 1)
        c.executemany(
            self.insert_events_statement,
            [
                (
                    e.originator_id.hex if isinstance(e.originator_id, UUID) else e.originator_id,
                    e.originator_version,
                    e.topic,
                    e.state,
                )
                for e in stored_events
            ],
        )
        ids = list(range(top + 1, top + 1 + len(stored_events)))
        tracking = kwargs.get("tracking")
        if tracking is not None:
            self._insert_tracking(c, tracking)
        refusals = kwargs.get("refusals")
        if refusals:
            c.executemany(
                "INSERT OR REPLACE INTO import_refusals VALUES (?, ?, ?, ?)",
                [(kwargs["refusal_log"], *row) for row in refusals],
            )
        self._written = append_leaves_sqlite(
            c, self.events_table_name, stored_events, ids, self.frontier
        )
        return ids

    def select_refusals(self, run: str) -> list[tuple[int, str, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT line, record_id, reason FROM import_refusals WHERE run=? ORDER BY line",
                (run,),
            )
            return [(row[0], row[1], row[2]) for row in c.fetchall()]

    def select_states(self, after: int, stop: int, limit: int) -> list[tuple[int, str, bytes]]:
        """(position, topic, state) of the log after ``after`` up to ``stop``: what the
        projection needs, without building a ``Notification`` per row."""
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples: no ``sqlite3.Row`` per row
            c.execute(
                f"SELECT rowid, topic, state FROM {self.events_table_name} "
                "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?",
                (after, stop, limit),
            )
            return c.fetchall()

    def select_by_stream(
        self, after: tuple[str, int], stop: int, limit: int, until: str | None = None
    ) -> list[tuple[str, int, int, str, bytes, int | None, bytes | None]]:
        """(stream, version, position, topic, state, leaf version, leaf hash) of events up to
        ``stop``, stream by stream in stream order, after the (stream, version) ``after``
        (keyset pages), of the streams whose id sorts below ``until`` (a prefix of hex
        digits); the leaf the ledger recorded for the event (None: it has none) comes along
        so that the rebuild verifies what it replays.

        The leaf at an event's position is looked up by its index first: leaves are numbered
        in ledger order and SQLite's positions have no gaps, so leaf ``position - 1`` is the
        one (``l.position = e.rowid`` keeps the look-up exact), one primary-key probe instead
        of the position index's and then the table's. An event not found so (a gap, or no
        leaf) is looked up by position, as before (ADR 0029)."""
        below = "AND e.originator_id < ? " if until else ""
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # plain tuples: no ``Row`` per event
            c.execute(
                f"SELECT e.originator_id, e.originator_version, e.rowid, e.topic, e.state, "
                f"l.version, l.leaf_hash FROM {self.events_table_name} e "
                "LEFT JOIN merkle_leaves l ON l.leaf_index = e.rowid - 1 AND l.position = e.rowid "
                f"WHERE (e.originator_id, e.originator_version) > (?, ?) AND e.rowid <= ? {below}"
                "ORDER BY e.originator_id, e.originator_version LIMIT ?",
                (*after, stop, *([until] if until else []), limit),
            )
            rows = c.fetchall()
            unmatched = [i for i, row in enumerate(rows) if row[6] is None]
            if unmatched:
                _leaves_by_position(c, rows, unmatched)
            return rows

    def count_events(self, stop: int) -> int:
        """How many events the log holds up to position ``stop``: counted over the primary
        key's index (which holds every row's rowid too), a tenth of the table's pages."""
        with self.datastore.transaction(commit=False) as c:
            index = f"sqlite_autoindex_{self.events_table_name}_1"
            try:
                c.execute(
                    f"SELECT COUNT(*) FROM {self.events_table_name} INDEXED BY {index} "
                    "WHERE rowid <= ?",
                    (stop,),
                )
            except sqlite3.OperationalError:  # no such index: the table's own pages
                c.execute(
                    f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid <= ?", (stop,)
                )
            return int(c.fetchone()[0])

    def select_branch(self, snapshots_table: str, originator_id: UUID) -> list[tuple[str, bytes]]:
        """(topic, state) of a stream's last snapshot, if any, and of its events after it, in
        one read transaction: the library's two reads (one transaction each) cost an import
        that reloads evicted branches a tenth of its time (ADR 0027)."""
        key = originator_id.hex
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, topic, state FROM {snapshots_table} "
                "WHERE originator_id=? ORDER BY originator_version DESC LIMIT 1",
                (key,),
            )
            snapshot = c.fetchone()
            c.execute(
                f"SELECT topic, state FROM {self.events_table_name} "
                "WHERE originator_id=? AND originator_version>? ORDER BY originator_version",
                (key, snapshot[0] if snapshot else 0),
            )
            rows = [(row[0], row[1]) for row in c.fetchall()]
        return [(snapshot[1], snapshot[2]), *rows] if snapshot else rows

    def select_stream(self, originator_id: UUID) -> list[Notification]:
        """A stream's events with their ledger positions, in stream order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} "
                "WHERE originator_id=? ORDER BY originator_version",
                (originator_id.hex,),
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=originator_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def select_of_streams_not_begun_by(
        self, first_topic: str, topic: str, stop: int
    ) -> list[tuple[int, str, bytes]]:
        """(position, topic, state) of the events with ``topic`` up to ``stop``, in ledger
        order, among the streams whose first event is not a ``first_topic`` one (a
        rebuild's rulebook adoptions: every branch stream begins with its registration).
        The streams are found by skipping through the primary key's index, one probe per
        stream, instead of scanning every event for its topic (0.9 s at 6,000 branches)."""
        table = self.events_table_name
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None
            c.execute(
                "WITH RECURSIVE s(id) AS ("
                f"SELECT MIN(originator_id) FROM {table} UNION ALL "
                f"SELECT (SELECT MIN(originator_id) FROM {table} WHERE originator_id > s.id) "
                "FROM s WHERE s.id IS NOT NULL) "
                f"SELECT e.originator_id FROM s JOIN {table} e "
                "ON e.originator_id = s.id AND e.originator_version = "
                f"(SELECT MIN(originator_version) FROM {table} WHERE originator_id = s.id) "
                "WHERE e.topic != ?",
                (first_topic,),
            )
            streams = [row[0] for row in c.fetchall()]
            rows: list[tuple[int, str, bytes]] = []
            for stream in streams:
                c.execute(
                    f"SELECT rowid, topic, state FROM {table} "
                    "WHERE originator_id = ? AND rowid <= ? AND topic = ?",
                    (stream, stop, topic),
                )
                rows.extend((row[0], row[1], row[2]) for row in c.fetchall())
        return sorted(rows)


def _leaves_by_position(c: Any, rows: list[Any], unmatched: list[int]) -> None:
    """Put the leaf at the position of each of ``rows[i]`` (i in ``unmatched``, found with
    no leaf by index) into it, looked up by position; rows with none keep None."""
    found: dict[int, tuple[int, bytes]] = {}
    positions = [rows[i][2] for i in unmatched]
    for start in range(0, len(positions), 500):
        chunk = positions[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        c.execute(
            f"SELECT position, version, leaf_hash FROM merkle_leaves WHERE position IN ({marks})",
            chunk,
        )
        found.update((row[0], (row[1], row[2])) for row in c.fetchall())
    for i in unmatched:
        leaf = found.get(rows[i][2])
        if leaf is not None:
            rows[i] = (*rows[i][:5], *leaf)


@contextmanager
def _writing(datastore: Any, durable: bool, cache_kib: int = 0) -> Iterator[Any]:
    """A write transaction (the library's ``datastore.transaction(commit=True)``); with
    ``durable=False`` its commit does not wait for the disk (``synchronous=NORMAL`` under WAL;
    the setting is per connection and cannot change inside a transaction, so it is set
    around it and restored); ``cache_kib`` sizes the connection's page cache first."""
    with datastore.get_connection(commit=True) as conn:
        raw = conn._sqlite_conn
        if cache_kib:
            raw.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        if not durable:
            level = raw.execute("PRAGMA synchronous").fetchone()[0]
            raw.execute("PRAGMA synchronous=NORMAL")
        try:
            with conn.transaction(commit=True) as c:
                yield c
        finally:
            if not durable:
                raw.execute(f"PRAGMA synchronous={int(level)}")


def ledger_tables_exist(datastore: Any, events_table: str) -> bool:
    """Whether the ledger's events table exists in a PostgreSQL database."""
    schema = getattr(datastore, "schema", "") or "public"
    with datastore.transaction(commit=False) as c:
        c.execute("SELECT to_regclass(%s) AS present", (f"{schema}.{events_table}",))
        return c.fetchall()[0]["present"] is not None
