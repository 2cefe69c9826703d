"""Where the ledger's Merkle tree lives: leaf hashes by leaf index, and a cache of subtrees.

Leaves are written by the ledger recorders in the transaction of their events (SQLite:
``SQLiteLedgerRecorder._insert_events``; PostgreSQL: ``PostgresTreeMixin``), computed in bulk
per batch, numbered 0, 1, 2, ... in ledger order under the store's write lock. So the import,
the API and the projector can never disagree on the order, and a PostgreSQL notification-id
gap (a rolled-back insert) leaves no hole in the tree.

Interior nodes are not written with the events: they follow from the leaves and never change
once their leaves exist. ``TreeStore`` caches the hash of every complete subtree of
2**CACHE_LEVEL leaves or more (``merkle_nodes``, filled lazily in bulk); a root or a proof
then reads ~log2(n) cached nodes plus at most one block of leaves (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from domain.model import merkle
from domain.model.events import RulebookAdopted

CACHE_LEVEL = 8  # complete subtrees of 256 leaves and up are cached
PAGE = 10_000


class _EntryView(msgspec.Struct, gc=False):
    """The parts of any stored ledger event that its leaf hashes (decoded without the
    event's class: the write path hashes what it stores, in bulk)."""

    timestamp: str
    recorder: str
    record: dict[str, Any] | None = None
    year: int | None = None
    rulebook: str | None = None
    reason: str | None = None
    basis: dict[str, Any] | None = None


_view = msgspec.json.Decoder(_EntryView)


def view_of(state: bytes) -> _EntryView:
    """The hashed parts of a stored event (``msgspec.DecodeError`` if it is not one)."""
    return _view.decode(state)


def entry_of(version: int, state: bytes) -> tuple[str | None, bytes]:
    """(branch, canonical entry) of a stored event; a rulebook adoption has no branch."""
    view = _view.decode(state)
    record = view.record
    if record is None:
        record = {
            "type": "rulebook.adopted",
            "year": view.year,
            "rulebook": view.rulebook,
            "reason": view.reason,
        }
        branch = None
    else:
        branch = record.get("branch")
    entry = merkle.canonical_entry(
        branch, version, view.timestamp, view.recorder, record, view.basis
    )
    return branch, entry


def entry_of_event(event: Any) -> tuple[str, bytes]:
    """(branch, canonical entry) of a branch event as the writer holds it, before it is
    stored: byte for byte ``entry_of`` of its stored state (``typed_entry``), without
    decoding that state back. The equality is tested over every record type
    (tests/unit/test_leaf_of_event.py)."""
    return event.record.branch, typed_entry(event)


CANONICAL = msgspec.json.Encoder(order="sorted")  # ``merkle.canonical_entry``'s encoding


class Entry(msgspec.Struct, gc=False):
    """``merkle.canonical_entry``'s object, its keys declared in sorted order (a Struct is
    encoded in declaration order; sorting a dict's keys per event costs more)."""

    branch: str | None
    record: Any
    recorded_at: datetime
    recorder: str
    version: int


class _EntryWithBasis(msgspec.Struct, gc=False):
    """``Entry`` of an award with its determination receipt (``basis`` sorts first)."""

    basis: Any
    branch: str | None
    record: Any
    recorded_at: datetime
    recorder: str
    version: int


def typed_entry(event: Any) -> bytes:
    """``entry_of(v, s)[1]`` for the event ``s`` decodes to, computed from the event:
    ``merkle.canonical_entry`` of the same values (a record Struct encoded with sorted keys is
    the JSON of its dict encoded so, its tag included; the timestamp is encoded as the mapper
    encodes it). Equal to ``entry_of`` whenever ``s`` is the mapper's encoding of the event
    (``tests/integration/test_verify_by_stream.py``)."""
    if type(event) is RulebookAdopted:
        adopted = {
            "type": "rulebook.adopted",
            "year": event.year,
            "rulebook": event.rulebook,
            "reason": event.reason,
        }
        return CANONICAL.encode(
            Entry(None, adopted, event.timestamp, event.recorder, event.originator_version)
        )
    record = event.record
    basis = getattr(event, "basis", None)
    if basis is None:
        return CANONICAL.encode(
            Entry(record.branch, record, event.timestamp, event.recorder, event.originator_version)
        )
    return CANONICAL.encode(
        _EntryWithBasis(
            basis, record.branch, record, event.timestamp, event.recorder, event.originator_version
        )
    )


class LeafedEvent(NamedTuple):
    """A stored branch event (the four attributes of a ``StoredEvent``, which is what the
    recorders read) with its leaf (branch, leaf hash) computed from the event the writer
    decided, so the leaves of a batch cost no decoding of what was just encoded. A tuple,
    not a frozen dataclass: one is built per event of an import, and a frozen dataclass
    costs four times as much to build."""

    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    branch: str | None
    leaf_hash: bytes


def leaf_rows(
    stored_events: Sequence[StoredEvent | LeafedEvent], positions: Sequence[int]
) -> list[tuple[int, str | None, int, bytes]]:
    """(position, branch, version, leaf hash) of a batch of events just stored (a
    ``LeafedEvent`` brings its own; any other is hashed from its stored state)."""
    rows = []
    leaf_hash = merkle.leaf_hash
    for event, position in zip(stored_events, positions, strict=True):
        if type(event) is LeafedEvent:
            rows.append((position, event.branch, event.originator_version, event.leaf_hash))
            continue
        branch, entry = entry_of(event.originator_version, event.state)
        rows.append((position, branch, event.originator_version, leaf_hash(entry)))
    return rows


# --------------------------------------------------------------------- SQLite
SQLITE_TABLES = [
    "CREATE TABLE IF NOT EXISTS merkle_leaves (leaf_index INTEGER PRIMARY KEY, "
    "position INTEGER NOT NULL, branch TEXT, version INTEGER NOT NULL, leaf_hash BLOB NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_position ON merkle_leaves (position)",
    "CREATE TABLE IF NOT EXISTS merkle_nodes (level INTEGER, idx INTEGER, hash BLOB NOT NULL, "
    "PRIMARY KEY (level, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS ledger_verifications (at TEXT, ok INTEGER, size INTEGER, "
    "root TEXT, message TEXT)",
]


class Frontier:
    """The compact range of the append-only tree: the hashes of the perfect subtrees its
    ``size`` leaves split into (one per set bit of ``size``, largest first), and the last
    leaf's hash and position, by which it is recognised as the store's current tree.

    Appending a leaf costs O(1) hashes amortised and yields the subtrees it completes, so a
    writer keeps the root and the subtree cache current per batch without reading the tree
    back (ADR 0021)."""

    __slots__ = ("last", "parts", "position", "size")

    def __init__(self) -> None:
        self.size = 0
        self.parts: list[tuple[int, bytes]] = []  # (level, hash), levels strictly falling
        self.last = b""
        self.position = 0

    def copy(self) -> Frontier:
        other = Frontier()
        other.size, other.parts = self.size, list(self.parts)
        other.last, other.position = self.last, self.position
        return other

    def append(self, leaf: bytes, position: int, nodes: list[tuple[int, int, bytes]]) -> None:
        """Add one leaf; the complete subtrees of 2**CACHE_LEVEL leaves or more that it
        closes are added to ``nodes`` as (level, idx, hash) rows of the subtree cache."""
        index, level, value = self.size, 0, leaf
        parts = self.parts
        while parts and parts[-1][0] == level:
            value = merkle.node_hash(parts.pop()[1], value)
            level += 1
            if level >= CACHE_LEVEL:
                nodes.append((level, index >> level, value))
        parts.append((level, value))
        self.size, self.last, self.position = index + 1, leaf, position

    def extend(
        self, leaves: Sequence[bytes], last_position: int, nodes: list[tuple[int, int, bytes]]
    ) -> None:
        """``append`` for a batch of leaves, the last at ledger position ``last_position``
        (one loop, no call per leaf: this runs once per event of an import)."""
        if not leaves:
            return
        parts, index, node_hash = self.parts, self.size, merkle.node_hash
        for leaf in leaves:
            level, value = 0, leaf
            while parts and parts[-1][0] == level:
                value = node_hash(parts.pop()[1], value)
                level += 1
                if level >= CACHE_LEVEL:
                    nodes.append((level, index >> level, value))
            parts.append((level, value))
            index += 1
        self.size, self.last, self.position = index, leaves[-1], last_position

    def root(self) -> bytes:
        """RFC 9162's tree hash of the ``size`` leaves: the parts folded from the right."""
        if not self.parts:
            return merkle.EMPTY_ROOT
        value = self.parts[-1][1]
        for _, left in reversed(self.parts[:-1]):
            value = merkle.node_hash(left, value)
        return value


def frontier_sqlite(c: Any) -> Frontier:
    """The frontier of the tree stored now, read through cursor ``c`` (inside or outside a
    write transaction)."""
    c.execute(
        "SELECT leaf_index, position, leaf_hash FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 1"
    )
    row = c.fetchone()
    if row is None:
        return Frontier()

    def node(level: int, idx: int) -> bytes | None:
        c.execute("SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, idx))
        cached = c.fetchone()
        return bytes(cached[0]) if cached is not None else None

    def leaves(start: int, end: int) -> list[bytes]:
        c.execute(
            "SELECT leaf_hash FROM merkle_leaves WHERE leaf_index >= ? AND leaf_index < ? "
            "ORDER BY leaf_index",
            (start, end),
        )
        return [bytes(h[0]) for h in c.fetchall()]

    return read_frontier(row[0] + 1, row[1], bytes(row[2]), node, leaves)


def read_frontier(
    size: int,
    position: int,
    last: bytes,
    node: Callable[[int, int], bytes | None],
    leaves: Callable[[int, int], list[bytes]],
) -> Frontier:
    """The frontier of a stored tree of ``size`` leaves (the last at ``position``, hashing
    to ``last``): ~log2(n) cached subtrees (``node(level, idx)``) plus the leaves
    (``leaves(start, end)``) of the parts below the cache level or missing from the cache.
    The store-neutral half of ``frontier_sqlite`` and ``current_frontier_pg``."""
    frontier = Frontier()
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if not size >> level & 1:
            continue
        value = node(level, start >> level) if level >= CACHE_LEVEL else None
        if value is None:
            value = merkle.mth(leaves(start, start + (1 << level)))
        frontier.parts.append((level, value))
        start += 1 << level
    frontier.size, frontier.position, frontier.last = size, position, last
    return frontier


def current_frontier(c: Any, known: Frontier | None) -> Frontier:
    """``known`` if it still describes the stored tree (same size and last leaf), else the
    stored tree's frontier read afresh (another process wrote, or a batch rolled back)."""
    if known is not None:
        c.execute(
            "SELECT leaf_index, leaf_hash FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 1"
        )
        row = c.fetchone()
        if row is None:
            if known.size == 0:
                return known
        elif row[0] + 1 == known.size and bytes(row[1]) == known.last:
            return known
    return frontier_sqlite(c)


def append_leaves_sqlite(
    c: Any,
    events_table: str,
    stored_events: Sequence[StoredEvent],
    positions: Sequence[int],
    frontier: Frontier | None = None,
) -> Frontier | None:
    """Number and write the leaves of events just inserted (inside their transaction), and
    the subtree-cache rows they complete; returns the tree's frontier after them (a new
    object: ``frontier``, the writer's frontier before them if it has one, is not changed,
    so a batch that rolls back leaves it as it was)."""
    if not stored_events:
        return frontier
    c.execute("SELECT MAX(leaf_index) FROM merkle_leaves")
    top = c.fetchone()[0]
    if top is None and positions[0] > 1:
        c.execute(f"SELECT COUNT(*) FROM {events_table} WHERE rowid < ?", (positions[0],))
        if c.fetchone()[0]:
            top = _backfill_sqlite(c, events_table, positions[0])
    start = 0 if top is None else top + 1
    after = (current_frontier(c, frontier) if start else Frontier()).copy()
    rows = leaf_rows(stored_events, positions)
    c.executemany(
        "INSERT INTO merkle_leaves VALUES (?, ?, ?, ?, ?)",
        [(start + i, *row) for i, row in enumerate(rows)],
    )
    nodes: list[tuple[int, int, bytes]] = []
    after.extend([row[3] for row in rows], rows[-1][0], nodes)
    if nodes:
        c.executemany("INSERT OR IGNORE INTO merkle_nodes VALUES (?, ?, ?)", nodes)
    return after


def _backfill_sqlite(c: Any, events_table: str, before: int) -> int | None:
    """A ledger recorded before leaves existed gets them once, with its first new write."""
    c.execute(
        f"SELECT rowid, originator_version, state FROM {events_table} "
        "WHERE rowid < ? ORDER BY rowid",
        (before,),
    )
    rows = [(row[0], row[1], row[2]) for row in c.fetchall()]
    leaves = [
        (index, position, *_leaf_of(version, state))
        for index, (position, version, state) in enumerate(rows)
    ]
    c.executemany("INSERT INTO merkle_leaves VALUES (?, ?, ?, ?, ?)", leaves)
    return len(leaves) - 1 if leaves else None


def _leaf_of(version: int, state: bytes) -> tuple[str | None, int, bytes]:
    branch, entry = entry_of(version, state)
    return branch, version, merkle.leaf_hash(entry)


# ----------------------------------------------------------------- PostgreSQL
def _q(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'


def pg_tables(schema: str) -> list[str]:
    s = _q(schema)
    return [
        f"CREATE TABLE IF NOT EXISTS {s}.merkle_leaves (leaf_index bigint PRIMARY KEY, "
        "position bigint NOT NULL, branch text, version bigint NOT NULL, leaf_hash bytea NOT NULL)",
        f"CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_position ON {s}.merkle_leaves (position)",
        f"CREATE TABLE IF NOT EXISTS {s}.merkle_nodes (level int, idx bigint, "
        "hash bytea NOT NULL, PRIMARY KEY (level, idx))",
        f"CREATE TABLE IF NOT EXISTS {s}.ledger_verifications (at text, ok boolean, "
        "size bigint, root text, message text)",
    ]


class PostgresTreeMixin:
    """Put before ``PostgresProcessRecorder`` in a recorder's bases: creates the tree's
    tables and writes each batch's leaves once its notification ids are known, in the
    batch's transaction (under the table lock the library's insert takes)."""

    datastore: Any
    events_table_name: str
    sql_create_statements: list[Any]

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        from psycopg.sql import SQL  # loaded only with a PostgreSQL store

        super().__init__(datastore, **kwargs)  # type: ignore[call-arg]
        self.sql_create_statements.extend(SQL(s) for s in pg_tables(self.datastore.schema))

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)  # type: ignore[misc]
        if ids:
            append_leaves_pg(
                curs, self.datastore.schema, self.events_table_name, stored_events, ids
            )
        return ids


def append_leaves_pg(
    curs: Any,
    schema: str,
    events_table: str,
    stored_events: Sequence[StoredEvent],
    positions: Sequence[int],
) -> None:
    s = _q(schema)
    curs.execute(f"SELECT MAX(leaf_index) AS top FROM {s}.merkle_leaves")
    top = curs.fetchone()["top"]
    if top is None:
        curs.execute(
            f"SELECT notification_id, originator_version, state FROM {s}.{_q(events_table)} "
            "WHERE notification_id < %s ORDER BY notification_id",
            (min(positions),),
        )
        earlier = [(r["notification_id"], r["originator_version"], bytes(r["state"])) for r in curs]
        if earlier:
            curs.executemany(
                f"INSERT INTO {s}.merkle_leaves VALUES (%s, %s, %s, %s, %s)",
                [(i, p, *_leaf_of(v, st)) for i, (p, v, st) in enumerate(earlier)],
            )
            top = len(earlier) - 1
    start = 0 if top is None else top + 1
    curs.executemany(
        f"INSERT INTO {s}.merkle_leaves VALUES (%s, %s, %s, %s, %s)",
        [(start + i, *row) for i, row in enumerate(leaf_rows(stored_events, positions))],
    )


def copy_leaves_pg(
    curs: Any,
    schema: str,
    events_table: str,
    stored_events: Sequence[StoredEvent],
    positions: Sequence[int],
    frontier: Frontier | None = None,
) -> Frontier | None:
    """``append_leaves_pg`` with one binary ``COPY`` for the batch's leaves (the recorder's
    bulk path), and the subtree-cache rows they complete; returns the tree's frontier after
    them, as ``append_leaves_sqlite`` does (``frontier``, the writer's before them, is
    checked against the stored last leaf and not changed). The one-off backfill of a
    ledger from before leaves stays as it was, and returns None (unknown: read it afresh)."""
    s = _q(schema)
    curs.execute(
        f"SELECT leaf_index, position, leaf_hash FROM {s}.merkle_leaves "
        "ORDER BY leaf_index DESC LIMIT 1"
    )
    last = curs.fetchone()
    if last is None and min(positions) > 1:
        append_leaves_pg(curs, schema, events_table, stored_events, positions)
        return None
    start = 0 if last is None else last["leaf_index"] + 1
    after = (_known_or_read_pg(curs, s, last, frontier) if start else Frontier()).copy()
    rows = leaf_rows(stored_events, positions)
    with curs.copy(
        f"COPY {s}.merkle_leaves (leaf_index, position, branch, version, leaf_hash) "
        "FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "int8", "text", "int8", "bytea"])
        write = copy.write_row
        for i, row in enumerate(rows, start):
            write((i, *row))
    nodes: list[tuple[int, int, bytes]] = []
    after.extend([row[3] for row in rows], rows[-1][0], nodes)
    if nodes:
        curs.execute(
            f"INSERT INTO {s}.merkle_nodes SELECT * FROM "
            "unnest(%s::int[], %s::bigint[], %s::bytea[]) ON CONFLICT (level, idx) DO NOTHING",
            ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
        )
    return after


def current_frontier_pg(curs: Any, schema: str, known: Frontier | None) -> Frontier:
    """PostgreSQL's ``current_frontier``: ``known`` if the stored tree's last leaf is still
    its last (same index and hash), else the stored tree's frontier read afresh."""
    s = _q(schema)
    curs.execute(
        f"SELECT leaf_index, position, leaf_hash FROM {s}.merkle_leaves "
        "ORDER BY leaf_index DESC LIMIT 1"
    )
    return _known_or_read_pg(curs, s, curs.fetchone(), known)


def _known_or_read_pg(curs: Any, s: str, last: Any, known: Frontier | None) -> Frontier:
    if last is None:
        return known if known is not None and known.size == 0 else Frontier()
    size = last["leaf_index"] + 1
    if known is not None and known.size == size and known.last == bytes(last["leaf_hash"]):
        return known

    def node(level: int, idx: int) -> bytes | None:
        curs.execute(
            f"SELECT hash FROM {s}.merkle_nodes WHERE level = %s AND idx = %s", (level, idx)
        )
        cached = curs.fetchone()
        return bytes(cached["hash"]) if cached is not None else None

    def leaves(start: int, end: int) -> list[bytes]:
        curs.execute(
            f"SELECT leaf_hash FROM {s}.merkle_leaves WHERE leaf_index >= %s "
            "AND leaf_index < %s ORDER BY leaf_index",
            (start, end),
        )
        return [bytes(r["leaf_hash"]) for r in curs.fetchall()]

    return read_frontier(size, last["position"], bytes(last["leaf_hash"]), node, leaves)


# ------------------------------------------------------------------- reading
# Leaves at or below the position of the leaf numbered before them (none, in order): SQLite
# by a self-join on the next index (a primary-key probe each, a tenth of a second for 674k
# leaves); PostgreSQL by a window over the primary key (its planner hash-joins the
# self-join in parallel, at five times the CPU).
_SQLITE_DISORDER = (
    "SELECT COUNT(*) AS n FROM {leaves} a JOIN {leaves} b "
    "ON b.leaf_index = a.leaf_index + 1 WHERE b.position <= a.position"
)
_PG_DISORDER = (
    "SELECT COUNT(*) AS n FROM (SELECT position <= LAG(position) OVER (ORDER BY leaf_index) "
    "AS back FROM {leaves}) s WHERE back"
)


class OrderedHashes(NamedTuple):
    """``TreeStore.ordered_hashes``: the leaves at positions up to a base, and their hashes."""

    up_to: int  # how many leaves are at positions up to the base
    read: Callable[[int, int], list[bytes]]  # (start, stop) -> hashes of indexes start..stop-1


_HASHES = (
    "SELECT leaf_hash FROM {leaves} WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
)


class Leaf(msgspec.Struct, frozen=True):
    index: int
    position: int
    branch: str | None
    version: int
    hash: bytes


class TreeStore:
    """Reads leaves and serves subtree hashes over a ledger recorder's store."""

    def __init__(self, recorder: Any, postgres: bool | None = None) -> None:
        self.recorder = recorder
        if postgres is None:
            postgres = type(recorder.datastore).__module__.startswith("eventsourcing.postgres")
        self.postgres = postgres
        prefix = f"{_q(recorder.datastore.schema)}." if postgres else ""
        self.leaves_table = f"{prefix}merkle_leaves"
        self.nodes_table = f"{prefix}merkle_nodes"
        self.checks_table = f"{prefix}ledger_verifications"

    def _sql(self, statement: str) -> str:
        statement = statement.format(
            leaves=self.leaves_table, nodes=self.nodes_table, checks=self.checks_table
        )
        return statement.replace("?", "%s") if self.postgres else statement

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.recorder.datastore.transaction(commit=False) as c:
            c.execute(self._sql(statement), tuple(params))
            return list(c.fetchall())

    def _tuples(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """``_rows`` indexable by column number (``_tuple_query``): the bulk reads of every
        leaf (verify, rebuild)."""
        with self.recorder.datastore.transaction(commit=False) as c:
            return self._tuple_query(c)(statement, params)

    def _tuple_query(self, c: Any) -> Callable[..., list[Any]]:
        """A query on the cursor ``c`` whose rows are indexable by column number; on
        PostgreSQL binary tuples (hashes as bytes, not hex; no dict per row)."""
        if not self.postgres:
            c.sqlite_cursor.row_factory = None  # plain tuples: no ``Row`` per leaf

            def sqlite_query(statement: str, params: Sequence[Any] = ()) -> list[Any]:
                c.execute(self._sql(statement), tuple(params))
                return list(c.fetchall())

            return sqlite_query
        from psycopg.rows import tuple_row  # loaded only with a PostgreSQL store

        c.row_factory = tuple_row

        def pg_query(statement: str, params: Sequence[Any] = ()) -> list[Any]:
            c.execute(self._sql(statement), tuple(params), binary=True)
            return list(c.fetchall())

        return pg_query

    def _write(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self.recorder.datastore.transaction(commit=True) as c:
            c.executemany(self._sql(statement), [tuple(r) for r in rows])

    # leaves
    def size(self) -> int:
        rows = self._rows("SELECT MAX(leaf_index) AS top FROM {leaves}")
        top = rows[0]["top"] if rows else None
        return 0 if top is None else top + 1

    def leaves(self, start: int, end: int) -> list[Leaf]:
        rows = self._tuples(
            "SELECT leaf_index, position, branch, version, leaf_hash FROM {leaves} "
            "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
            (start, end),
        )
        return [Leaf(row[0], row[1], row[2], row[3], bytes(row[4])) for row in rows]

    @contextmanager
    def ordered_hashes(self, base: int) -> Iterator[OrderedHashes | None]:
        """In one read snapshot: None unless the leaves are numbered 0, 1, 2, ... at strictly
        ascending positions, the first above 0 (checked by the database: a count, a min and
        a max of the indexes, and a self-join on the next index finding no leaf at or below
        its predecessor's position); else how many are at positions up to ``base`` (the
        first ones, being in order) and a reader of their hashes by index range. What a
        read of every (index, position, hash) checked row by row in Python, for a fifth of
        the rebuild parent's CPU (ADR 0029)."""
        with self.recorder.datastore.transaction(commit=False) as c:
            if self.postgres:  # every statement below sees the same leaves
                c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                c.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # workers busy
            query = self._tuple_query(c)
            count, low, high, first = query(
                "SELECT COUNT(*) AS n, MIN(leaf_index) AS low, MAX(leaf_index) AS high, "
                "MIN(position) AS first FROM {leaves}"
            )[0]
            ordered = count == 0 or (low == 0 and high == count - 1 and first > 0)
            if ordered and count > 1:
                ordered = query(_PG_DISORDER if self.postgres else _SQLITE_DISORDER)[0][0] == 0
            if not ordered:
                yield None
                return
            up_to = query("SELECT COUNT(*) FROM {leaves} WHERE position <= ?", (base,))[0][0]
            yield OrderedHashes(
                int(up_to), lambda start, stop: [row[0] for row in query(_HASHES, (start, stop))]
            )

    def iter_leaves(self, end: int | None = None) -> Iterator[Leaf]:
        """Every leaf in index order (below ``end``), a page at a time from the last index
        read: a deleted leaf is a missing index for ``verify`` to name, not the end."""
        start, stop = 0, (1 << 62) if end is None else end
        while start < stop:
            rows = self._tuples(
                "SELECT leaf_index, position, branch, version, leaf_hash FROM {leaves} "
                "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index LIMIT ?",
                (start, stop, PAGE),
            )
            yield from (Leaf(row[0], row[1], row[2], row[3], bytes(row[4])) for row in rows)
            if len(rows) < PAGE:
                return
            start = rows[-1][0] + 1

    def leaf_at(self, position: int) -> Leaf | None:
        rows = self._rows(
            "SELECT leaf_index, position, branch, version, leaf_hash FROM {leaves} "
            "WHERE position = ?",
            (position,),
        )
        return _leaf(rows[0]) if rows else None

    def size_at(self, position: int) -> int:
        """How many leaves the ledger had when its last event was at ``position``."""
        rows = self._rows(
            "SELECT MAX(leaf_index) AS top FROM {leaves} WHERE position <= ?", (position,)
        )
        top = rows[0]["top"] if rows else None
        return 0 if top is None else top + 1

    def leaf(self, index: int) -> Leaf | None:
        found = self.leaves(index, index + 1)
        return found[0] if found else None

    # subtrees
    def subtree(self, start: int, end: int) -> bytes:
        """Hash of leaves [start, end): complete aligned parts from the cache."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self._perfect(level, start >> level)
        k = merkle.split(n)
        return merkle.node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def _perfect(self, level: int, idx: int) -> bytes:
        if level < CACHE_LEVEL:
            hashes = [leaf.hash for leaf in self.leaves(idx << level, (idx + 1) << level)]
            if len(hashes) != 1 << level:
                raise merkle.ProofError(f"leaves {idx << level}.. are missing from the tree")
            return merkle.mth(hashes)
        rows = self._rows("SELECT hash FROM {nodes} WHERE level = ? AND idx = ?", (level, idx))
        if rows:
            return bytes(rows[0]["hash"])
        value = merkle.node_hash(
            self._perfect(level - 1, 2 * idx), self._perfect(level - 1, 2 * idx + 1)
        )
        self._put_nodes([(level, idx, value)])
        return value

    def _put_nodes(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        conflict = "ON CONFLICT (level, idx) DO NOTHING" if self.postgres else ""
        verb = "INSERT" if self.postgres else "INSERT OR IGNORE"
        self._write(f"{verb} INTO {{nodes}} VALUES (?, ?, ?) {conflict}", rows)

    def fill_cache(self, size: int) -> None:
        """Bring the cache of complete subtrees up to ``size`` leaves in bulk: one pass over
        the leaves not yet covered, then each level from the one below."""
        for level in range(CACHE_LEVEL, max(size.bit_length(), CACHE_LEVEL)):
            want = size >> level
            rows = self._rows("SELECT MAX(idx) AS top FROM {nodes} WHERE level = ?", (level,))
            top = rows[0]["top"] if rows else None
            have = 0 if top is None else top + 1
            if have >= want:
                continue
            if level == CACHE_LEVEL:
                new = self._blocks(have, want)
            else:
                below = self._rows(
                    "SELECT idx, hash FROM {nodes} WHERE level = ? AND idx >= ? AND idx < ? "
                    "ORDER BY idx",
                    (level - 1, 2 * have, 2 * want),
                )
                hashes = [bytes(row["hash"]) for row in below]
                if len(hashes) != 2 * (want - have):
                    return  # a gap below: leave it to the lazy path
                new = [
                    (level, have + i, merkle.node_hash(hashes[2 * i], hashes[2 * i + 1]))
                    for i in range(want - have)
                ]
            self._put_nodes(new)

    def _blocks(self, have: int, want: int) -> list[tuple[int, int, bytes]]:
        block = 1 << CACHE_LEVEL
        out = []
        hashes: list[bytes] = []
        idx = have
        start = have * block
        for leaf in self._leaf_range(start, want * block):
            hashes.append(leaf.hash)
            if len(hashes) == block:
                out.append((CACHE_LEVEL, idx, merkle.mth(hashes)))
                hashes, idx = [], idx + 1
        return out

    def _leaf_range(self, start: int, end: int) -> Iterator[Leaf]:
        """Leaves ``start``, ``start + 1``, ... below ``end``, up to the first missing index
        (a block across a deleted leaf is never cached: ``_perfect`` refuses it)."""
        while start < end:
            page = self.leaves(start, min(start + PAGE, end))
            for leaf in page:
                if leaf.index != start:
                    return
                yield leaf
                start += 1
            if not page:
                return

    def root(self, size: int) -> bytes:
        self.fill_cache(size)
        return merkle.root(self.subtree, size)

    def clear_cache(self) -> None:
        with self.recorder.datastore.transaction(commit=True) as c:
            c.execute(self._sql("DELETE FROM {nodes}"))

    # verification results
    def record_check(self, at: str, ok: bool, size: int, root: str, message: str) -> None:
        self._write("INSERT INTO {checks} VALUES (?, ?, ?, ?, ?)", [(at, ok, size, root, message)])

    def last_check(self) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT at, ok, size, root, message FROM {checks} ORDER BY at DESC LIMIT 1"
        )
        if not rows:
            return None
        row = rows[0]
        return {
            "at": row["at"],
            "ok": bool(row["ok"]),
            "size": row["size"],
            "root": row["root"],
            "message": row["message"],
        }


def _leaf(row: Any) -> Leaf:
    return Leaf(
        row["leaf_index"], row["position"], row["branch"], row["version"], bytes(row["leaf_hash"])
    )
