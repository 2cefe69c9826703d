"""Catching the read models up with the event log, by polling its notifications.

SQLite cannot be subscribed to, so the read models follow the ledger by reading the
notification log from their tracked position in batches; the same loop serves PostgreSQL
(whose inserts take a table lock, so positions become visible in order). Each batch and its
position commit together: a crash resumes at the last committed batch.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.ledger import Ledger
from projections.eligibility import LedgerProjection
from projections.views import ViewStore

Progress = Callable[[int, int], None]
BATCH_SIZE = 20000


class ProjectionError(RuntimeError):
    """An event the projection cannot apply: names its position so it can be found."""


class ProjectionRunner:
    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        projection: LedgerProjection | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.projection = projection or LedgerProjection()
        self.batch_size = batch_size

    def lag(self) -> int:
        """Events in the log that the read models do not reflect yet."""
        top = self.ledger.recorder.max_notification_id() or 0
        return max(0, top - self.views.position())

    def catch_up(self, progress: Progress | None = None, stop: int | None = None) -> int:
        """Apply every event after the tracked position; returns the new position."""
        position = self.views.position()
        top = stop or self.ledger.recorder.max_notification_id() or 0
        while position < top:
            notes = self.ledger.recorder.select_notifications(
                start=position, limit=self.batch_size, stop=top, inclusive_of_start=False
            )
            if not notes:
                break
            batch = [(n.id, self.ledger.mapper.to_domain_event(n)) for n in notes]
            try:
                with self.views.writing() as w:
                    self.projection.process(w, batch)
                self.projection.committed(notes[-1].id)
            except Exception as exc:
                first, last = notes[0].id, notes[-1].id
                raise ProjectionError(
                    f"projection stopped in positions {first}..{last}: {exc}"
                ) from exc
            position = notes[-1].id
            if progress:
                progress(position, top)
        return position
