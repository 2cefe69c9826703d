"""What ``export --out`` and ``--format csv|xlsx --out`` may write over (SQLite and
PostgreSQL stores).

Before, ``fivestar export --out fivestar.db`` truncated the ledger to nothing before reading
it, and ``eligibility --format csv --out fivestar.db`` replaced the ledger with a spreadsheet;
an output path that was a folder or in a missing folder ended in a traceback. Now a path that
is the store's own file or any SQLite database is refused before anything is opened, a folder
or an unwritable path is one line naming it (exit 2), and a file is replaced only once
complete.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import rec, village

Cli = Callable[..., Any]
WRITES = [
    ("export", "--out"),
    ("eligibility", "--year", "2024", "--format", "csv", "--out"),
    ("awards", "--year", "2024", "--format", "xlsx", "--out"),
]


@pytest.fixture
def ledger(cli: Cli, write_ledger: Callable[..., Path]) -> None:
    lines = [village("V1"), rec("meeting.held", "V1", "2024-01-05", kind="theme_day")]
    assert cli("import", str(write_ledger(lines))).code == 0


def _database(tmp_path: Path, db: str) -> Path:
    """A database to aim at: the store's own ledger file on SQLite, else another one."""
    if not db.startswith("postgresql"):
        return Path(db)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE kept (x)")
        c.execute("INSERT INTO kept VALUES (1)")
    return other


@pytest.mark.parametrize("command", WRITES)
def test_nothing_is_written_over_a_database(
    ledger: None, cli: Cli, db: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # given a database file (the store's own ledger where the store is SQLite)
    target = _database(tmp_path, db)
    before = target.read_bytes()
    # when a command is told to write its output there
    res = cli(*command, str(target))
    # then it refuses in one line naming the path, and the file is untouched
    assert res.code == 2 and str(target) in res.err and "never writes over" in res.err
    assert "Traceback" not in res.err
    assert target.read_bytes() == before
    # and the ledger still reads
    assert [e["record"]["id"] for e in cli("history", "V1", "--json").json()] != []


@pytest.mark.parametrize("command", WRITES)
def test_a_folder_or_a_missing_folder_is_a_one_line_refusal(
    ledger: None, cli: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    for target in (tmp_path, tmp_path / "missing" / "out.file"):
        res = cli(*command, str(target))
        assert res.code == 2 and str(target) in res.err and "Traceback" not in res.err
    assert not list(tmp_path.glob(".*partial"))


def test_an_export_replaces_an_earlier_export_whole(ledger: None, cli: Cli, tmp_path: Path) -> None:
    # given an earlier export file
    target = tmp_path / "backup.jsonl"
    target.write_text("an earlier export\n", encoding="utf-8")
    # when the ledger is exported over it
    assert cli("export", "--out", str(target)).code == 0
    # then the file is the new export, and no partial file is left beside it
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and "an earlier export" not in lines
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


@pytest.mark.parametrize("command", ["eligibility", "compliance", "history"])
def test_a_position_past_any_ledger_is_a_usage_error(
    ledger: None, cli: Cli, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a small ledger; when a replay is asked at a position no ledger reaches
    args = ["history", "V1"] if command == "history" else [command, "--year", "2024"]
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        cli(*args, "--position", str(10**20))
    # then it is refused as a usage error naming the bound (before: an OverflowError
    # traceback from SQLite), and the largest position allowed replays the whole ledger
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "2**53" in err and "Traceback" not in err
    assert cli(*args, "--position", str(2**53), "--json").code == 0
