"""The import's projector: a forked process that follows the ledger while an import writes it.

Deciding and recording a batch is one core's work; applying it to the read models is as much
again. An import of a large file therefore forks one process that applies the events to
the read models as the import commits them (the ordinary ``ProjectionRunner.catch_up`` from
the tracked positions, on its own connections), so the second core does the projecting and
the import returns with the read models caught up about when its last batch is recorded
(ADR 0021). Nothing here is a new consistency rule: the follower is one more projector, its
batches commit with their tracking positions, and the importing process finishes with the
usual catch-up, which does whatever the follower did not (it failed, or was slower).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from typing import Any

from domain.application.ledger import Ledger, LedgerLog
from domain.application.outage import unavailable_cause
from domain.application.settings import Settings
from domain.application.store import ledger_env
from projections.runner import ProjectionRunner
from projections.views import open_views

POLL = 0.05  # seconds between looks at the log when too few events are waiting


class ImportFollower:
    """Start with ``start()``; ``finish()`` once the import recorded its last batch (waits
    for the follower to catch up and exit); ``stop()`` on failure or Ctrl-C (ends it at
    once). Forked, like the rebuild's workers: the child opens its own connections."""

    def __init__(self, db: str, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._context = multiprocessing.get_context("fork")
        self._done = self._context.Event()
        self._process: Any = None

    def start(self) -> None:
        self._process = self._context.Process(
            target=_follow,
            args=(
                self.db,
                self.settings.projection_batch_size,
                self._done,
                os.getpid(),
                self.settings.import_projector_nice,
            ),
            name="fivestar-import-projector",
            daemon=True,
        )
        self._process.start()

    def finish(self) -> bool:
        """Wait for the follower to apply everything recorded; whether it exited cleanly
        (if not, the caller's catch-up does the rest and reports any projection error)."""
        if self._process is None:
            return False
        self._done.set()
        self._process.join()
        ok = self._process.exitcode == 0
        self._process = None
        return ok

    def stop(self) -> None:
        """The import failed or was interrupted: end the follower now (a projection batch it
        was writing rolls back; the next catch-up resumes from the tracked positions)."""
        if self._process is None:
            return
        self._process.terminate()
        self._process.join()
        self._process = None


def _follow(db: str, batch_size: int, done: Any, parent: int, nice: int = 0) -> None:
    """The forked process: catch the read models up whenever a runner batch's worth of
    events is waiting, and all the way once the import is done (or its process is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    if nice:
        os.nice(nice)  # deciding is the import's critical path; this catches up behind it
    try:
        ledger = Ledger(env=ledger_env(db, create=False))  # the parent created them
        views = open_views(db, ledger.factory.datastore, create=False)  # type: ignore[attr-defined]
        log = LedgerLog(ledger)
        runner = ProjectionRunner(log, views, batch_size)
        position = views.position()
        while True:
            finished = done.is_set() or os.getppid() != parent
            if finished:
                position = runner.catch_up()
            else:
                waiting = (log.head() - position) // batch_size * batch_size
                if waiting:  # whole runner batches only: fewer, fuller transactions
                    position = runner.catch_up(stop=position + waiting)
            if finished:
                break
            done.wait(POLL)
        ledger.close()
        views.datastore.close()
    except BaseException as exc:  # the importing process's catch-up redoes and reports it
        if unavailable_cause(exc) is None:  # an outage: the import's own one line says it
            print(f"import projector stopped: {exc}", file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)
