"""The PostgreSQL view store, imported only when ``--db`` is a ``postgresql://`` URL
(psycopg and the library's PostgreSQL module cost every SQLite command a tenth of a second).
The ledger's PostgreSQL recorder is ``domain/application/postgres.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder

from projections.tables import ReadModel, ViewStore, ViewWriter

# Whether the server can compress TOASTed values with lz4 (PostgreSQL 14+, built with it).
_LZ4 = (
    "SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'"
)


class PostgresViewStore(ViewStore, PostgresTrackingRecorder):
    blob = "BYTEA"
    lz4: bool | None = None  # asked of the server with the first write

    def __init__(
        self, datastore: PostgresDatastore, prefix: str, read_models: Sequence[ReadModel]
    ) -> None:
        super().__init__(datastore, tracking_table_name="fivestar_views_tracking")
        self.setup(prefix, read_models)

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    @property
    def tracking_table(self) -> str:
        return f"{self.datastore.schema}.{self.tracking_table_name}"

    @contextmanager
    def writing(self) -> Iterator[ViewWriter]:
        """A write transaction whose large values (the facts blobs, kilobytes each, rewritten
        as their branches change) are compressed with lz4 where the server has it, not the
        default pglz: pglz was most of the server's time in writing the read models during
        an import or a rebuild. Reading needs nothing: each value records its method."""
        with self.datastore.transaction(commit=True) as c:
            if self.lz4 is None:
                c.execute(_LZ4)
                row = c.fetchone()
                self.lz4 = bool(row and row["lz4"])
            if self.lz4:
                c.execute("SET LOCAL default_toast_compression = lz4")
            yield ViewWriter(self, c)
