"""The projector: one background worker that keeps the read models caught up with the log.

``fivestar serve`` runs one in its own process (ADR 0007); ``fivestar project`` runs one as a
process of its own, for API hosts started with ``serve --no-projector`` (ADR 0010).
"""

from __future__ import annotations

import logging
import threading

from domain.application.service import FiveStar
from projections.runner import ProjectionError

log = logging.getLogger("fivestar.projector")


class Projector:
    """The one background worker that catches the read models up with the ledger: polls
    the log every ``interval`` seconds, or at once when woken after a write."""

    def __init__(self, svc: FiveStar, interval: float = 0.05) -> None:
        self.svc = svc
        self.interval = interval
        self.error: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="fivestar-projector", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pause = self.interval
            try:
                self.svc.catch_up()
                self.error, failures = None, 0
            except Exception as exc:  # a poison event (ProjectionError names it), a store
                # that went away, a race with another projector (an import): retry, slower
                # each time, and say why on /health meanwhile
                failures += 1
                self.error = str(exc) if isinstance(exc, ProjectionError) else repr(exc)
                log.log(logging.WARNING if failures < 3 else logging.ERROR, "projector: %s", exc)
                pause = min(30.0, 0.25 * 2**failures)
            self._wake.wait(pause)
            self._wake.clear()
