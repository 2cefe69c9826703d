"""The read-model tables and their tracking position, on SQLite or PostgreSQL.

Each view store is one of the library's tracking recorders extended with plain tables, so a
batch of rows and the position of the last event it reflects commit in one transaction (the
pattern of the library's materialised-view example). Tables carry a prefix: ``""`` for the
live read models, ``rb_`` while ``fivestar rebuild`` builds fresh ones beside them; the
rebuild swaps them in with one transaction at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.application.ledger import Ledger
from domain.application.store import is_postgres, views_sqlite_path
from projections import cases as cases_model
from projections import ladder as ladder_model

TABLES: dict[str, tuple[str, str]] = {
    # name: (columns, primary key)
    "branches": (
        "code TEXT, name TEXT, kind TEXT, county TEXT, township TEXT, households BIGINT, "
        "population BIGINT, registered_on TEXT, position BIGINT",
        "code",
    ),
    "secretaries": (
        "code TEXT, position BIGINT, on_date TEXT, person TEXT, civil_servant INTEGER, "
        "record_id TEXT",
        "code, position",
    ),
    "branch_facts": ("code TEXT, facts {blob}", "code"),
    "year_facts": ("year INTEGER, code TEXT, facts {blob}", "year, code"),
    "eligibility": (
        "year INTEGER, code TEXT, county TEXT, township TEXT, rulebook TEXT, "
        "excluded INTEGER, eligible TEXT, result {blob}",
        "year, code",
    ),
    "awards": (
        "year INTEGER, code TEXT, record_id TEXT, stars TEXT, by_level TEXT, on_date TEXT, "
        "position BIGINT, recorded_at TEXT",
        "year, code",
    ),
    # mechanisms.md §2 (projections.compliance): whole fold per branch, slice per branch-year
    "mechanism_facts": ("code TEXT, facts {blob}", "code"),
    "compliance_years": ("year INTEGER, code TEXT, facts {blob}", "year, code"),
    "stream_progress": ("part INTEGER, base BIGINT, last_stream TEXT, finished INTEGER", "part"),
    "adoptions": (
        "position BIGINT, year INTEGER, rulebook TEXT, reason TEXT, recorder TEXT, "
        "recorded_at TEXT",
        "position",
    ),
}
# Read models kept in modules of their own (cases, ladder): created, rebuilt and swapped here.
TABLES.update(cases_model.TABLES)
TABLES.update(ladder_model.TABLES)
LIVE, REBUILD = "", "rb_"


class ViewStore:
    """SQL over the read-model tables; mixed into a library tracking recorder below."""

    blob = "BLOB"
    prefix = LIVE

    # ``datastore``, ``_insert_tracking`` and ``max_tracking_id`` come from the library's
    # tracking recorder that this class is mixed into (it stands first in the MRO).
    datastore: Any

    @property
    def tracking_name(self) -> str:
        return f"{self.prefix}views"

    def sql(self, statement: str) -> str:
        return statement

    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def create_views(self) -> None:
        stamp = f"{int(time.time() * 1000)}"
        with self.datastore.transaction(commit=True) as c:
            for name, (columns, key) in TABLES.items():
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table(name)} "
                    f"({columns.format(blob=self.blob)}, "
                    f"CONSTRAINT {self.table(name)}_pk_{stamp} PRIMARY KEY ({key}))"
                )

    def position(self) -> int:
        return self.max_tracking_id(self.tracking_name) or 0  # type: ignore[attr-defined]

    @contextmanager
    def writing(self) -> Iterator[ViewWriter]:
        with self.datastore.transaction(commit=True) as c:
            yield ViewWriter(self, c)

    @contextmanager
    def reading(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=False) as c:
            yield c

    def stream_progress(self) -> dict[int, tuple[int, str, bool]]:
        """Where a stream-by-stream rebuild stands, per part of the stream key space: (log
        position it rebuilds up to, last stream done, finished); empty when none is."""
        rows = self.query("SELECT part, base, last_stream, finished FROM {p}stream_progress")
        return {r["part"]: (r["base"], r["last_stream"], bool(r["finished"])) for r in rows}

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.reading() as c:
            c.execute(self.sql(statement.format(p=self.prefix)), params)
            return list(c.fetchall())

    def swap_in(self, rebuilt: ViewStore) -> None:
        """Replace the live tables by the rebuilt ones, with the rebuild's position."""
        position = rebuilt.position()
        with self.datastore.transaction(commit=True) as c:
            for name in TABLES:
                c.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
                c.execute(f"ALTER TABLE {rebuilt.table(name)} RENAME TO {self.table(name)}")
            self._reset_tracking(c, self.tracking_name, position)
            self._reset_tracking(c, rebuilt.tracking_name, None)

    def drop(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for name in TABLES:
                c.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
            self._reset_tracking(c, self.tracking_name, None)

    def _reset_tracking(self, c: Any, name: str, position: int | None) -> None:
        c.execute(
            self.sql(f"DELETE FROM {self.tracking_table} WHERE application_name = ?"), (name,)
        )
        if position:
            self._insert_tracking(c, Tracking(name, position))  # type: ignore[attr-defined]

    @property
    def tracking_table(self) -> str:
        return "tracking"


class ViewWriter:
    """One transaction's writes to the read models (rows and the tracking position)."""

    def __init__(self, store: ViewStore, cursor: Any) -> None:
        self.store = store
        self.c = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.c.execute(self.store.sql(statement.format(p=self.store.prefix)), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.c.executemany(self.store.sql(statement.format(p=self.store.prefix)), rows)

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        self.execute(statement, params)
        return list(self.c.fetchall())

    def upsert(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        columns, key = TABLES[name]
        names = [col.split()[0] for col in columns.split(", ")]
        keys = {k.strip() for k in key.split(",")}
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
        marks = ", ".join("?" for _ in names)
        self.executemany(
            f"INSERT INTO {{p}}{name} ({', '.join(names)}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
            rows,
        )

    def set_stream_progress(self, part: int, base: int, last_stream: str, finished: bool) -> None:
        self.upsert("stream_progress", [(part, base, last_stream, int(finished))])

    def clear_stream_progress(self) -> None:
        self.execute("DELETE FROM {p}stream_progress")

    def track(self, position: int) -> None:
        self.store._insert_tracking(  # type: ignore[attr-defined]
            self.c, Tracking(self.store.tracking_name, position)
        )


class SQLiteViewStore(ViewStore, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, prefix: str = LIVE) -> None:
        super().__init__(datastore)
        self.prefix = prefix


def open_views(db: str, ledger: Ledger, prefix: str = LIVE, *, create: bool = True) -> ViewStore:
    """The read-model store beside the ledger (sibling SQLite file, or the same database);
    ``create=False`` where the tables are known to exist (concurrent DDL races on PostgreSQL)."""
    store: ViewStore
    if is_postgres(db):
        from projections.pg import PostgresViewStore  # only when a URL asks for PostgreSQL

        store = PostgresViewStore(ledger.factory.datastore, prefix)  # type: ignore[attr-defined]
    else:
        store = SQLiteViewStore(SQLiteDatastore(views_sqlite_path(db), lock_timeout=30), prefix)
    if create:
        store.create_table()  # type: ignore[attr-defined]
        store.create_views()
    return store
