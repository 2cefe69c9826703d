"""The API token store: table ``api_tokens`` in the LEDGER database (ADR 0008).

Tokens live beside the events, not among the read models, because ``fivestar rebuild`` drops
and rebuilds those. Only a token's SHA-256 is stored; the token itself is shown once when it
is issued. A revoked token keeps its row (its name is what the ledger records as recorder, so
a name is never reused).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

from domain.application.ledger import Ledger
from projections.tables import one_statement

COLUMNS = "name, token_hash, role, county, township, branch, issued_at, revoked_at"


class TokenError(ValueError):
    """A token that cannot be issued or revoked as asked (name taken, unknown name)."""


@dataclass(frozen=True)
class StoredToken:
    name: str
    role: str
    county: str | None
    township: str | None
    branch: str | None
    issued_at: str
    revoked_at: str | None


class TokenStore:
    """Issue, revoke, list and look up tokens by hash, on the ledger's own datastore."""

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        self.postgres = not isinstance(datastore, SQLiteDatastore)
        schema = getattr(datastore, "schema", "") if self.postgres else ""
        self.table = f"{schema}.api_tokens" if schema else "api_tokens"

    @classmethod
    def for_ledger(cls, ledger: Ledger) -> TokenStore:
        store = cls(ledger.factory.datastore)  # type: ignore[attr-defined]
        store.create_table()
        return store

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{t}", self.table)
        return statement.replace("?", "%s") if self.postgres else statement

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {t} (name TEXT PRIMARY KEY, "
                    "token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, county TEXT, "
                    "township TEXT, branch TEXT, issued_at TEXT NOT NULL, revoked_at TEXT)"
                )
            )

    def issue(
        self,
        name: str,
        token_hash: str,
        role: str,
        county: str | None = None,
        township: str | None = None,
        branch: str | None = None,
    ) -> StoredToken:
        issued_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self.datastore.transaction(commit=True) as c:
            c.execute(self._sql("SELECT name FROM {t} WHERE name = ?"), (name,))
            if c.fetchall():
                raise TokenError(f"a token named {name!r} exists (names are never reused)")
            c.execute(
                self._sql(f"INSERT INTO {{t}} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"),
                (name, token_hash, role, county, township, branch, issued_at),
            )
        return StoredToken(name, role, county, township, branch, issued_at, None)

    def revoke(self, name: str) -> StoredToken:
        revoked_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self._sql("UPDATE {t} SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"),
                (revoked_at, name),
            )
        token = self.get(name)
        if token is None:
            raise TokenError(f"no token named {name!r}")
        return token

    def get(self, name: str) -> StoredToken | None:
        rows = self._select("WHERE name = ?", (name,))
        return rows[0] if rows else None

    def find(self, token_hash: str) -> StoredToken | None:
        """The active token with this hash, if any."""
        rows = self._select("WHERE token_hash = ? AND revoked_at IS NULL", (token_hash,))
        return rows[0] if rows else None

    def list(self) -> builtins.list[StoredToken]:
        return self._select("ORDER BY name", ())

    def _select(self, where: str, params: tuple[Any, ...]) -> builtins.list[StoredToken]:
        columns = COLUMNS.replace("token_hash, ", "")
        # every API request looks its token up: one statement, no BEGIN and ROLLBACK
        with one_statement(self.datastore) as c:
            c.execute(self._sql(f"SELECT {columns} FROM {{t}} {where}"), params)
            rows = c.fetchall()
        return [
            StoredToken(
                row["name"],
                row["role"],
                row["county"],
                row["township"],
                row["branch"],
                row["issued_at"],
                row["revoked_at"],
            )
            for row in rows
        ]
