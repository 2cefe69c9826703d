"""The PostgreSQL view store, imported only when ``--db`` is a ``postgresql://`` URL
(psycopg and the library's PostgreSQL module cost every SQLite command a tenth of a second).
The ledger's PostgreSQL recorder is ``domain/application/postgres.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder

from projections.tables import ReadModel, ViewStore


class PostgresViewStore(ViewStore, PostgresTrackingRecorder):
    blob = "BYTEA"

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
