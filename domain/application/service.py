"""The application services: what the CLI and the HTTP API call, and nothing else does.

``FiveStar`` opens the ledger (event store) and the read models for one ``--db`` and offers
one method per use: import a file, submit records, replay a history, query eligibility,
awards, rewards and priority, recompute a year, rebuild the read models.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec
from eventsourcing.persistence import Tracking

from domain.application.identity import (
    StoreMismatch,
    bind_views,
    check_binding,
    ledger_identity,
    version_problem,
    views_binding,
    views_versions,
    write_views_versions,
)
from domain.application.ledger import BranchLoads, DecidedBatch, Ledger, LedgerLog
from domain.application.mapper import CorruptEvent, wire_with_leaf
from domain.application.outcomes import Accepted, Duplicate, Outcome, Refused
from domain.application.reads import ReadServices
from domain.application.settings import Settings
from domain.application.store import (
    NoLedger,
    is_postgres,
    ledger_env,
    ledger_tables_exist,
    resolve_db,
)
from domain.application.tokens import TokenStore
from domain.model import records as r
from domain.model.events import BranchEvent, LedgerEvent, RulebookAdopted, branch_stream_id
from domain.model.rulebook import honour_reach
from projections import queries
from projections.runner import Progress, ProjectionRunner
from projections.tables import all_tables
from projections.views import REBUILD, ViewStore, open_views

if TYPE_CHECKING:  # the import's helper processes: loaded by the commands that write
    from domain.application.follower import ImportFollower

COMPLETE = 2**62  # tracking position that marks an import run as finished
# The fingerprint of the lines an import run consumed is a row of its refusal log, written
# in each batch's transaction: line 0 (no line has that number), id "@consumed".
PREFIX_LINE, PREFIX_ID = 0, "@consumed"


class ImportChanged(ValueError):
    """An interrupted import cannot resume: the file no longer begins with the lines it
    consumed (edited or replaced in place)."""

    def __init__(self, path: Path, line: int) -> None:
        super().__init__(
            f"{path} is not the file whose import was interrupted after line {line}: its "
            f"first {line} lines have changed since. To import the file as it is now from its "
            f"first line, run `fivestar import --restart {path}` (records already in the "
            "ledger are counted as duplicates; a changed record keeping its id is refused)"
        )
        self.path, self.line = path, line


class UnknownBranch(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown branch {code!r}: it has no records in this ledger")
        self.code = code


@dataclass
class ImportReport:
    path: str
    applied: int = 0
    duplicates: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    resumed_at: int = 0
    seconds: float = 0.0
    position: int = 0
    branches_loaded: int = 0  # branch states taken from the store (ADR 0021)
    branches_rebuilt_again: int = 0  # of those, reloads that replayed events again
    branches_unpacked: int = 0  # loads of states the import had parked in memory (ADR 0030)

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    recorded_at: datetime
    recorder: str
    record: dict[str, Any]
    basis: dict[str, Any] | None = None  # an award's determination receipt (ADR 0016)


class FiveStar(ReadServices):
    """The application services over one store; ``settings`` default to ``Settings.from_env()``."""

    def __init__(
        self,
        db: str | None = None,
        settings: Settings | None = None,
        *,
        create: bool = True,
        check: bool = True,
    ) -> None:
        """Open the ledger at ``db`` and its read models. ``create=False``: the ledger must
        exist (``NoLedger`` otherwise, with nothing created). ``check=False`` (``rebuild``
        only) opens read models that belong to another ledger, to replace them."""
        self.db = resolve_db(db)
        self.settings = settings or Settings.from_env()
        self.ledger = Ledger(env=ledger_env(self.db, create=create), settings=self.settings)
        datastore = self.ledger.factory.datastore  # type: ignore[attr-defined]
        events_table = self.ledger.recorder.events_table_name  # type: ignore[attr-defined]
        if not create and is_postgres(self.db) and not ledger_tables_exist(datastore, events_table):
            self.ledger.close()
            raise NoLedger(self.db)
        self.identity = ledger_identity(datastore)
        self.views = open_views(self.db, datastore)
        if check:
            self._check_views()
        self.log = LedgerLog(self.ledger)
        self.runner = ProjectionRunner(self.log, self.views, self.settings.projection_batch_size)
        # One writer and one projector per process: the branch cache and the tracked
        # position are shared state; other processes are kept honest by optimistic
        # concurrency (ledger) and the tracking row (read models).
        self.write_lock = threading.RLock()
        self.projection_lock = threading.Lock()
        self._pending: list[tuple[int, LedgerEvent]] = []

    def _check_views(self) -> None:
        """Refuse read models of another ledger or ahead of this one (ADR 0012); bind
        read models that were never bound (new, or from before the binding) to it."""
        problem = self.views_problem()
        if problem is not None:
            self.close()
            raise StoreMismatch(problem)
        if views_binding(self.views.datastore) is None:
            self._bind_views()
            return
        stored = views_versions(self.views.datastore)
        current = {model.name: model.version for model in self.views.read_models}
        if stored is None or not current.keys() <= stored.keys():  # a read model new here
            write_views_versions(self.views.datastore, {**current, **(stored or {})})

    def _bind_views(self) -> None:
        """Record the ledger, the rulebooks' honour reach and the read models' versions the
        read models are (now) built for."""
        bind_views(self.views.datastore, self.identity, honour_reach())
        versions = {model.name: model.version for model in self.views.read_models}
        write_views_versions(self.views.datastore, versions)

    def views_problem(self) -> str | None:
        """Why the read models cannot be trusted for this ledger, or None."""
        head = self.ledger.recorder.max_notification_id() or 0
        bound = views_binding(self.views.datastore)
        problem = check_binding(
            bound,
            self.identity,
            honour_reach(),
            max(self.views.positions().values(), default=0),
            head,
            self.db,
        )
        if problem is not None or bound is None:
            return problem
        current = {model.name: model.version for model in self.views.read_models}
        return version_problem(views_versions(self.views.datastore), current, self.db)

    def close(self) -> None:
        self.ledger.close()
        self.views.datastore.close()

    def __enter__(self) -> FiveStar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ import
    def import_file(
        self,
        path: str | Path,
        recorder: str,
        on_refusal: Callable[[int, str, str], None] | None = None,
        progress: Progress | None = None,
        *,
        restart: bool = False,
    ) -> ImportReport:
        """Apply a JSON Lines file record by record, resuming an interrupted run of it.

        A run resumes only if the file still begins with the lines it consumed (their
        fingerprint is kept with the resume position); otherwise ``ImportChanged``, and
        ``restart`` abandons the interrupted run and reads the file from its first line."""
        started = datetime.now(UTC)
        path = Path(path)
        run = self._import_run(path, recorder, restart)
        resumed_at = self.ledger.recorder.max_tracking_id(run) or 0  # type: ignore[attr-defined]
        report = ImportReport(str(path), resumed_at=resumed_at)
        size = path.stat().st_size or 1
        self.ledger.loads = loads = BranchLoads()
        self.ledger.sweeping = set()  # the import's eviction policy (ADR 0021)
        follower = None
        if size >= self.settings.import_follower_bytes:
            from domain.application.follower import ImportFollower

            follower = ImportFollower(self.db, self.settings)
            follower.start()
        page_cache = getattr(self.ledger.recorder, "import_page_cache", None)  # SQLite's
        try:
            with page_cache(self.settings.import_cache_mb) if page_cache else nullcontext():
                self._import_lines(path, run, recorder, report, on_refusal, progress, follower)
        except BaseException:
            if follower is not None:
                follower.stop()
            raise
        finally:
            self.ledger.loads = self.ledger.sweeping = None
            self.ledger.unpark_all()
        if follower is not None:
            follower.finish()
        report.position = self.catch_up()
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        report.branches_loaded = loads.loaded
        report.branches_rebuilt_again = loads.rebuilt_again
        report.branches_unpacked = loads.unpacked
        return report

    def _import_lines(
        self,
        path: Path,
        run: str,
        recorder: str,
        report: ImportReport,
        on_refusal: Callable[[int, str, str], None] | None,
        progress: Progress | None,
        follower: ImportFollower | None,
    ) -> None:
        """Decide and record the file's lines after ``report.resumed_at``, batch by batch;
        the read models follow in ``follower`` if there is one, else here."""
        resumed_at = report.resumed_at
        with path.open("rb") as f:
            lines = _Lines(f)
            if resumed_at:
                logged = self.ledger.recorder.select_refusals(run)  # type: ignore[attr-defined]
                consumed = {row[2] for row in logged if row[0] == PREFIX_LINE}
                lines.skip(resumed_at)
                if lines.fingerprint() not in consumed:
                    raise ImportChanged(path, resumed_at)
                for refusal in logged:
                    if refusal[0] != PREFIX_LINE:
                        report.refused.append(refusal)
                        if on_refusal:
                            on_refusal(*refusal)
            batches = _prepared(_chunks(lines, self.settings.import_batch_size), lines, run)
            reporting = _Reporting(run, recorder, report, on_refusal, progress)
            if follower is not None and self.settings.import_writer:
                batches = self._import_written_ahead(batches, reporting)
            self._import_in_turn(batches, reporting, follower)

    def _import_in_turn(
        self, batches: Iterator[_Batch], reporting: _Reporting, follower: ImportFollower | None
    ) -> None:
        """Decide and commit each batch in this process, one after the other."""
        for b in batches:
            with self.write_lock:
                before = self.ledger.recorder.max_notification_id() or 0
                outcomes = self.ledger.submit(
                    b.items,
                    reporting.recorder,
                    tracking=b.tracking,
                    refusal_log=reporting.run,
                    log_rows=[b.marker],
                    durable=b.final,
                )
            reporting.landed(b, outcomes)
            if follower is None:
                self._project_fresh(before, outcomes, b.final)

    def _import_written_ahead(
        self, batches: Iterator[_Batch], reporting: _Reporting
    ) -> Iterator[_Batch]:
        """Decide each batch while a forked writer commits the one before (ADR 0027).
        Returns the batches left to do in turn: none, or, if the writer could not commit
        one, that batch and everything after it (decided again from the store)."""
        from domain.application.import_writer import ImportWriter, WriterLost, note_committed

        ledger = self.ledger
        writer = ImportWriter(self.db, self.settings.import_cache_mb)
        flight: list[_Batch] = []  # the batch the writer is committing, if any

        def land() -> None:
            if not flight:
                return
            sent = flight[0]
            assert sent.decided is not None
            sent.decided.place(writer.wait())
            flight.clear()
            ledger.release(sent.number)
            note_committed(ledger.recorder, sent.tracking)
            reporting.landed(sent, sent.decided.outcomes)

        with self.write_lock:
            ledger.predicted = ledger.tree_now()
        writer.start()
        b: _Batch | None = None
        try:
            for b in batches:
                with self.write_lock:
                    b.decided = ledger.decide_batch(b.items, reporting.recorder)
                    stored = [wire_with_leaf(e, leaf) for e, leaf in b.decided.with_leaves()]
                    expect_last = ledger.predict([row[5] for row in stored], b.decided)
                    land()
                    ledger.settle(b.decided)
                    snapshots = ledger.evict(limbo=b.number)
                    refusals = [*b.decided.refusals, b.marker]
                    writer.send(
                        stored, b.tracking, refusals, reporting.run, b.final, snapshots, expect_last
                    )
                    flight.append(b)
                b = None
            land()
        except WriterLost:
            writer.stop()
            ledger.forget_all()  # the states ran ahead of the store
            redo = [*flight, *([b] if b is not None else [])]
            return itertools.chain(redo, batches)
        except BaseException:
            writer.stop()
            ledger.forget_all()
            raise
        finally:
            ledger.predicted = None
        writer.finish()
        return iter(())

    def _import_run(self, path: Path, recorder: str, restart: bool) -> str:
        """The tracking name of this file's current import run: the file is known by its
        absolute path; a finished run (or, with ``restart``, an interrupted one) is followed
        by a new generation."""
        key = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape"))
        generation = 0
        while True:
            run = f"import:{key.hexdigest()[:32]}:{generation}"
            reached = self.ledger.recorder.max_tracking_id(run) or 0  # type: ignore[attr-defined]
            if reached == COMPLETE:
                generation += 1
            elif reached and restart:  # abandon the interrupted run: mark it finished
                with self.write_lock:
                    self.ledger.submit([], recorder, tracking=Tracking(run, COMPLETE))
                generation += 1
            else:
                return run

    @staticmethod
    def _tally(
        report: ImportReport,
        outcomes: list[Outcome],
        on_refusal: Callable[[int, str, str], None] | None,
    ) -> None:
        for o in outcomes:
            if isinstance(o, Refused):
                report.refused.append((o.line, o.id, o.reason))
                if on_refusal:
                    on_refusal(o.line, o.id, o.reason)
            elif isinstance(o, Accepted):
                report.applied += 1
            elif isinstance(o, Duplicate):
                report.duplicates += 1

    def submit(
        self, items: Sequence[object], recorder: str, *, refresh: bool = False
    ) -> list[Outcome]:
        """Records, each decided on its own, in order: decoded records as they are, anything
        else (a JSON value from an API body) decoded here, once.

        ``refresh`` first drops cached branch states that another process (another server
        worker, an import) has written past, so no record is decided on a stale state."""
        batch: list[tuple[int, r.AnyRecord | r.RecordError]] = []
        for index, obj in enumerate(items, 1):
            if isinstance(obj, r.Record):
                batch.append((index, obj))  # type: ignore[arg-type]
                continue
            try:
                batch.append((index, r.record_from_object(obj)))
            except r.RecordError as exc:
                batch.append((index, exc))
        with self.write_lock:
            if refresh:
                self.forget_stale(
                    item.branch for _, item in batch if not isinstance(item, r.RecordError)
                )
            return self.ledger.submit(batch, recorder)

    def forget_stale(self, codes: Iterable[str]) -> None:
        with self.write_lock:
            self.ledger.forget_stale(codes)

    def registration(self, code: str) -> r.BranchRegisteredRecord | None:
        """The branch's registration as the ledger holds it now (None: not registered)."""
        with self.write_lock:
            self.forget_stale([code])
            return self.ledger.branch(code).registration

    def case_level(self, code: str, case: str) -> str | None:
        """The level a case is at now (mechanisms.md §3): ``township``, ``county``, or None
        for an unknown case or a community case not yet dispatched."""
        with self.write_lock:
            self.forget_stale([code])
            found = self.ledger.branch(code).registers.cases.get(case)
            return found.level if found is not None else None

    def _project_fresh(self, before: int, outcomes: list[Outcome], final: bool) -> None:
        """Hand the events just recorded straight to the read models (no re-reading and
        decoding) while they are the only events after the tracked position, in batches
        of the runner's size; otherwise catch up from the log as usual."""
        fresh = [(o.position, o.event) for o in outcomes if isinstance(o, Accepted) and o.position]
        with self.projection_lock:
            pending = self._pending
            expected = pending[-1][0] if pending else self.views.position()
            if fresh:
                first, last = fresh[0][0], fresh[-1][0]
                contiguous = first == before + 1 == expected + 1 and last - first + 1 == len(fresh)
                top = self.ledger.recorder.max_notification_id() or 0
                if contiguous and top == last:
                    pending.extend(fresh)
                else:
                    self._flush_pending()
                    self.runner.catch_up()
                    return
            if final or len(pending) >= self.runner.batch_size:
                self._flush_pending()

    def _flush_pending(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self.runner.apply(batch)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Bring the read models up to the end of the log (one projector at a time)."""
        with self.projection_lock:
            return self.runner.catch_up(progress)

    # ----------------------------------------------------------------- history
    def history(
        self, code: str, as_of: datetime | None = None, position: int | None = None
    ) -> list[HistoryEntry]:
        notes = self.ledger.recorder.select_stream(branch_stream_id(code))  # type: ignore[attr-defined]
        if not notes:
            raise UnknownBranch(code)
        entries = []
        for note in notes:
            try:
                event: BranchEvent = self.ledger.mapper.to_domain_event(note)  # type: ignore[assignment]
            except CorruptEvent as exc:
                raise CorruptEvent(f"branch {code}, position {note.id}: {exc}") from None
            if _after(note.id, event.timestamp, as_of, position):
                break
            record = r.record_to_dict(event.record)
            basis = getattr(event, "basis", None)  # an award's determination receipt
            entry = HistoryEntry(note.id, event.timestamp, event.recorder, record)
            if basis is not None:
                entry = replace(entry, basis=msgspec.to_builtins(basis))
            entries.append(entry)
        for row in queries.adoptions(self.views):
            at = datetime.fromisoformat(row["recorded_at"])
            if _after(row["position"], at, as_of, position):
                continue
            record = {
                "type": "rulebook.adopted",
                "year": row["year"],
                "rulebook": row["rulebook"],
                "reason": row["reason"],
                "scope": "ledger",
            }
            entries.append(HistoryEntry(row["position"], at, row["recorder"], record))
        return sorted(entries, key=lambda e: e.position)

    def events_until(
        self, as_of: datetime | None = None, position: int | None = None
    ) -> Iterator[tuple[int, LedgerEvent]]:
        """Every ledger event accepted up to ``as_of``/``position`` (the as-of replay)."""
        start = 0
        while True:
            notes = self.ledger.recorder.select_notifications(
                start=start,
                limit=self.settings.import_batch_size,
                stop=position,
                inclusive_of_start=False,
            )
            if not notes:
                return
            for note in notes:
                event: LedgerEvent = self.ledger.mapper.to_domain_event(note)  # type: ignore[assignment]
                if _after(note.id, event.timestamp, as_of, position):
                    return
                yield note.id, event
            start = notes[-1].id

    def adoption_events(self) -> list[RulebookAdopted]:
        return [e for _, e in self.events_until() if isinstance(e, RulebookAdopted)]

    # ---------------------------------------------------------- adopt, rebuild
    def adopt(
        self, year: int, rulebook: str, reason: str, recorder: str
    ) -> tuple[RulebookAdopted, int]:
        """Record that ``rulebook`` is in force for ``year`` from now on; the event and its
        ledger position (to wait for with ``min_position``)."""
        with self.write_lock:
            event = self.ledger.adopt(year, rulebook, reason, recorder)
            return event, self.log.head()

    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild every read model into fresh tables, verifying the ledger as it replays it,
        then swap them in (resumable); ``LedgerDamaged`` and nothing swapped in if the ledger
        fails its verification (ADR 0020)."""
        from domain.application.audit import Audit, LedgerDamaged
        from domain.application.rebuild import rebuild

        datastore = self.ledger.factory.datastore  # type: ignore[attr-defined]
        fresh = open_views(self.db, datastore, REBUILD)
        if self.views_problem() is not None:  # an interrupted rebuild there is not this ledger's
            discard_views(fresh)
            fresh = open_views(self.db, datastore, REBUILD)
        try:
            position = rebuild(self.db, self.ledger, fresh, self.settings, Audit(self), progress)
        except LedgerDamaged:
            discard_views(fresh)  # never to be resumed: built from a ledger that fails
            raise
        self.views.swap_in(fresh)
        self._bind_views()
        return position

    # ------------------------------------------------------------------ status
    def today(self) -> date:
        """The business date now, where the programme keeps its calendar (``Settings``):
        the default D of compliance, cases and the ladder on every entry point."""
        return self.settings.today()

    def head(self) -> int:
        """The position of the last event in the ledger."""
        return self.log.head()

    def position(self) -> int:
        """The ledger position every read model reflects."""
        return self.views.position()

    def lag(self) -> int:
        """Events in the ledger some read model does not reflect yet."""
        return self.runner.lag()

    def token_store(self) -> TokenStore:
        """The API tokens, kept in the ledger's database."""
        return TokenStore.for_ledger(self.ledger)


def _after(position: int, at: datetime, as_of: datetime | None, stop: int | None) -> bool:
    return (stop is not None and position > stop) or (as_of is not None and at > as_of)


class _Lines:
    """A file's lines with their numbers, and a running SHA-256 of every byte consumed:
    the fingerprint an interrupted import keeps beside its resume position."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.number = 0
        self.done = 0
        self.digest = hashlib.sha256()

    def take(self, count: int) -> list[bytes]:
        """The next ``count`` lines (fewer at the end of the file), consumed in one go: a
        line at a time in Python cost an import of a large file about a second per
        700,000 lines."""
        raws = list(itertools.islice(self.f, count))
        if raws:
            data = b"".join(raws)
            self.digest.update(data)
            self.done += len(data)
            if self.number == 0 and raws[0].startswith(codecs.BOM_UTF8):
                raws[0] = raws[0][len(codecs.BOM_UTF8) :]  # saved by Excel or a Windows editor
            self.number += len(raws)
        return raws

    def skip(self, through: int) -> None:
        """Consume the lines up to ``through`` (an earlier run handled them)."""
        while self.number < through and self.take(min(through - self.number, 65_536)):
            pass

    def fingerprint(self) -> str:
        return f"{self.number}:{self.done}:{self.digest.hexdigest()}"


def _chunks(
    lines: _Lines, size: int
) -> Iterator[tuple[list[tuple[int, r.AnyRecord | r.RecordError]], int, int, bool]]:
    """Decoded lines in batches of ``size`` records, streaming, the last one flagged (it
    may be empty); blank lines skipped. A batch ends at the line of its last record."""
    batch: list[tuple[int, r.AnyRecord | r.RecordError]] = []
    decode = r.decode_record
    while raws := lines.take(size - len(batch)):
        number = lines.number - len(raws)
        for raw in raws:
            number += 1
            if not raw or raw.isspace():  # blank (``strip`` would copy every line)
                continue
            try:
                batch.append((number, decode(raw)))
            except r.RecordError as exc:
                batch.append((number, exc))
        if len(batch) >= size:
            yield batch, lines.number, lines.done, False
            batch = []
    yield batch, lines.number, lines.done, True


@dataclass
class _Reporting:
    """One import run: its tracking name, who records, and where each committed batch's
    outcomes and progress go."""

    run: str
    recorder: str
    report: ImportReport
    on_refusal: Callable[[int, str, str], None] | None
    progress: Progress | None

    def landed(self, batch: _Batch, outcomes: list[Outcome]) -> None:
        FiveStar._tally(self.report, outcomes, self.on_refusal)
        if self.progress:
            self.progress(batch.done_bytes, batch.size)


@dataclass
class _Batch:
    """A batch of an import file's lines with what its transaction records beside its
    events: the tracking position (its last line) and the fingerprint of the lines consumed."""

    number: int
    items: list[tuple[int, r.AnyRecord | r.RecordError]]
    tracking: Tracking
    marker: tuple[int, str, str]
    done_bytes: int
    size: int
    final: bool
    decided: DecidedBatch | None = None


def _prepared(
    chunks: Iterator[tuple[list[tuple[int, r.AnyRecord | r.RecordError]], int, int, bool]],
    lines: _Lines,
    run: str,
) -> Iterator[_Batch]:
    size = os.fstat(lines.f.fileno()).st_size or 1
    for number, (items, last_line, done_bytes, final) in enumerate(chunks):
        tracking = Tracking(run, COMPLETE if final else last_line)
        marker = (PREFIX_LINE, PREFIX_ID, lines.fingerprint())
        yield _Batch(number, items, tracking, marker, done_bytes, size, final)


def rebuild_views(service: FiveStar, progress: Progress | None = None) -> int:
    """Rebuild every read model into fresh tables, then swap them in (resumable)."""
    return service.rebuild(progress)


def discard_views(store: ViewStore) -> None:
    """Drop a prefix's read-model tables and tracking (they reflect another ledger)."""
    with store.datastore.transaction(commit=True) as c:
        for name in all_tables(store.read_models):
            c.execute(f"DROP TABLE IF EXISTS {store.table(name)}")
        for model in store.read_models:
            c.execute(
                store.sql(f"DELETE FROM {store.tracking_table} WHERE application_name = ?"),
                (store.tracking_name(model.name),),
            )
