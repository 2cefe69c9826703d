"""The application services: what the CLI and the HTTP API call, and nothing else does.

``FiveStar`` opens the ledger (event store) and the read models for one ``--db`` and offers
one method per use: import a file, submit records, replay a history, query eligibility,
awards, rewards and priority, recompute a year, rebuild the read models.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking

from domain.application.ledger import REFUSED, Ledger, Outcome
from domain.application.rebuild import rebuild
from domain.application.store import ledger_env, resolve_db
from domain.model import records as r
from domain.model.events import BranchEvent, LedgerEvent, RulebookAdopted, branch_stream_id
from projections.runner import Progress, ProjectionRunner
from projections.views import REBUILD, open_views

CHUNK = 5000
COMPLETE = 2**62  # tracking position that marks an import run as finished


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

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass(frozen=True)
class HistoryEntry:
    position: int
    recorded_at: datetime
    recorder: str
    record: dict[str, Any]


class FiveStar:
    def __init__(self, db: str | None = None) -> None:
        self.db = resolve_db(db)
        self.ledger = Ledger(env=ledger_env(self.db))
        self.views = open_views(self.db, self.ledger)
        self.runner = ProjectionRunner(self.ledger, self.views)
        # One writer and one projector per process: the branch cache and the tracked
        # position are shared state; other processes are kept honest by optimistic
        # concurrency (ledger) and the tracking row (read models).
        self.write_lock = threading.RLock()
        self.projection_lock = threading.Lock()
        self._pending: list[tuple[int, LedgerEvent]] = []

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
    ) -> ImportReport:
        """Apply a JSON Lines file record by record, resuming an interrupted run of it."""
        started = datetime.now(UTC)
        path = Path(path)
        run = self._import_run(path)
        resumed_at = self.ledger.recorder.max_tracking_id(run) or 0  # type: ignore[attr-defined]
        report = ImportReport(str(path), resumed_at=resumed_at)
        if resumed_at:
            for refusal in self.ledger.recorder.select_refusals(run):  # type: ignore[attr-defined]
                report.refused.append(refusal)
                if on_refusal:
                    on_refusal(*refusal)
        size = path.stat().st_size or 1
        for batch, last_line, done_bytes, final in _chunks(path, resumed_at):
            tracking = Tracking(run, COMPLETE if final else last_line)
            with self.write_lock:
                before = self.ledger.recorder.max_notification_id() or 0
                outcomes = self.ledger.submit(batch, recorder, tracking=tracking, refusal_log=run)
            self._tally(report, outcomes, on_refusal)
            self._project_fresh(before, outcomes, final)
            if progress:
                progress(done_bytes, size)
        report.position = self.catch_up()
        report.seconds = (datetime.now(UTC) - started).total_seconds()
        return report

    def _import_run(self, path: Path) -> str:
        """The tracking name of this file's current import run (a new one once finished)."""
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        generation = 0
        while True:
            run = f"import:{digest.hexdigest()[:32]}:{generation}"
            if (self.ledger.recorder.max_tracking_id(run) or 0) != COMPLETE:  # type: ignore[attr-defined]
                return run
            generation += 1

    @staticmethod
    def _tally(
        report: ImportReport,
        outcomes: list[Outcome],
        on_refusal: Callable[[int, str, str], None] | None,
    ) -> None:
        for o in outcomes:
            if o.status == REFUSED:
                report.refused.append((o.line, o.id, o.reason))
                if on_refusal:
                    on_refusal(o.line, o.id, o.reason)
            elif o.status == "applied":
                report.applied += 1
            else:
                report.duplicates += 1

    def submit(self, items: list[object], recorder: str, *, refresh: bool = False) -> list[Outcome]:
        """Records from an API body, each decoded and decided on its own, in order.

        ``refresh`` first drops cached branch states that another process (another server
        worker, an import) has written past, so no record is decided on a stale state."""
        batch: list[tuple[int, r.AnyRecord | r.RecordError]] = []
        for index, obj in enumerate(items, 1):
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
        fresh = [(o.position, o.event) for o in outcomes if o.event is not None and o.position]
        with self.projection_lock:
            pending = self._pending
            expected = pending[-1][0] if pending else self.views.position()
            if fresh:
                first, last = fresh[0][0], fresh[-1][0]
                contiguous = first == before + 1 == expected + 1 and last - first + 1 == len(fresh)
                top = self.ledger.recorder.max_notification_id() or 0
                if contiguous and top == last:
                    pending.extend(fresh)  # type: ignore[arg-type]
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
        with self.views.writing() as w:
            self.runner.projection.process(w, batch)
        self.runner.projection.committed(batch[-1][0])

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
            event: BranchEvent = self.ledger.mapper.to_domain_event(note)
            if _after(note.id, event.timestamp, as_of, position):
                break
            entries.append(
                HistoryEntry(
                    note.id, event.timestamp, event.recorder, r.record_to_dict(event.record)
                )
            )
        for row in self.views.query(
            "SELECT position, year, rulebook, reason, recorder, recorded_at FROM {p}adoptions"
        ):
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
                start=start, limit=CHUNK, stop=position, inclusive_of_start=False
            )
            if not notes:
                return
            for note in notes:
                event: LedgerEvent = self.ledger.mapper.to_domain_event(note)
                if _after(note.id, event.timestamp, as_of, position):
                    return
                yield note.id, event
            start = notes[-1].id

    def adoption_events(self) -> list[RulebookAdopted]:
        return [e for _, e in self.events_until() if isinstance(e, RulebookAdopted)]


def _after(position: int, at: datetime, as_of: datetime | None, stop: int | None) -> bool:
    return (stop is not None and position > stop) or (as_of is not None and at > as_of)


def _chunks(
    path: Path, skip_through: int
) -> Iterator[tuple[list[tuple[int, r.AnyRecord | r.RecordError]], int, int, bool]]:
    """Decoded lines in batches, streaming, the last one flagged; blank lines skipped; lines
    up to ``skip_through`` were handled by an earlier, interrupted run of the same file."""
    batch: list[tuple[int, r.AnyRecord | r.RecordError]] = []
    done = 0
    line_no = 0
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, 1):
            done += len(raw)
            if line_no <= skip_through or not raw.strip():
                continue
            try:
                batch.append((line_no, r.decode_record(raw)))
            except r.RecordError as exc:
                batch.append((line_no, exc))
            if len(batch) >= CHUNK:
                yield batch, line_no, done, False
                batch = []
    yield batch, line_no, done, True


def rebuild_views(service: FiveStar, progress: Progress | None = None) -> int:
    """Rebuild every read model into fresh tables, then swap them in (resumable)."""
    fresh = open_views(service.db, service.ledger, REBUILD)
    position = rebuild(service.db, service.ledger, fresh, progress)
    service.views.swap_in(fresh)
    return position
