"""The Ledger application: applies records to branch streams in batches, idempotently.

Records are decided one by one in order against the branch states held in memory, and the
events of a whole batch are written in one transaction together with a tracking position
(for an import: the file's last line in the batch) and the refusals of the batch. A batch
is all or nothing, so an import killed at any moment leaves every record applied or not, and
the tracking position tells a rerun where to resume (ADR 0003).
"""

from __future__ import annotations

import itertools
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, OperationalError, Tracking

from domain.application.ledger_tree import Frontier
from domain.application.mapper import (
    MAPPER_ENV,
    CorruptEvent,
    decode_event,
    event_decoder,
    leaf_of_event,
    stored_with_leaf,
)
from domain.application.outcomes import (
    Accepted,
    Duplicate,
    IdClash,
    Outcome,
    Refused,
    UnknownBranchRefused,
)
from domain.application.settings import Settings
from domain.model import records as r
from domain.model.branch import (
    Branch,
    BranchSnapshot,
    IdClashRefusal,
    UnknownBranchRefusal,
    empty_branch,
    project_branch,
)
from domain.model.branch import (
    Refused as Refusal,
)
from domain.model.events import (
    BranchEvent,
    LedgerEvent,
    RatingAwarded,
    RulebookAdopted,
    branch_stream_id,
    rating_year_stream_id,
)
from domain.model.rulebook import BASE_RULEBOOK, Rulebook, RulebookError, load_rulebook
from domain.model.vocabulary import folder_pinned

RETRY_PAUSE = 0.01  # seconds, times the attempt number, between tries of a batch that lost a race


Submission = tuple[int, "r.AnyRecord | r.RecordError"]


@dataclass
class RatingYear:
    """Which rulebook is in force for a rating year: the last one adopted for it."""

    id: UUID
    year: int
    version: int = 0
    rulebook: str = BASE_RULEBOOK
    adoptions: tuple[RulebookAdopted, ...] = ()


def project_rating_year(
    state: RatingYear | None, events: Iterable[RulebookAdopted]
) -> RatingYear | None:
    for event in events:
        if state is None:
            state = RatingYear(id=event.originator_id, year=event.year)
        state.version = event.originator_version
        state.rulebook = event.rulebook
        state.adoptions = (*state.adoptions, event)
    return state


@dataclass
class BranchLoads:
    """How the branch states an import decided on were obtained (ADR 0021): ``loaded`` counts
    the states taken from the store (a branch met for the first time, or again after its
    eviction from the cache), ``rebuilt_again`` the loads of a branch already loaded once
    while counting that replayed events on top of its snapshot (the cache policy should make
    it 0: an evicted branch is snapshotted, so reloading it replays nothing). Counted only
    while ``Ledger.loads`` holds one (an import), so a long-running server keeps no set of
    every branch it ever loaded."""

    loaded: int = 0
    rebuilt_again: int = 0
    unpacked: int = 0  # of ``loaded``, the states taken from the import's parked ones
    replayed: int = 0  # events replayed by all loads
    seen: set[str] = field(default_factory=set)

    def count(self, code: str, replayed: int) -> None:
        self.loaded += 1
        self.replayed += replayed
        if replayed and code in self.seen:
            self.rebuilt_again += 1
        self.seen.add(code)


@dataclass
class DecidedBatch:
    """A batch decided in memory: its outcomes, the events accepted (in order), the branches
    they change and the branches decided on without a change."""

    outcomes: list[Outcome] = field(default_factory=list)
    events: list[BranchEvent] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    decided_on: set[str] = field(default_factory=set)
    # The position of the ledger's last event that award bases were decided to follow: the
    # batch must be written right after it (``expect_last``), or be decided again.
    follows: int | None = None
    # The leaves of the first events, hashed for an award's basis (``Ledger._with_basis``):
    # written with the events, not hashed again.
    leaves: list[bytes] = field(default_factory=list)
    # The tree those bases were read from: the tree the batch was decided on, extended by
    # ``leaves`` (None: no award). ``Ledger.predict`` goes on from it instead of hashing
    # the same subtrees again.
    tree: Frontier | None = None

    def with_leaves(self) -> Iterator[tuple[BranchEvent, bytes | None]]:
        """Each event and its leaf if it was hashed already (None: hash it when written)."""
        return itertools.zip_longest(self.events, self.leaves)

    @property
    def refusals(self) -> list[tuple[int, str, str]]:
        return [(o.line, o.id, o.reason) for o in self.outcomes if isinstance(o, Refused)]

    def place(self, positions: Sequence[int] | None) -> None:
        """Give each accepted outcome its event's position in the ledger."""
        if not self.events:
            return
        assert positions is not None and len(positions) == len(self.events)
        it = iter(positions)
        for o in self.outcomes:
            if isinstance(o, Accepted):
                o.position = next(it)


CLOCK_EVERY = 64  # records of a batch per reading of the wall clock (``Ledger._clock``)


class Ledger(Application):
    name = "fivestar"
    ATTEMPTS = 8  # tries of a batch that keeps losing races before the caller is told
    is_snapshotting_enabled = True
    env: ClassVar[dict[str, str]] = {**MAPPER_ENV, "COMPRESSOR_TOPIC": ""}

    def __init__(self, env: dict[str, str] | None = None, settings: Settings | None = None) -> None:
        super().__init__(env)
        self.settings = settings or Settings()
        self._branches: OrderedDict[str, Branch] = OrderedDict()
        self._last_timestamp: datetime | None = None
        self.loads: BranchLoads | None = None
        # During an import: the branches the current batch touched (the eviction policy's)
        self.sweeping: set[str] | None = None
        # Evicted branches whose snapshot (and events) another process is still writing
        # (``ImportWriter``): found here, not in the store, until it says it committed them.
        self._limbo: dict[str, tuple[Branch, int]] = {}
        self._limbo_batches: dict[int, list[str]] = {}  # batch number -> codes put in limbo
        # During an import: evicted branch states packed in memory (``park``), by code
        self._parked: OrderedDict[str, bytes] = OrderedDict()
        self._parked_bytes = 0
        # While an import's writer commits batches: the ledger's tree as it will be once
        # every batch decided so far is committed (an award's basis; ``predict``).
        self.predicted: Frontier | None = None

    def construct_recorder(self) -> Any:
        """A process recorder: events, tracking and import refusals in one transaction."""
        return self.factory.process_recorder()

    # --------------------------------------------------------------- branches
    def branch(self, code: str) -> Branch:
        """The branch's current state (empty when it has no stream yet). The cache is trimmed
        only between batches, so a branch decided in a batch stays in memory until then."""
        cached = self._branches.get(code)
        if cached is not None:
            self._branches.move_to_end(code)
            return cached
        pending = self._limbo.pop(code, None)
        if pending is not None:  # evicted, its snapshot not yet committed: still current
            self._branches[code] = pending[0]
            return pending[0]
        packed = self._parked.pop(code, None)
        if packed is not None:
            self._parked_bytes -= len(packed)
            branch = _unpack_branch(packed)
            if self.loads is not None:
                self.loads.count(code, 0)
                self.loads.unpacked += 1
            self._branches[code] = branch
            return branch
        replayed = 0

        def counted(events: Iterable[Any]) -> Iterator[Any]:
            nonlocal replayed
            for event in events:
                if not isinstance(event, BranchSnapshot):
                    replayed += 1
                yield event

        select = getattr(self.recorder, "select_branch", None)
        if select is not None and self.snapshots is not None:  # SQLite: one read
            table = self.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
            rows = select(table, branch_stream_id(code))
            events = counted(decode_event(topic, state) for topic, state in rows)
            branch = project_branch(None, events) or empty_branch(code)
        else:
            try:
                branch = self.repository.get(
                    branch_stream_id(code),
                    projector_func=lambda state, events: project_branch(state, counted(events)),
                )
            except AggregateNotFoundError:
                branch = empty_branch(code)
        if self.loads is not None:
            self.loads.count(code, replayed)
        self._branches[code] = branch
        return branch

    def forget_stale(self, codes: Iterable[str]) -> None:
        """Drop the cached state of each branch the store holds newer events for (another
        process wrote them), and the cached last recording time: one indexed look-up each."""
        for code in set(codes):
            cached = self._branches.get(code)
            if cached is not None and self.recorder.select_events(
                cached.id, gt=cached.version, limit=1
            ):
                self._branches.pop(code, None)
        self._last_timestamp = None

    def _trim_cache(self) -> None:
        self.write_snapshots(self.evict())

    def evict(self, limbo: int | None = None) -> list[Any]:
        """Evict branches down to the cache's bounds (the least recently used; during an
        import, see below); the snapshots (stored) of every one that changed since its
        last snapshot, so that reloading it later replays no event: whatever the number of
        branches, a branch's state is rebuilt from events at most once (ADR 0021).

        ``limbo``: the snapshots go to another process with batch number ``limbo``, which
        may not have committed its events yet; the evicted branches stay at hand until
        ``release(limbo)``."""
        size, budget = self.settings.branch_cache_size, self.settings.branch_cache_events
        events = sum(branch.version for branch in self._branches.values())
        victims: list[tuple[str, Branch]] = []
        if self.sweeping is not None and (len(self._branches) > size or events > budget):
            # An import sweeps the branches (a year-ordered ledger: all of them, year after
            # year), where LRU evicts exactly the branches needed soonest. Evict the most
            # recently used ones the last batch did not touch instead: the others stay
            # put, and are hits next time round (ADR 0021).
            for code in reversed(self._branches):
                if len(self._branches) - len(victims) <= size and events <= budget:
                    break
                if code not in self.sweeping:
                    victims.append((code, self._branches[code]))
                    events -= self._branches[code].version
            for code, _ in victims:
                del self._branches[code]
        while self._branches and (len(self._branches) > size or events > budget):
            victims.append(self._branches.popitem(last=False))
            events -= victims[-1][1].version
        if self.sweeping is not None:
            victims = self._park(victims)
        if limbo is not None:
            for code, branch in victims:
                self._limbo[code] = (branch, limbo)
            self._limbo_batches[limbo] = [code for code, _ in victims]
        snapshots = [BranchSnapshot.take(b) for _, b in victims if b.version > b.snapshot_version]
        return [self.mapper.to_stored_event(s) for s in snapshots]

    def _park(self, victims: list[tuple[str, Branch]]) -> list[tuple[str, Branch]]:
        """Keep evicted states packed in memory while ``import_park_mb`` allows (ADR 0030);
        the others, returned, go to the store as snapshots. A parked state is the branch
        exactly as decided, so it needs no snapshot, no limbo and no read from the store.
        The first state that does not fit sends it and the rest to the store."""
        room = self.settings.import_park_mb * 1024 * 1024 - self._parked_bytes
        for i, (code, branch) in enumerate(victims):
            packed = _pack_branch(branch) if room > 0 else b""
            if not packed or len(packed) > room:  # full: no packing the rest only to drop it
                return victims[i:]
            self._parked[code] = packed
            self._parked_bytes += len(packed)
            room -= len(packed)
        return []

    def unpark_all(self) -> None:
        """Drop the parked states (an import's end): afterwards a branch is read from the
        store, its last snapshot and the events after it, as outside an import."""
        self._parked.clear()
        self._parked_bytes = 0

    def write_snapshots(self, stored: Sequence[Any]) -> None:
        """Write ``evict``'s snapshots: a cache's commit that does not wait for the disk
        where the store allows it."""
        if not stored or self.snapshots is None:
            return
        put = getattr(self.recorder, "insert_snapshots", None)
        if put is None:
            self.snapshots.recorder.insert_events(list(stored))
        else:
            put(self.snapshots.recorder, stored)

    def release(self, limbo: int) -> None:
        """Batch ``limbo`` and its snapshots are committed: its evicted branches can be
        read from the store again."""
        for code in self._limbo_batches.pop(limbo, ()):
            pending = self._limbo.get(code)
            if pending is not None and pending[1] == limbo:
                del self._limbo[code]

    def forget_all(self) -> None:
        """Drop every cached branch state (they may have run ahead of the store)."""
        self._branches.clear()
        self._limbo.clear()
        self._limbo_batches.clear()
        self.unpark_all()

    def rating_year(self, year: int) -> RatingYear:
        try:
            return self.repository.get(
                rating_year_stream_id(year), projector_func=project_rating_year
            )
        except AggregateNotFoundError:
            return RatingYear(id=rating_year_stream_id(year), year=year)

    # ------------------------------------------------------------- recording
    def submit(
        self,
        items: Sequence[Submission],
        recorder: str,
        *,
        tracking: Tracking | None = None,
        refusal_log: str | None = None,
        log_rows: Sequence[tuple[int, str, str]] = (),
        durable: bool = True,
    ) -> list[Outcome]:
        """Decide and record a batch. A batch that lost a race with another writer (a
        version another process took first, SQLite busy) changed nothing: it is decided
        again from fresh state, ``ATTEMPTS`` times in all; the one retry loop of a write.
        ``log_rows`` go to the refusal log with the batch's refusals (an import keeps the
        fingerprint of the lines it consumed there, in the same transaction). ``durable=False``
        lets the store commit without waiting for the disk where it can (an import's batches
        but its last, ADR 0021)."""
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                return self._submit_once(items, recorder, tracking, refusal_log, log_rows, durable)
            except (IntegrityError, OperationalError):
                self.forget_all()
                if attempt == self.ATTEMPTS:
                    raise
                time.sleep(random.uniform(0.5, 1.5) * RETRY_PAUSE * attempt)
        raise AssertionError("unreachable")

    def _submit_once(
        self,
        items: Sequence[Submission],
        recorder: str,
        tracking: Tracking | None,
        refusal_log: str | None,
        log_rows: Sequence[tuple[int, str, str]] = (),
        durable: bool = True,
    ) -> list[Outcome]:
        decided = self.decide_batch(items, recorder)
        try:
            # Through the recorder in one call: the library's EventStore.put would build a
            # Recording per event that nothing here reads (ADR 0002). The events go with
            # their leaves (``LeafedEvent``: a StoredEvent's attributes, which the recorders
            # read).
            stored: Any = [stored_with_leaf(e, leaf) for e, leaf in decided.with_leaves()]
            refusals = [*decided.refusals, *log_rows]
            follows = {} if decided.follows is None else {"expect_last": decided.follows}
            positions = self.recorder.insert_events(
                stored,
                tracking=tracking,
                refusals=refusals if refusal_log else None,
                refusal_log=refusal_log,
                **({} if durable else {"durable": False}),
                **follows,  # an award's basis names the events before it: none may come between
            )
        except BaseException:
            self.forget(decided.touched)
            raise
        self.settle(decided)
        self._trim_cache()
        decided.place(positions)
        return decided.outcomes

    def decide_batch(self, items: Sequence[Submission], recorder: str) -> DecidedBatch:
        """Decide a batch against the branch states in memory, which then include its
        events: the caller writes them (``stored_with_leaf``), or ``forget``s the touched
        branches if it cannot."""
        rulebooks: dict[int, Rulebook] = {}

        def rulebook_for(year: int) -> Rulebook:
            if year not in rulebooks:
                rulebooks[year] = load_rulebook(self.rating_year(year).rulebook)
            return rulebooks[year]

        batch = DecidedBatch()
        outcomes, events, touched = batch.outcomes, batch.events, batch.touched
        clock = self._clock()
        # The ledger an award is judged on: the stored (or predicted) tree, extended by the
        # events this batch accepted before it (``_with_basis``).
        self._basis_tree: Frontier | None = None
        self._basis_base = 0
        self._basis_events = events
        self._basis_leaves = batch.leaves
        try:
            with folder_pinned():  # the rulebook folder read once for the batch
                for line, item in items:
                    outcome = self._decide(line, item, recorder, clock, rulebook_for)
                    outcomes.append(outcome)
                    if isinstance(outcome, Accepted):
                        events.append(outcome.event)
                        touched.add(outcome.event.record.branch)
                    elif not isinstance(item, r.RecordError):
                        batch.decided_on.add(item.branch)  # though nothing changed
        except BaseException:
            self.forget(touched)
            raise
        if self._basis_tree is not None:
            batch.follows, batch.tree = self._basis_base, self._basis_tree
        return batch

    def forget(self, codes: Iterable[str]) -> None:
        """Drop these branches' cached states: they ran ahead of the store."""
        for code in codes:
            self._branches.pop(code, None)
            self._limbo.pop(code, None)
            packed = self._parked.pop(code, None)
            if packed is not None:
                self._parked_bytes -= len(packed)

    def tree_now(self) -> Frontier:
        """The ledger's tree as stored now (its frontier: what ``predict`` extends)."""
        self.recorder.frontier_point()  # type: ignore[attr-defined]
        frontier: Frontier = self.recorder.frontier  # type: ignore[attr-defined]
        return frontier.copy()

    def predict(self, leaves: Sequence[bytes], decided: DecidedBatch | None = None) -> int:
        """Extend ``predicted`` by a decided batch about to be written elsewhere (the leaves
        of all its events); the position of the ledger's last event the batch must follow
        (its writer refuses it otherwise: another process wrote meanwhile, and the award
        bases decided on the prediction would describe a ledger that never was). Where the
        batch's awards extended a copy of ``predicted`` by its first leaves already
        (``decided.tree``), that copy is extended by the rest instead."""
        assert self.predicted is not None
        last = self.predicted.position
        done = len(decided.leaves) if decided is not None else 0
        tree = decided.tree if decided is not None else None
        if tree is not None and tree.size == self.predicted.size + done:
            self.predicted, leaves = tree, leaves[done:]
        if leaves:
            self.predicted.extend(leaves, self.predicted.position + len(leaves), [])
        return last

    def settle(self, decided: DecidedBatch) -> None:
        """A decided batch is (being) written: the eviction policy's view of it, and the
        recording time the next batch's must follow."""
        if self.sweeping is not None:
            self.sweeping = decided.touched | decided.decided_on
        if decided.events:
            self._last_timestamp = decided.events[-1].timestamp

    def _decide(
        self,
        line: int,
        item: r.AnyRecord | r.RecordError,
        recorder: str,
        clock: Callable[[], datetime],
        rulebook_for: Callable[[int], Rulebook],
    ) -> Outcome:
        if isinstance(item, r.RecordError):
            return Refused(line, item.record_id, item.reason)
        branch = self._branches.get(item.branch)
        if branch is None:
            try:
                branch = self.branch(item.branch)
            except CorruptEvent as exc:  # the other branches of the batch are decided
                return Refused(line, item.id, _damaged(item.branch, exc))
        else:  # ``branch``'s cache hit, inline: this runs once per record
            self._branches.move_to_end(item.branch)
        try:
            decided = branch.decide(
                item, timestamp=clock(), recorder=recorder, rulebook_for=rulebook_for
            )
        except IdClashRefusal as refusal:
            return IdClash(line, item.id, refusal.reason)
        except UnknownBranchRefusal as refusal:
            return UnknownBranchRefused(line, item.id, refusal.reason)
        except Refusal as refusal:
            return Refused(line, item.id, refusal.reason)
        except RulebookError as exc:
            return Refused(line, item.id, f"rulebook: {exc}")
        if isinstance(decided, str):  # DUPLICATE, the one string ``decide`` returns
            return Duplicate(line, item.id)
        if type(decided) is RatingAwarded:
            decided = self._with_basis(decided, rulebook_for)
        branch.mutate(decided)
        return Accepted(line, item.id, event=decided)

    def _with_basis(
        self, event: RatingAwarded, rulebook_for: Callable[[int], Rulebook]
    ) -> RatingAwarded:
        """The award keeps the basis of its eligibility check: the ledger it was decided on,
        the events of its own batch accepted before it included (size, root, and the position
        of the last of them), and the rulebook in force with its file's hash (ADR 0016)."""
        from domain.application import receipts

        tree = self._basis_tree
        if tree is None:
            tree = self.predicted.copy() if self.predicted is not None else self.tree_now()
            self._basis_tree, self._basis_base = tree, tree.position
        fresh = self._basis_events[len(self._basis_leaves) :]
        if fresh:  # kept with the batch: written with the events, not hashed again
            leaves = [leaf_of_event(e) for e in fresh]
            self._basis_leaves.extend(leaves)
            tree.extend(leaves, tree.position + len(fresh), [])
        point = (tree.position, tree.size, tree.root().hex())
        book = rulebook_for(event.record.year).id
        return msgspec.structs.replace(event, basis=receipts.basis(point, book))

    def adopt(self, year: int, rulebook_id: str, reason: str, recorder: str) -> RulebookAdopted:
        """Record that ``rulebook_id`` is in force for rating year ``year`` from now on."""
        book = load_rulebook(rulebook_id)
        if year < book.applies_from:
            raise RulebookError(
                f"rulebook {rulebook_id} may be adopted for rating years from "
                f"{book.applies_from} on, not {year}"
            )
        if not reason.strip():
            raise RulebookError("an adoption needs a reason (--reason)")
        state = self.rating_year(year)
        event = RulebookAdopted(
            originator_id=state.id,
            originator_version=state.version + 1,
            timestamp=self._clock()(),
            recorder=recorder,
            year=year,
            rulebook=rulebook_id,
            reason=reason,
        )
        self.recorder.insert_events([self.mapper.to_stored_event(event)])
        self._last_timestamp = event.timestamp
        return event

    # ----------------------------------------------------------------- time
    def _clock(self) -> Callable[[], datetime]:
        """Recording times strictly increasing from record to record through the ledger.
        The wall clock is read for every ``CLOCK_EVERY``-th record of a batch (reading it
        was a fiftieth of an import's decisions); the records between take the last time
        plus a microsecond each, so they never run ahead of the clock by more than a
        batch's ``CLOCK_EVERY`` microseconds, while deciding them takes milliseconds."""
        last = self._last_timestamp or self._stored_last_timestamp()
        clock = self.settings.clock
        tick = timedelta(microseconds=1)
        count = 0

        def now() -> datetime:
            nonlocal last, count
            if last is not None and count % CLOCK_EVERY:
                t = last + tick
            else:
                t = clock()
                if last is not None and t <= last:
                    t = last + tick
            count += 1
            last = t
            return t

        return now

    def _stored_last_timestamp(self) -> datetime | None:
        """The recording time of the last stored event that can be read: a damaged row at
        the end of the log is ``verify``'s to name, not a reason to refuse every write."""
        stop = self.recorder.max_notification_id() or 0
        while stop > 0:
            start = max(1, stop - 99)
            notes = self.recorder.select_notifications(start=start, limit=100, stop=stop)
            for note in reversed(notes):
                try:
                    event: LedgerEvent = self.mapper.to_domain_event(note)  # type: ignore[assignment]
                except CorruptEvent:
                    continue
                return event.timestamp
            stop = start - 1
        return None


_BRANCH_PACKER = msgspec.msgpack.Encoder()
_BRANCH_UNPACKER = msgspec.msgpack.Decoder(Branch)


def _pack_branch(branch: Branch) -> bytes:
    """A branch state as an import parks it (never stored: the store's snapshots stay JSON)."""
    return _BRANCH_PACKER.encode(branch)


def _unpack_branch(packed: bytes) -> Branch:
    return _BRANCH_UNPACKER.decode(packed)


class LedgerLog:
    """The ledger as the projection runner reads it (``projections.runner.EventLog``)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._decoders: dict[str, Callable[[bytes], Any]] = {}  # topic -> its class's decode

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def read(self, after: int, stop: int, limit: int) -> list[tuple[int, LedgerEvent]]:
        rows = self.ledger.recorder.select_states(after, stop, limit)  # type: ignore[attr-defined]
        return self._decode(rows)

    def _decode(self, rows: Sequence[tuple[int, str, bytes]]) -> list[tuple[int, LedgerEvent]]:
        """Each row's event, by one dict look-up for its topic's decoder (the projector's
        hot loop: no call of ``decode_event`` per row)."""
        decoders = self._decoders
        try:
            return [(position, decoders[topic](state)) for position, topic, state in rows]
        except KeyError:  # a topic met for the first time (``UnknownTopic`` if not ours)
            for position, topic, _ in rows:
                if topic not in decoders:
                    with _at_position(position):
                        decoders[topic] = event_decoder(topic).decode
            return self._decode(rows)
        except msgspec.DecodeError:
            for position, topic, state in rows:
                with _at_position(position):
                    decode_event(topic, state)  # raises the ``CorruptEvent`` that names it
            raise


@contextmanager
def _at_position(position: int) -> Iterator[None]:
    """A ``CorruptEvent`` (or ``UnknownTopic``) met while reading the log names where."""
    try:
        yield
    except CorruptEvent as exc:
        raise type(exc)(f"position {position}: {exc}") from None


def _damaged(code: str, exc: CorruptEvent) -> str:
    """The refusal of a record for a branch whose stored events cannot be read (ADR 0016):
    a reason naming the branch, not a traceback or a 500 for the whole batch."""
    hint = "" if "fivestar verify" in str(exc) else "; run `fivestar verify`"
    return f"branch {code}: its stored events are damaged ({exc}){hint}"
