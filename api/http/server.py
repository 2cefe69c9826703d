"""``fivestar serve``: uvicorn web workers, and ONE projector in the serving process (ADR 0007).

The projector is a thread of the process that runs ``serve``: with one worker that is the
web server's own process; with ``--workers N`` it is uvicorn's supervisor, whose workers are
started with ``project=False``. Either way exactly one projector follows the ledger.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from api.logs import configure as configure_logging
from domain.application.identity import StoreMismatch
from domain.application.outage import unavailable_cause
from domain.application.store import NoLedger, resolve_db


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.http import app
    from domain.application.service import FiveStar

    db = resolve_db(args.db)
    os.environ["FIVESTAR_DB"] = db  # the web workers' factory reads it
    workers = max(1, int(args.workers or 1))
    configure_logging()
    try:
        svc = FiveStar(db, create=False)  # a ledger must exist: `import` or `token issue`
        svc.token_store()
    except (NoLedger, StoreMismatch) as exc:
        print(f"fivestar: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if unavailable_cause(exc):
            raise  # away: one line and exit 3 (main)
        print(f"fivestar: cannot open the store {db}: {exc}", file=sys.stderr)
        return 2
    projector = app.Projector(svc)
    if not getattr(args, "no_projector", False):
        app.SERVING_PROJECTOR = projector
        projector.start()
    # Handlers of our own under uvicorn's: uvicorn installs its handlers for the run and,
    # once stopped, raises the signal again under the handler it found. That must neither
    # kill us (SIGTERM's default) nor be lost: a process started in the background inherits
    # SIGINT ignored, and uvicorn's own handlers are what stop it then.
    stopped: list[str] = []
    previous = {
        s: signal.signal(s, lambda n, _f: stopped.append(signal.Signals(n).name))
        for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        uvicorn.run(
            "api.http.app:app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=workers,
            log_level="info",
            timeout_graceful_shutdown=10,
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        projector.stop()
        svc.close()
    return 0
