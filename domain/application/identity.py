"""Which ledger a store holds, and which ledger (and rulebook reach) its read models reflect.

A ledger gets a random identity when it is created, written into the ledger's own datastore;
the read models record the identity of the ledger they were built from (and the honour reach
of the rulebooks they were built with, ADR 0012). Opening a store compares them, so read
models left behind by another ledger (a deleted ``fivestar.db`` beside a kept
``fivestar.views.db``) or ahead of the ledger are never served: the user is told to run
``fivestar rebuild``.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

LEDGER_TABLE = "ledger_identity"
VIEWS_TABLE = "views_identity"
FORMATS_TABLE = "views_versions"  # a table of its own: stores bound before it stay readable


class StoreMismatch(RuntimeError):
    """The read models do not belong to this ledger (or are ahead of it): rebuild them."""


class _Table:
    """A one-row table on a library datastore (SQLite or PostgreSQL, schema-qualified)."""

    def __init__(self, datastore: Any, name: str, columns: str) -> None:
        self.datastore = datastore
        self.postgres = not isinstance(datastore, SQLiteDatastore)
        schema = getattr(datastore, "schema", "") if self.postgres else ""
        self.name = f"{schema}.{name}" if schema else name
        self.columns = f"k INTEGER PRIMARY KEY, {columns}"
        self.names = [c.split()[0] for c in columns.split(", ")]

    def _sql(self, statement: str) -> str:
        statement = statement.replace("{t}", self.name)
        return statement.replace("?", "%s") if self.postgres else statement

    def _create(self, c: Any) -> None:
        c.execute(self._sql(f"CREATE TABLE IF NOT EXISTS {{t}} ({self.columns})"))

    def read(self) -> Any | None:
        for attempt in range(3):  # concurrent first opens race on CREATE TABLE (PostgreSQL)
            try:
                with self.datastore.transaction(commit=True) as c:
                    self._create(c)
                    c.execute(self._sql("SELECT * FROM {t} WHERE k = 1"))
                    rows = c.fetchall()
                return rows[0] if rows else None
            except Exception:
                if attempt == 2:
                    raise
        return None

    def write(self, *values: object, replace: bool) -> None:
        """Write the row; ``replace=False`` keeps a row written first by another process."""
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{n} = excluded.{n}" for n in self.names)
        conflict = f"DO UPDATE SET {updates}" if replace else "DO NOTHING"
        with self.datastore.transaction(commit=True) as c:
            self._create(c)
            c.execute(
                self._sql(
                    f"INSERT INTO {{t}} (k, {', '.join(self.names)}) VALUES (1, {marks}) "
                    f"ON CONFLICT (k) {conflict}"
                ),
                values,
            )


def ledger_identity(datastore: Any) -> str:
    """The ledger's identity, created with the ledger (or the first time an older one is
    opened by this version); when two processes race, the first one written wins."""
    table = _Table(datastore, LEDGER_TABLE, "identity TEXT")
    row = table.read()
    if row is None:
        table.write(uuid.uuid4().hex, replace=False)
        row = table.read()
    assert row is not None, "the identity row was just written"
    return str(row["identity"])


def views_binding(datastore: Any) -> tuple[str, int] | None:
    """(ledger identity, honour reach) the read models were built for; None: never bound."""
    row = _Table(datastore, VIEWS_TABLE, "ledger TEXT, honour_reach INTEGER").read()
    return None if row is None else (str(row["ledger"]), int(row["honour_reach"]))


def bind_views(datastore: Any, ledger: str, reach: int) -> None:
    _Table(datastore, VIEWS_TABLE, "ledger TEXT, honour_reach INTEGER").write(
        ledger, reach, replace=True
    )


def views_versions(datastore: Any) -> dict[str, int] | None:
    """The version of each read model the stored rows were built by (``ReadModel.version``);
    None: not recorded (stores bound before versions were, all at version 1)."""
    row = _Table(datastore, FORMATS_TABLE, "versions TEXT").read()
    if row is None:
        return None
    pairs = (item.split("=") for item in str(row["versions"]).split(",") if item)
    return {name: int(version) for name, version in pairs}


def write_views_versions(datastore: Any, versions: dict[str, int]) -> None:
    text = ",".join(f"{name}={version}" for name, version in sorted(versions.items()))
    _Table(datastore, FORMATS_TABLE, "versions TEXT").write(text, replace=True)


def version_problem(
    stored: dict[str, int] | None, current: dict[str, int], where: str
) -> str | None:
    """Why read models stored by another version of their code cannot be served, or None.
    A read model missing from ``stored`` is new: it catches up from the log's start."""
    stored = {name: 1 for name in current} if stored is None else stored
    changed = [
        f"{name} {stored[name]}, now {version}"
        for name, version in sorted(current.items())
        if name in stored and stored[name] != version
    ]
    if not changed:
        return None
    return (
        f"the read models of {where} were built by another version of fivestar "
        f"({'; '.join(changed)}); run `fivestar rebuild` to build them again"
    )


def check_binding(
    bound: tuple[str, int] | None,
    ledger: str,
    reach: int,
    position: int,
    head: int,
    where: str,
) -> str | None:
    """Why the read models at ``where`` cannot be trusted for this ledger (None: they can)."""
    rebuild = "run `fivestar rebuild` to build them from this ledger"
    if position > head:
        return (
            f"the read models of {where} are at position {position}, ahead of the ledger "
            f"(position {head}): they were built from another ledger; {rebuild}"
        )
    if bound is None:
        return None
    if bound[0] != ledger:
        return f"the read models of {where} were built from another ledger; {rebuild}"
    if bound[1] < reach:
        return (
            f"the read models of {where} were built for honour windows of up to {bound[1]} "
            f"years and a rulebook now has {reach}; {rebuild}"
        )
    return None
