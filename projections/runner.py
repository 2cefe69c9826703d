"""Catching the read models up with the event log, by polling its notifications.

SQLite cannot be subscribed to, so the read models follow the ledger by reading the
notification log from their tracked position in batches; the same loop serves PostgreSQL
(whose inserts take a table lock, so positions become visible in order). Each batch and its
position commit together: a crash resumes at the last committed batch.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.application.ledger import Ledger
from domain.application.mapper import decode_event
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
        return top - self.views.position()  # negative: ahead of the ledger (never clamped)

    def catch_up(self, progress: Progress | None = None, stop: int | None = None) -> int:
        """Apply every event after the tracked position; returns the new position."""
        position = self.views.position()
        head = self.ledger.recorder.max_notification_id() or 0
        if position > head:
            raise ProjectionError(
                f"the read models are at position {position}, ahead of the ledger (position "
                f"{head}): they were built from another ledger; run `fivestar rebuild`"
            )
        top = stop or head
        while position < top:
            rows = self.ledger.recorder.select_states(position, top, self.batch_size)  # type: ignore[attr-defined]
            if not rows:
                break
            batch = [(pos, decode_event(topic, state)) for pos, topic, state in rows]
            try:
                with self.views.writing() as w:
                    self.projection.process(w, batch)
                self.projection.committed(rows[-1][0])
            except Exception as exc:
                first, last = rows[0][0], rows[-1][0]
                raise ProjectionError(
                    f"projection stopped in positions {first}..{last}: {exc}"
                ) from exc
            position = rows[-1][0]
            if progress:
                progress(position, top)
        return position
