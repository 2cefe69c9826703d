"""The PostgreSQL view store, imported only when ``--db`` is a ``postgresql://`` URL
(psycopg and the library's PostgreSQL module cost every SQLite command a tenth of a second).
The ledger's PostgreSQL recorder is ``domain/application/postgres.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import errors

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

    def claim_projection(self, c: Any) -> None:
        """PostgreSQL: one projector at a time per set of read models (per prefix), for the
        rest of the transaction; later statements see what the previous holder committed."""
        c.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"fivestar-projection:{self.prefix}",)
        )

    def copy_rows(self, w: ViewWriter, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """``ViewWriter.fill``: the rows by one binary ``COPY`` instead of an upsert per row
        (parameters bound, the blobs sent and parsed row by row: most of the client's and
        much of the server's time in writing a rebuild's tables). Rows repeating a key keep
        the last, as the upsert would; should a key be in the table already after all, the
        copy is rolled back to its savepoint and the rows are upserted."""
        columns, key = self.tables[name]
        names = [col.split()[0] for col in columns.split(", ")]
        types = [_COPY_TYPES.get(col.split()[1]) for col in columns.split(", ")]
        if None in types:
            w.upsert(name, rows)
            return
        at = [names.index(k.strip()) for k in key.split(",")]
        last = {tuple(row[i] for i in at): row for row in rows}
        statement = f"COPY {self.table(name)} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
        try:
            with w.c.connection.transaction(), w.c.copy(statement) as copy:
                copy.set_types(types)
                for row in last.values():
                    copy.write_row(row)
        except errors.UniqueViolation:
            w.upsert(name, rows)


# Binary COPY types of the column types the read models declare (``{blob}`` is BYTEA here).
_COPY_TYPES = {"TEXT": "text", "INTEGER": "int4", "BIGINT": "int8", "{blob}": "bytea"}
