"""What every read model shares: the ``ReadModel`` entry, plain tables with tracked positions.

A read model is one module ``projections/<name>.py`` that defines

- ``TABLES``: ``{table: (columns, primary key)}``, the tables it owns (``{blob}`` in a column
  type stands for the backend's binary type); they are created, rebuilt and swapped with it;
- a projection class whose ``process(w, batch)`` applies a batch of positioned events
  ``[(position, event), ...]`` (ascending, each after the model's tracked position) through
  the ``ViewWriter`` ``w``, idempotently per position, and whose ``committed(position)`` is
  told once that batch's transaction committed (for caches; may do nothing);
- optionally, ``stream_rows(batch, ledger_events)``: what ``fivestar rebuild`` calls instead
  of ``process`` (ADR 0020): ``batch`` holds whole branch streams (every event of each of
  its branches up to the rebuild's position, ascending per branch, branch after branch),
  ``ledger_events`` the events of no branch up to that position (the adoptions), already
  processed into the tables, which hold nothing of these branches yet; it returns
  ``{table: rows}`` to upsert, computed without the store, so that the rebuild's workers
  fold in parallel and hold the write lock only to write. It must give the rows ``process``
  would leave. Without it the rebuild calls ``process(w, batch)``, which must then give
  the same rows as the log in ledger order (true when every row depends on one branch);
- its queries: functions of a ``ViewStore`` doing plain SELECTs;
- ``READ_MODEL = ReadModel("<name>", TABLES, ProjectionClass)``,

and is registered by one line in ``projections/__init__.py`` (``READ_MODELS``). The runner
keeps one tracking position per read model, in the same transaction as its rows, so a read
model added to an existing store catches up from the start of the log on its own.

The view store is one of the library's tracking recorders extended with these tables, so a
batch of rows and its position commit in one transaction (the pattern of the library's
materialised-view example). Tables carry a prefix: ``""`` for the live read models, ``rb_``
while ``fivestar rebuild`` builds fresh ones beside them; the rebuild swaps them in with one
transaction at the end. ``views.py`` (SQLite) and ``pg.py`` (PostgreSQL) are the only
modules that know the backend.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from domain.model.events import LedgerEvent

Positioned = tuple[int, LedgerEvent]
Tables = Mapping[str, tuple[str, str]]
LIVE, REBUILD = "", "rb_"

# The rebuild's own bookkeeping (domain/application/rebuild.py), beside the read models.
SYSTEM_TABLES: dict[str, tuple[str, str]] = {
    "stream_progress": ("part INTEGER, base BIGINT, last_stream TEXT, finished INTEGER", "part"),
}


class Projection(Protocol):
    """How events change one read model's rows."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None: ...

    def committed(self, position: int) -> None: ...


class StreamRows(Protocol):
    """The optional rebuild hook of a projection (see the module's docstring)."""

    def stream_rows(
        self, batch: Sequence[Positioned], ledger_events: Sequence[Positioned]
    ) -> Mapping[str, Sequence[Sequence[Any]]]: ...


@dataclass(frozen=True)
class ReadModel:
    """One registered read model: its name (also its tracking name), tables and projection.

    ``version`` is the shape of its rows: bump it when a change makes the same events give
    other rows (a fix, a new column). Read models stored by another version are then
    refused, naming ``fivestar rebuild``, rather than served stale (``identity.py``)."""

    name: str
    tables: Tables
    projection: type[Projection]
    version: int = 1


def all_tables(read_models: Sequence[ReadModel]) -> dict[str, tuple[str, str]]:
    """Every table of the given read models and the rebuild's; a name used twice is a bug."""
    tables = dict(SYSTEM_TABLES)
    for model in read_models:
        clash = tables.keys() & model.tables.keys()
        if clash:
            raise ValueError(f"read model {model.name} redefines tables {sorted(clash)}")
        tables.update(model.tables)
    return tables


@contextmanager
def one_statement(datastore: Any) -> Iterator[Any]:
    """A cursor for a single read statement, outside an explicit transaction.

    A lone SELECT sees one snapshot on either store, so the library's read transaction adds
    only cost: on SQLite its ``BEGIN`` and ``ROLLBACK`` took 120 of a query's 150 µs, on
    PostgreSQL they are two more round trips. Every API request reads its token and the read
    models' position this way (issue 15, reads under load). PostgreSQL's datastore has the
    library's autocommit ``cursor()``; SQLite's connections are in autocommit mode already."""
    cursor = getattr(datastore, "cursor", None)
    if cursor is not None:
        with cursor() as c:
            yield c
        return
    with datastore.get_connection(commit=False) as connection:
        c = connection.cursor()
        try:
            yield c
        finally:
            c.sqlite_cursor.close()


class ViewStore:
    """SQL over the read-model tables; mixed into a library tracking recorder (``views.py``,
    ``pg.py``), which provides ``datastore``, ``_insert_tracking`` and ``max_tracking_id``."""

    blob = "BLOB"
    prefix = LIVE
    datastore: Any
    read_models: Sequence[ReadModel] = ()
    tables: dict[str, tuple[str, str]] = {}  # noqa: RUF012  (set per instance by ``setup``)

    def setup(self, prefix: str, read_models: Sequence[ReadModel]) -> None:
        self.prefix = prefix
        self.read_models = tuple(read_models)
        self.tables = all_tables(self.read_models)

    def tracking_name(self, model: str) -> str:
        return f"{self.prefix}views:{model}"

    def sql(self, statement: str) -> str:
        return statement

    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def create_views(self) -> None:
        stamp = f"{int(time.time() * 1000)}"
        with self.datastore.transaction(commit=True) as c:
            for name, (columns, key) in self.tables.items():
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table(name)} "
                    f"({columns.format(blob=self.blob)}, "
                    f"CONSTRAINT {self.table(name)}_pk_{stamp} PRIMARY KEY ({key}))"
                )
            # Stores made before read models had positions of their own tracked one
            # position, "views", for the eligibility tables: it is theirs.
            c.execute(
                self.sql(
                    f"UPDATE {self.tracking_table} SET application_name = ? "
                    "WHERE application_name = ?"
                ),
                (self.tracking_name("eligibility"), f"{self.prefix}views"),
            )

    def positions(self) -> dict[str, int]:
        """Each read model's tracked position (0: it reflects no event yet)."""
        return {
            model.name: self.max_tracking_id(self.tracking_name(model.name)) or 0  # type: ignore[attr-defined]
            for model in self.read_models
        }

    def position(self, model: str | None = None) -> int:
        """The position every read model (or ``model``) reflects."""
        if model is not None:
            return self.max_tracking_id(self.tracking_name(model)) or 0  # type: ignore[attr-defined]
        return min(self.positions().values(), default=0)

    @contextmanager
    def writing(self) -> Iterator[ViewWriter]:
        with self.datastore.transaction(commit=True) as c:
            yield ViewWriter(self, c)

    def claim_projection(self, c: Any) -> None:
        """SQLite: take the file's write lock now, as the transaction's first statement (a
        write that changes nothing), so that it waits for another projector's commit
        instead of reading before it and failing, or applying its events again, after."""
        c.execute(f"UPDATE {self.tracking_table} SET notification_id = notification_id WHERE 0 = 1")

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
        """Rows of one SELECT; ``{p}`` before a table name stands for the prefix."""
        with one_statement(self.datastore) as c:
            c.execute(self.sql(statement.format(p=self.prefix)), params)
            return list(c.fetchall())

    def swap_in(self, rebuilt: ViewStore) -> None:
        """Replace the live tables by the rebuilt ones, with the rebuild's positions."""
        positions = rebuilt.positions()
        with self.datastore.transaction(commit=True) as c:
            for name in self.tables:
                c.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
                c.execute(f"ALTER TABLE {rebuilt.table(name)} RENAME TO {self.table(name)}")
            for model in self.read_models:
                self._reset_tracking(c, self.tracking_name(model.name), positions[model.name])
                self._reset_tracking(c, rebuilt.tracking_name(model.name), None)

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
    """One transaction's writes to the read models (rows and tracking positions)."""

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
        """Insert rows of table ``name`` (all its columns, in order), replacing on the key."""
        columns, key = self.store.tables[name]
        names = [col.split()[0] for col in columns.split(", ")]
        keys = {k.strip() for k in key.split(",")}
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
        marks = ", ".join("?" for _ in names)
        self.executemany(
            f"INSERT INTO {{p}}{name} ({', '.join(names)}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
            rows,
        )

    def fill(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """``upsert`` into a table that holds none of the rows' keys yet (a rebuild's fresh
        tables, each branch written once): the store's bulk load where it has one
        (PostgreSQL: ``COPY``, ADR 0029), with the same result."""
        bulk = getattr(self.store, "copy_rows", None)
        if bulk is None or not rows:
            self.upsert(name, rows)
        else:
            bulk(self, name, rows)

    def set_stream_progress(self, part: int, base: int, last_stream: str, finished: bool) -> None:
        self.upsert("stream_progress", [(part, base, last_stream, int(finished))])

    def clear_stream_progress(self) -> None:
        self.execute("DELETE FROM {p}stream_progress")

    def claim(self) -> dict[str, int]:
        """Hold the read models for this transaction against any other projector (the
        import's while ``serve`` runs its own) and return each model's tracked position as
        of now: a batch is filtered by these, never by positions read before the claim,
        so no event is applied twice."""
        self.store.claim_projection(self.c)
        return {
            model.name: self.store._max_tracking_id(  # type: ignore[attr-defined]
                self.store.tracking_name(model.name), self.c
            )
            or 0
            for model in self.store.read_models
        }

    def track(self, model: str, position: int) -> None:
        """Record that read model ``model`` reflects the log up to ``position``."""
        self.store._insert_tracking(  # type: ignore[attr-defined]
            self.c, Tracking(self.store.tracking_name(model), position)
        )
