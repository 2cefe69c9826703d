"""A SQLite store another process holds a write transaction on (longer than the busy
timeout): a command ends with one line naming the file, saying it is locked and to run the
same command again, exit 3 (ADR 0022). It ended with ``cannot open the store X: database is
locked`` and exit 2 (the code of a usage error) or, for ``token issue``, a traceback and exit 1
after the busy timeout. SQLite only: the lock is SQLite's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ledgers import make_ledger
from tests.support.server import fivestar


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[str]:
    db = str(tmp_path / "fivestar.db")
    done = fivestar(db, "import", str(make_ledger(tmp_path / "l.jsonl", branches=2)))
    assert done.returncode in (0, 1), done.stderr
    holders = [sqlite3.connect(path, isolation_level=None) for path in (db, db[:-3] + ".views.db")]
    for holder in holders:
        holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    try:
        yield db
    finally:
        for holder in holders:
            holder.rollback()
            holder.close()


@pytest.mark.parametrize(
    "command",
    [("eligibility", "--year", "2024"), ("import", "ledger"), ("rebuild",)],
    ids=lambda c: c[0],
)
def test_a_locked_store_ends_in_one_line_and_exit_3(
    locked: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    args = [str(tmp_path / "l.jsonl") if a == "ledger" else a for a in command]
    done = fivestar(locked, *args)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"fivestar: the store {locked} is locked by another process (database is locked); "
        "run the same command again once it has finished"
    )
