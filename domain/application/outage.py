"""When the PostgreSQL store goes away: one clear error instead of retries and a traceback.

The library retries a failed statement ten times and the ledger retries a batch eight
times, each attempt waiting for the pool's connect timeout: a stopped server kept an
import waiting for many minutes before it died with a traceback. ``guard_datastore``
wraps the datastore's ``get_connection`` so that any connection failure is checked with
one direct connection attempt (bounded by the connect timeout): if the server cannot be
reached the operation ends at once with ``StoreUnavailable``, which no retry loop catches
(it is a ``PersistenceError``, not an ``OperationalError``). A failure while the server
answers (a lock timeout, a cancelled statement) is re-raised as it was, for the usual
retries. While the store is known to be away, each new operation probes first and fails
fast, so ``serve`` answers 503 at once and works again as soon as a probe succeeds
(ADR 0022).

Imported by every command (the exception), so it imports psycopg only inside functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError

RESUME = "run the same command again to resume"
# SQLSTATEs that mean "the server is not there for us now" (others, such as a wrong
# password or a missing database, will not change by retrying and are reported as they are)
_AWAY_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# A refusal at connection time carries no SQLSTATE (libpq reports only the server's text):
# these words in it mean the server answered and will not let us in as asked
_REFUSALS = (
    "does not exist",  # database, role
    "authentication failed",  # password, scram, peer, ident
    "no password supplied",
    "no pg_hba.conf entry",
    "permission denied",
)


class StoreUnavailable(PersistenceError):
    """The store cannot be reached (stopped, crashed, network gone). Nothing is half
    applied: every batch is one transaction, so the same command run again resumes."""

    exit_code = 3  # the CLI's EXIT_STORE_UNAVAILABLE: run the same command again

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(f"the store {store} is unreachable ({reason})")
        self.store, self.reason = store, reason
        self.progress: str | None = None

    def during_import(self, path: str, committed_line: int | None) -> StoreUnavailable:
        """The same error, saying how far the import of ``path`` is safely committed."""
        if committed_line is None or committed_line <= 0:
            self.progress = f"nothing of {path} was committed"
        else:
            self.progress = f"{path} is committed up to line {committed_line}"
        return self

    def line(self) -> str:
        """The one line a command ends with."""
        parts = [f"fivestar: the store {self.store} is unreachable ({self.reason})"]
        if self.progress:
            parts.append(self.progress)
        parts.append(RESUME)
        return "; ".join(parts)


class StoreRefused(StoreUnavailable):
    """The server answers but refuses us (a missing database or role, a wrong password):
    running again changes nothing, so the line says to mend --db, and the exit status is
    the usage one (2), not "run again" (3)."""

    exit_code = 2

    def __init__(self, store: str, reason: str) -> None:
        super().__init__(store, reason)
        self.args = (f"the store {store} refused the connection ({reason})",)

    def line(self) -> str:
        return (
            f"fivestar: the store {self.store} refused the connection ({self.reason}); "
            "check the database name, user and password in --db or FIVESTAR_DB"
        )


class StoreBusy(StoreUnavailable):
    """A SQLite store another process holds a write lock on for longer than the busy
    timeout: nothing was applied; the same command succeeds once that process is done."""

    def line(self) -> str:
        return (
            f"fivestar: the store {self.store} is locked by another process ({self.reason}); "
            "run the same command again once it has finished"
        )


_LOCKED = ("database is locked", "database table is locked")


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The gist of a driver error (psycopg's messages run over several lines)."""
    text = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def server_said(exc: BaseException) -> str:
    """What the server said when it refused a connection (libpq puts it after "FATAL:"),
    else the driver's first line."""
    text = str(exc)
    if "FATAL:" in text:
        return first_line(Exception(text.split("FATAL:", 1)[1].strip()))
    return first_line(exc)


def store_url(kwargs: dict[str, Any]) -> str:
    """The store's URL from the pool's connection arguments, never with the password."""
    user = kwargs.get("user") or "postgres"
    return f"postgresql://{user}@{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('dbname')}"


def probe(kwargs: dict[str, Any], timeout: float) -> tuple[bool, str | None]:
    """One direct connection attempt: (away, reason). ``away`` is False when the server
    answered, even with a refusal (reason then says why, e.g. a missing database)."""
    import psycopg

    params = {k: v for k, v in kwargs.items() if k != "row_factory"}
    try:
        psycopg.connect(**params, connect_timeout=max(1, round(timeout))).close()
    except psycopg.Error as exc:
        state = getattr(exc, "sqlstate", None)
        if state is None:
            away = not any(word in str(exc) for word in _REFUSALS)
        else:
            away = state.startswith(_AWAY_STATES)
        return away, server_said(exc)
    return False, None


class _Guard:
    """The state shared by every connection of one datastore: is the store away?"""

    def __init__(self, pool: Any, timeout: float, attempts: int) -> None:
        self.pool, self.timeout, self.attempts = pool, timeout, attempts
        self.kwargs: dict[str, Any] = dict(pool.kwargs)
        self.url = store_url(self.kwargs)
        self.away = False

    def check_before(self) -> None:
        """While the store is known to be away, fail at once unless it answers again."""
        if self.away:
            away, reason = probe(self.kwargs, self.timeout)
            if away:
                raise StoreUnavailable(self.url, reason or "no answer")
            self.away = False
            self.pool.check()  # back: replace the pooled connections that died with it

    def judge(self, exc: Exception) -> None:
        """After a failed operation: raise ``StoreUnavailable`` if the server cannot be
        reached after ``attempts`` probes, a plain error if it refuses us for good."""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(1.0)
            away, reason = probe(self.kwargs, self.timeout)
            if not away:
                if reason is not None:  # it answers, but will not let us in
                    raise StoreRefused(self.url, reason) from exc
                # It is there: a connection that died with a restart, or an ordinary
                # failure. Replace dead pooled connections; the usual retries follow.
                self.pool.check()
                return
        self.away = True
        # the pool's "couldn't get a connection after 5.00 sec" hides what the probe saw
        said = first_line(exc)
        if said.startswith("couldn't get a connection") and reason:
            said = reason
        raise StoreUnavailable(self.url, said) from exc


def guard_datastore(datastore: Any, timeout: float, attempts: int = 2) -> None:
    """Wrap ``datastore.get_connection`` (which the library's ``transaction`` and
    ``cursor`` call) with the outage check, once per datastore. The pool gives up a
    reconnection after the connect timeout instead of five minutes, so it asks for a
    fresh connection (without a long back-off) as soon as the store is back; pooled
    connections are checked only then (``pool.check``), not before every use."""
    if getattr(datastore, "_fivestar_guard", None) is not None:
        return
    pool = datastore.pool
    pool.reconnect_timeout = max(float(timeout), 1.0)
    guard = _Guard(pool, float(timeout), attempts)
    original: Callable[[], Any] = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Any]:
        guard.check_before()
        try:
            with original() as conn:
                yield conn
        except (OperationalError, InterfaceError) as exc:
            guard.judge(exc)
            raise

    datastore.get_connection = get_connection
    datastore._fivestar_guard = guard


def unavailable_cause(exc: BaseException | None) -> StoreUnavailable | None:
    """The ``StoreUnavailable`` behind ``exc`` however it was wrapped (a projection error,
    a "cannot open the store" message), a ``StoreBusy`` for a locked SQLite store (its
    ``store`` empty: SQLite's error names no file), or None."""
    seen: set[int] = set()
    locked: StoreBusy | None = None
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, StoreUnavailable):
            return exc
        if locked is None and _is_lock(exc):  # SQLite names no file: the caller sets store
            locked = StoreBusy("", first_line(exc))
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return locked


def _is_lock(exc: BaseException) -> bool:
    """SQLite's "database is locked" (the library's ``OperationalError`` or sqlite3's)."""
    import sqlite3

    return isinstance(exc, OperationalError | sqlite3.OperationalError) and any(
        word in str(exc) for word in _LOCKED
    )
