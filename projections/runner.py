"""Catching the read models up with the event log, by polling it.

SQLite cannot be subscribed to, so the read models follow the ledger by reading the log from
their tracked positions in batches; the same loop serves PostgreSQL (whose inserts take a
table lock, so positions become visible in order). Each batch's rows and the positions of
the read models it advanced commit together: a crash resumes at the last committed batch.
The runner drives every read model of its view store; each sees only the events after its
own position, so one added to an existing store catches up from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from projections.tables import Positioned, Projection, ViewStore

Progress = Callable[[int, int], None]


class EventLog(Protocol):
    """What the runner needs of the ledger (the application passes an adapter)."""

    def head(self) -> int:
        """The position of the last event recorded (0: none)."""
        ...

    def read(self, after: int, stop: int, limit: int) -> list[Positioned]:
        """Up to ``limit`` decoded events after position ``after``, up to ``stop``."""
        ...


class ProjectionError(RuntimeError):
    """An event a projection cannot apply: names its positions so it can be found."""


class ProjectionRunner:
    def __init__(self, log: EventLog, views: ViewStore, batch_size: int = 20_000) -> None:
        self.log = log
        self.views = views
        self.batch_size = batch_size
        self.projections: dict[str, Projection] = {
            model.name: model.projection() for model in views.read_models
        }

    def lag(self) -> int:
        """Events in the log that some read model does not reflect yet; negative when the
        read models are ahead of the ledger (never clamped: that is an error to report)."""
        return self.log.head() - self.views.position()

    def catch_up(self, progress: Progress | None = None, stop: int | None = None) -> int:
        """Apply every event after the tracked positions; returns the new position."""
        positions = self.views.positions()
        position = min(positions.values(), default=0)
        head = self.log.head()
        if max(positions.values(), default=0) > head:
            raise ProjectionError(
                f"the read models are at position {max(positions.values())}, ahead of the "
                f"ledger (position {head}): they were built from another ledger; run "
                "`fivestar rebuild`"
            )
        top = stop or head
        while position < top:
            batch = self.log.read(position, top, self.batch_size)
            if not batch:
                break
            self.apply(batch, positions)
            position = batch[-1][0]
            if progress:
                progress(position, top)
        return position

    def apply(self, batch: Sequence[Positioned], positions: dict[str, int] | None = None) -> None:
        """One transaction: each read model gets the events of ``batch`` after its position
        (``positions``, updated in place; read from the store when not given)."""
        if not batch:
            return
        positions = {} if positions is None else positions
        last = batch[-1][0]
        advanced = []
        try:
            with self.views.writing() as w:
                # The positions as of the claim: another projector may have committed part
                # of this batch since ``positions`` were read.
                positions.update(w.claim())
                for name, projection in self.projections.items():
                    mine = (
                        batch if positions[name] < batch[0][0] else _after(batch, positions[name])
                    )
                    if mine:
                        projection.process(w, mine)
                        w.track(name, last)
                        advanced.append(name)
            for name in advanced:
                self.projections[name].committed(last)
                positions[name] = last
        except Exception as exc:
            raise ProjectionError(
                f"projection stopped in positions {batch[0][0]}..{last}: {exc}"
            ) from exc


def _after(batch: Sequence[Positioned], position: int) -> Sequence[Positioned]:
    return [item for item in batch if item[0] > position]
