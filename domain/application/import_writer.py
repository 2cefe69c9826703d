"""The import's writer: a forked process that commits batches while the importing process
decides the next one (ADR 0027).

Deciding a batch is Python work on one core; committing it (the events' and the leaves'
inserts, the subtree cache, the commit) is a third of an import's time in the same process,
most of it in SQLite's C code. The import therefore hands each decided batch, already
encoded and hashed, to this process and decides the next batch meanwhile: one batch in
flight at most, so the importing process never decides more than one batch ahead of the
store. Each message is written exactly as ``Ledger.submit`` writes a batch (the same
recorder call, the same transaction with the tracking position, the refusals and the
fingerprint of the lines consumed), so a killed import resumes as before.

What the importing process must not do while a batch is in flight is read the store where
that batch would change the answer. Branches whose events are in flight stay in its memory
(the cache, or ``Ledger._limbo`` once evicted, until the snapshot that carries them is
committed); an award's basis is the ledger's tree as it will be once the batches before it
are committed (``Ledger.predicted``), and the writer refuses a batch, in its transaction,
when the store's last event is not the one predicted (``store.expect_follows``).
Whatever goes wrong in this process (a lost race with another writer, the store busy or
gone, the process killed) ends it; the importing process forgets its cached states and
decides the unwritten batches again through the ordinary ``Ledger.submit``, with its retry
loop and its error reporting.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from contextlib import nullcontext, suppress
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent, Tracking

from domain.application.ledger import Ledger
from domain.application.ledger_tree import LeafedEvent
from domain.application.store import ledger_env

Wire = tuple[str, int, str, bytes, "str | None", bytes]  # a LeafedEvent, its id as hex


class Message(msgspec.Struct, array_like=True, gc=False):
    """A batch for the writer, as ``Ledger.submit`` would write it (msgpack on the pipe:
    several times cheaper than pickling the same tuples)."""

    expect_last: int  # the store's last event position the batch was decided to follow
    events: list[tuple[str, int, str, bytes, str | None, bytes]]  # ``Wire``
    tracking: tuple[str, int]
    refusals: list[tuple[int, str, str]]
    refusal_log: str
    durable: bool
    snapshots: list[tuple[str, int, str, bytes]]  # stored snapshots, ids as hex


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Message).decode


def _hex(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class WriterLost(RuntimeError):
    """The writer did not commit the batch in flight (the reason is the message)."""


def note_committed(recorder: Any, tracking: Tracking) -> None:
    """Tell the importing process's recorder what the writer committed: where a store keeps
    it (PostgreSQL's ``last_tracking``), an outage line names the last line committed."""
    if hasattr(recorder, "last_tracking"):
        recorder.last_tracking = (tracking.application_name, tracking.notification_id)


class ImportWriter:
    """``send`` a batch, ``wait`` for its positions (``WriterLost`` if it was not
    committed); ``finish`` after the last, ``stop`` on failure or Ctrl-C. Forked, like the
    import's projector: the child opens its own connections."""

    def __init__(self, db: str, cache_mb: int) -> None:
        self.db = db
        self.cache_mb = cache_mb
        self._context = multiprocessing.get_context("fork")
        self._conn: Any = None
        self._process: Any = None
        self.in_flight = False

    def start(self) -> None:
        parent, child = self._context.Pipe()
        self._process = self._context.Process(
            target=_write,
            args=(self.db, self.cache_mb, child, parent),
            name="fivestar-import-writer",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent

    def send(
        self,
        stored: Sequence[Wire],
        tracking: Tracking,
        refusals: list[tuple[int, str, str]],
        refusal_log: str,
        durable: bool,
        snapshots: Sequence[StoredEvent],
        expect_last: int,
    ) -> None:
        assert not self.in_flight, "one batch in flight at most"
        message = Message(
            expect_last,
            list(stored),
            (tracking.application_name, tracking.notification_id),
            refusals,
            refusal_log,
            durable,
            [(_hex(s.originator_id), s.originator_version, s.topic, s.state) for s in snapshots],
        )
        try:
            self._conn.send_bytes(_encode(message))
        except OSError as exc:  # the writer is gone
            raise WriterLost(f"the import's writer is gone ({exc})") from None
        self.in_flight = True

    def wait(self) -> list[int]:
        """The positions of the batch in flight once it is committed."""
        assert self.in_flight
        self.in_flight = False
        try:
            reply = self._conn.recv()
        except (EOFError, OSError):
            raise WriterLost("the import's writer ended before committing a batch") from None
        if reply[0] != "ok":
            raise WriterLost(reply[1])
        first, count = reply[1], reply[2]
        return list(range(first, first + count))

    def finish(self) -> None:
        """No more batches: the writer exits."""
        if self._process is None:
            return
        with suppress(OSError):
            self._conn.send_bytes(b"")  # the end
        self._process.join()
        self._close()

    def stop(self) -> None:
        """End the writer now: a batch it was committing rolls back (all or nothing)."""
        if self._process is None:
            return
        self._process.terminate()
        self._process.join()
        self._close()

    def _close(self) -> None:
        self._conn.close()
        self._conn = self._process = None
        self.in_flight = False


def _write(db: str, cache_mb: int, conn: Any, parent_end: Any) -> None:
    """The forked process: commit each batch as ``Ledger.submit`` does, answer with its
    positions, end at the first failure (the importing process takes over from there)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    parent_end.close()
    try:
        ledger = Ledger(env=ledger_env(db, create=False))  # the parent created them
        recorder: Any = ledger.recorder
        uuid_ids = getattr(recorder, "ids_as_uuid", False)  # PostgreSQL's binary COPY
        page_cache = getattr(recorder, "import_page_cache", None)  # SQLite's
        with page_cache(cache_mb) if page_cache else nullcontext():
            while True:
                try:
                    data = conn.recv_bytes()
                except EOFError:  # the importing process is gone
                    break
                if not data:
                    break
                if not _commit(ledger, recorder, uuid_ids, conn, _decode(data)):
                    break
        ledger.close()
    except BaseException as exc:
        with suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        os._exit(1)
    os._exit(0)  # no interpreter teardown: the parent owns what the fork copied


def _commit(ledger: Ledger, recorder: Any, uuid_ids: bool, conn: Any, message: Message) -> bool:
    """Write one batch and its snapshots; whether the writer may go on."""
    uuid = (lambda h: UUID(hex=h)) if uuid_ids else (lambda h: h)
    events = [LeafedEvent(uuid(row[0]), *row[1:]) for row in message.events]
    snapshots = [
        StoredEvent(originator_id=uuid(i), originator_version=v, topic=t, state=s)
        for i, v, t, s in message.snapshots
    ]
    try:
        positions = recorder.insert_events(
            events,
            tracking=Tracking(*message.tracking),
            refusals=message.refusals,
            refusal_log=message.refusal_log,
            expect_last=message.expect_last,
            **({} if message.durable else {"durable": False}),
        )
        ledger.write_snapshots(snapshots)
    except Exception as exc:  # a lost race, a busy or lost store: the parent redoes it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return False
    first = positions[0] if positions else 0
    conn.send(("ok", first, len(events)))
    return True
