"""Crash safety of ``fivestar import`` (interchange.md, ADR 0003): an import killed at any moment
leaves every record applied or not, and running the same import again finishes it so that the
store and the refusals are those of an uninterrupted import. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.cli.main import main
from domain.application.ledger import Ledger
from domain.application.service import FiveStar
from domain.application.settings import Settings
from domain.application.store import is_postgres, ledger_env
from tests.support.builders import record_sequence, registered_codes
from tests.support.ledgers import make_ledger
from tests.support.postgres import drop_database as _drop_database
from tests.support.postgres import fresh_database as _fresh_database

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "generate_ledger.py"
FIVESTAR = Path(sys.executable).parent / "fivestar"


@pytest.fixture
def other_db(db: str, postgres_server: str | None, tmp_path: Path) -> Iterator[str]:
    """A second empty store of the same kind as ``db``, for the uninterrupted import."""
    if not is_postgres(db):
        yield str(tmp_path / "uninterrupted" / "fivestar.db")
        return
    assert postgres_server is not None
    url, name = _fresh_database(postgres_server)
    try:
        yield url
    finally:
        _drop_database(postgres_server, name)


def refusal_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("line ")]


def sequence(db: str, codes: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    with FiveStar(db) as svc:
        return record_sequence(svc, codes)


def awards(db: str) -> list[list[dict[str, Any]]]:
    """The awards, without their receipts (another import has other times, so other roots)."""
    with FiveStar(db) as svc:
        return [
            [{k: v for k, v in a.items() if k != "basis"} for a in svc.awards(year)]
            for year in range(2022, 2027)
        ]


def is_prefix_everywhere(partial: dict[str, list[Any]], full: dict[str, list[Any]]) -> bool:
    return all(full[code][: len(rows)] == rows for code, rows in partial.items())


# ----------------------------------------------------------- (a) a real process, SIGKILLed
def run_fivestar(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FIVESTAR), "--db", db, *args], capture_output=True, text=True, timeout=300
    )


def import_and_kill(db: str, path: Path) -> tuple[bool, int]:
    """Start an import and SIGKILL it once its first batch is committed.

    Returns whether it was killed (not finished first) and how many events it left."""
    poller = Ledger(env=ledger_env(db))  # creates the tables before the import starts
    try:
        proc = subprocess.Popen(
            [str(FIVESTAR), "--db", db, "import", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if poller.recorder.max_notification_id():
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.003)
        finally:
            if proc.poll() is None and time.monotonic() >= deadline:
                proc.kill()
            proc.wait(timeout=60)
        return proc.returncode == -signal.SIGKILL, poller.recorder.max_notification_id() or 0
    finally:
        poller.close()


def test_an_import_killed_mid_way_resumes_to_the_uninterrupted_result(
    db: str, other_db: str, tmp_path: Path
) -> None:
    # 120 branches: ~15,600 lines, four 5,000-line batches
    path = make_ledger(tmp_path / "big.jsonl", branches=120, every=997)
    codes = registered_codes(path)

    reference = run_fivestar(other_db, "import", str(path))
    assert reference.returncode in (0, 1), reference.stderr
    want = sequence(other_db, codes)
    total = sum(len(rows) for rows in want.values())
    assert total > 3 * Settings().import_batch_size

    killed, left = import_and_kill(db, path)
    partial = sequence(db, codes)
    assert sum(len(rows) for rows in partial.values()) == left
    assert is_prefix_everywhere(partial, want)  # whole batches, in order: nothing torn
    if killed:
        assert 0 < left < total
    else:  # it finished before the kill landed: the rerun must then be a no-op
        assert left == total

    rerun = run_fivestar(db, "import", str(path))
    assert rerun.returncode == reference.returncode, rerun.stderr
    assert refusal_lines(rerun.stdout) == refusal_lines(reference.stdout)
    assert len(refusal_lines(reference.stdout)) >= 25  # ours, plus the generator's
    if killed:
        assert "resumed" in rerun.stderr
    assert sequence(db, codes) == want
    assert awards(db) == awards(other_db)


# ------------------------------------------------------------ (b) in-process interruptions
@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("FIVESTAR_IMPORT_BATCH_SIZE", "50")
    return 50


def interrupt_on_call(n: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = {"count": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return wrapper


def run_cli(db: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--db", db, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_interrupted_cli_import_resumes_to_the_uninterrupted_result(
    db: str,
    other_db: str,
    tmp_path: Path,
    small_chunks: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = make_ledger(tmp_path / "small.jsonl", branches=6)
    codes = registered_codes(path)
    ref_code, ref_out, _ = run_cli(other_db, capsys, "import", str(path))
    want = sequence(other_db, codes)

    with monkeypatch.context() as m:
        m.setattr(Ledger, "submit", interrupt_on_call(3, Ledger.submit))
        code, out, err = run_cli(db, capsys, "import", str(path))
    assert code == 130
    assert "interrupted" in err
    partial = sequence(db, codes)
    applied = sum(len(rows) for rows in partial.values())
    assert 0 < applied <= 2 * small_chunks
    assert is_prefix_everywhere(partial, want)
    # the refusals printed before the interruption are those of the first two batches
    assert refusal_lines(out) == [
        line for line in refusal_lines(ref_out) if int(line.split()[1][:-1]) <= 2 * small_chunks
    ]

    code, out, err = run_cli(db, capsys, "import", str(path))
    assert code == ref_code == 1
    assert refusal_lines(out) == refusal_lines(ref_out)
    assert f"after line {2 * small_chunks}" in err
    assert sequence(db, codes) == want
    assert awards(db) == awards(other_db)


def test_a_batch_that_fails_inside_the_write_leaves_the_process_consistent(
    db: str, other_db: str, tmp_path: Path, small_chunks: int
) -> None:
    """A batch whose transaction fails after its rows were written is rolled back whole, and
    its decisions are forgotten: the same process imports the file again and gets the
    uninterrupted result."""
    path = make_ledger(tmp_path / "small.jsonl", branches=6)
    codes = registered_codes(path)
    with FiveStar(other_db) as svc:
        reference = svc.import_file(path, "test:resume")
    want = sequence(other_db, codes)

    with FiveStar(db) as svc:
        recorder: Any = svc.ledger.recorder  # the SQLite or PostgreSQL ledger recorder
        real_insert = recorder._insert_events  # the hook projections/store.py overrides
        calls = {"count": 0}

        def insert_then_fail(*args: Any, **kwargs: Any) -> Any:
            result = real_insert(*args, **kwargs)
            calls["count"] += 1
            if calls["count"] == 3:
                raise KeyboardInterrupt  # inside the transaction, after the inserts
            return result

        recorder._insert_events = insert_then_fail
        with pytest.raises(KeyboardInterrupt):
            svc.import_file(path, "test:resume")
        recorder._insert_events = real_insert
        assert calls["count"] == 3
        partial = record_sequence(svc, codes)
        applied_before = sum(len(rows) for rows in partial.values())
        assert 0 < applied_before <= 2 * small_chunks
        assert recorder.max_notification_id() == max(
            e.position for code in codes if partial[code] for e in svc.history(code)
        )
        assert is_prefix_everywhere(partial, want)

        report = svc.import_file(path, "test:resume")
        assert report.resumed_at == 2 * small_chunks
        assert report.refused == reference.refused
        assert report.ok == reference.ok
        assert record_sequence(svc, codes) == want
        assert report.applied + applied_before == reference.applied
    assert awards(db) == awards(other_db)
