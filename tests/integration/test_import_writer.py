"""The import's writer process (ADR 0027): an import that commits each batch in a forked
writer while it decides the next records exactly the ledger an import committing in turn
records, award bases included; a writer that loses a race with another process, or dies,
hands the rest back to the importing process, and nothing is lost or recorded twice."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from domain.application.audit import Audit
from domain.application.receipts import ledger_point
from domain.application.service import FiveStar
from domain.application.settings import Settings
from domain.model.events import RatingAwarded

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "generate_ledger.py"
BATCH = 150


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three years of 20 branches, year by year, awards in most batches."""
    path = tmp_path_factory.mktemp("ledgers") / "ledger.jsonl"
    path.write_bytes(
        subprocess.run(
            [sys.executable, str(GENERATOR), "--branches", "20", "--years", "2022-2024"],
            capture_output=True,
            check=True,
        ).stdout
    )
    return path


def _fixed_clock() -> datetime:
    return datetime(2027, 1, 4, tzinfo=UTC)


def _settings(writer: bool, **more: Any) -> Settings:
    return Settings(
        import_batch_size=BATCH,
        import_follower_bytes=0,  # the follower (and so the writer) for any file
        import_writer=writer,
        clock=_fixed_clock,
        **more,
    )


def _awards(svc: FiveStar) -> list[tuple[int, RatingAwarded]]:
    return [
        (position, event)
        for position, event in svc.events_until(None, None)
        if isinstance(event, RatingAwarded)
    ]


def _bases_are_the_stored_ledger(svc: FiveStar) -> int:
    """Every award's basis is the ledger as stored right before it (the events of its own
    batch included): the position of the event before the award, with the size and root of
    the stored tree up to there. Returns the awards checked."""
    awards = _awards(svc)
    positions = [position for position, _ in svc.events_until(None, None)]
    for position, event in awards:
        basis = event.basis
        assert basis is not None
        assert basis.position == max(p for p in positions if p < position)
        expected = ledger_point(svc.ledger.recorder, basis.position)
        assert (basis.position, basis.size, basis.root) == expected
    return len(awards)


def _intact(svc: FiveStar) -> bool:
    return Audit(svc).verify().ok


def test_written_ahead_the_ledger_is_the_one_written_in_turn(
    tmp_path: Path, ledger_file: Path
) -> None:
    """Same file, same clock: byte for byte the same events (award bases included), so
    the same digest, and the same answers."""
    digests, answers = [], []
    for writer in (True, False):
        with FiveStar(str(tmp_path / f"{writer}.db"), _settings(writer)) as svc:
            report = svc.import_file(ledger_file, "test")
            assert report.position == svc.head() == svc.position()
            assert _bases_are_the_stored_ledger(svc) > 10
            digests.append(Audit(svc).digest())
            answers.append(msgspec.to_builtins(svc.eligibility(2023)))
    assert digests[0] == digests[1]
    assert answers[0] == answers[1]


def test_written_ahead_on_both_stores_the_bases_are_the_stored_ledger(
    db: str, ledger_file: Path
) -> None:
    with FiveStar(db, _settings(True)) as svc:
        report = svc.import_file(ledger_file, "test")
        assert report.position == svc.head() == svc.position()
        assert _bases_are_the_stored_ledger(svc) > 10
        assert _intact(svc)


def _stars(svc: FiveStar) -> list[tuple[str, list[str]]]:
    """Each branch's 2023 stars (what the answers say, without the ledger point they stand
    on, which another writer's record moves)."""
    return [(e.branch, list(e.eligible)) for e in svc.eligibility(2023)]


def _clean(tmp_path: Path, ledger_file: Path) -> tuple[Any, Any]:
    """The report and the 2023 answers of an import alone, committing in turn."""
    with FiveStar(str(tmp_path / "clean.db"), _settings(False)) as clean:
        report = clean.import_file(ledger_file, "test")
        return report, _stars(clean)


SMALL_CACHE = [{}, {"branch_cache_size": 1}]  # the second evicts: parked states (ADR 0030)


@pytest.mark.parametrize("cache", SMALL_CACHE, ids=["roomy", "evicting"])
def test_a_write_by_another_process_meanwhile_hands_the_rest_back(
    db: str, ledger_file: Path, tmp_path: Path, cache: dict[str, int]
) -> None:
    """Another writer records between two batches: the batch decided on the predicted
    ledger is refused in its transaction and decided again; every award still names the
    ledger as stored before it, and every line is applied once."""
    expected, answers = _clean(tmp_path, ledger_file)
    written: list[Any] = []

    def meanwhile(done: int, size: int) -> None:
        if not written:
            with FiveStar(db, _settings(False)) as other:
                written.extend(other.submit([_registration("Z0001")], "other"))

    with FiveStar(db, _settings(True, **cache)) as svc:
        report = svc.import_file(ledger_file, "test", progress=meanwhile)
        assert [o.status for o in written] == ["applied"]
        assert report.applied == expected.applied
        assert report.refused == expected.refused
        assert Audit(svc).digest()["size"] == expected.applied + 1
        assert _bases_are_the_stored_ledger(svc) > 10
        assert _intact(svc)
        assert _stars(svc) == sorted([*answers, ("Z0001", [])])


def _registration(code: str) -> dict[str, Any]:
    return {
        "id": f"{code}-reg",
        "type": "branch.registered",
        "branch": code,
        "on": "2022-01-05",
        "name": "测试村",
        "kind": "village",
        "county": "濮阳县",
        "township": "城关镇",
        "households": 100,
        "population": 400,
    }


@pytest.mark.parametrize("cache", SMALL_CACHE, ids=["roomy", "evicting"])
def test_a_writer_that_dies_hands_the_rest_back(
    db: str, ledger_file: Path, tmp_path: Path, cache: dict[str, int]
) -> None:
    """The writer process is killed after its first batch: the importing process decides
    the batches it did not commit again, in turn; the ledger is whole and intact."""
    expected, answers = _clean(tmp_path, ledger_file)
    killed: list[int] = []

    def kill_the_writer(done: int, size: int) -> None:
        for child in multiprocessing.active_children():
            if not killed and child.name == "fivestar-import-writer" and child.pid:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    with FiveStar(db, _settings(True, **cache)) as svc:
        report = svc.import_file(ledger_file, "test", progress=kill_the_writer)
        assert killed
        assert (report.branches_unpacked > 0) == bool(cache)
        assert report.applied == expected.applied
        assert report.refused == expected.refused
        assert report.position == svc.head() == svc.position()
        assert Audit(svc).digest()["size"] == expected.applied
        assert _bases_are_the_stored_ledger(svc) > 10
        assert _intact(svc)
        assert _stars(svc) == answers
