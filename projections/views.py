"""The one place on the read side that knows SQLite from PostgreSQL: which view store opens.

A file path keeps the read models in a sibling SQLite file, ``NAME.views.db``, so projection
writes never hold the event store's write lock; a ``postgresql://`` URL keeps them in tables
of the ledger's own database, on the ledger's connection pool (``pg.py``, imported only
then). The shared SQL is in ``tables.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteTrackingRecorder,
)

from projections.tables import LIVE, REBUILD, ReadModel, ViewStore, ViewWriter

__all__ = ["LIVE", "REBUILD", "SQLiteViewStore", "ViewStore", "ViewWriter", "open_views"]


class _DerivedDataPool(SQLiteConnectionPool):
    """Connections to the read models' file with ``secure_delete`` off. Debian's SQLite is
    built with it on, so every page a rewritten row or a dropped table frees is overwritten
    with zeros: the swap after a 6,000-branch rebuild wrote 0.9 GB of zeros (4.0 s; 0.8 s
    without), and the projector's upserts of kilobyte rows zero their old overflow pages.
    Read models are derived data, rebuilt from the ledger at will; the ledger's own file
    keeps the build's setting (ADR 0028)."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute("PRAGMA secure_delete=OFF")
        return connection


class _ViewsDatastore(SQLiteDatastore):
    def __init__(self, path: str, lock_timeout: int) -> None:
        super().__init__(path, lock_timeout=lock_timeout)
        self.pool = _DerivedDataPool(db_name=path, lock_timeout=lock_timeout)


class SQLiteViewStore(ViewStore, SQLiteTrackingRecorder):
    def __init__(
        self, datastore: SQLiteDatastore, prefix: str, read_models: Sequence[ReadModel]
    ) -> None:
        super().__init__(datastore)
        self.setup(prefix, read_models)


def is_postgres_url(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def views_sqlite_path(db: str) -> str:
    path = Path(db).expanduser()
    return str(path.with_name(f"{path.stem}.views{path.suffix or '.db'}"))


def open_views(
    db: str,
    ledger_datastore: Any,
    prefix: str = LIVE,
    *,
    create: bool = True,
    read_models: Sequence[ReadModel] | None = None,
) -> ViewStore:
    """The read-model store beside the ledger stored at ``db`` (every registered read model
    unless ``read_models`` is given); ``ledger_datastore`` is the ledger's own, shared on
    PostgreSQL. ``create=False`` where the tables are known to exist (concurrent DDL races
    on PostgreSQL)."""
    if read_models is None:
        from projections import READ_MODELS

        read_models = READ_MODELS
    store: ViewStore
    if is_postgres_url(db):
        from projections.pg import PostgresViewStore  # only when a URL asks for PostgreSQL

        store = PostgresViewStore(ledger_datastore, prefix, read_models)
    else:
        sqlite = _ViewsDatastore(views_sqlite_path(db), lock_timeout=30)
        store = SQLiteViewStore(sqlite, prefix, read_models)
    if create:
        store.create_table()
        store.create_views()
    return store
