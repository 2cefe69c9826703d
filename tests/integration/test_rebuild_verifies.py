"""``fivestar rebuild`` verifies the ledger as it replays it (ADR 0020) and refuses to swap in
read models built from a ledger that fails: every tampering ``verify`` names is named by the
refused rebuild the same way, the live read models stay as they were, and the half-built
ones are dropped. An intact ledger's rebuild records its verification as ``verify`` does, and
an interrupted rebuild checks again, when it resumes, the streams it already folded. On
SQLite and PostgreSQL, with the rebuild's forked workers and in one process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import domain.application.rebuild as rebuild_module
from domain.application.audit import Audit
from domain.application.service import FiveStar
from domain.application.store import is_postgres
from tests.support.tampering import Store, ledger

Cli = Callable[..., Any]


@pytest.fixture
def store(cli: Cli, db: str, write_ledger: Callable[..., Path]) -> Store:
    assert cli("import", str(write_ledger(ledger()))).code == 0
    return Store(db)


def _changed_byte(store: Store) -> None:
    store.set_state(8, store.state(8).replace(b'"on":"2024-02-05"', b'"on":"2024-02-06"'))


def _deleted_last(store: Store) -> None:
    store.run("DELETE FROM stored_events WHERE {pos} = ?", 19)


def _deleted_middle(store: Store) -> None:
    store.run("DELETE FROM stored_events WHERE {pos} = ?", 9)


def _swapped(store: Store) -> None:
    a, b = store.state(4), store.state(5)
    store.set_state(4, b)
    store.set_state(5, a)


def _forged(store: Store) -> None:
    store.forge_after(19)


def _foreign_topic(store: Store) -> None:
    store.run("UPDATE stored_events SET topic = ? WHERE {pos} = ?", "antigravity:geohash", 12)


def _corrupted(store: Store) -> None:
    store.set_state(6, b"\xff\x00 not json")


def _recorder(store: Store) -> None:
    """Who recorded an event: no read model would change, its leaf does."""
    store.set_state(10, store.state(10).replace(b'"recorder":"', b'"recorder":"x'))


def _leaf_hash(store: Store) -> None:
    store.run("UPDATE merkle_leaves SET leaf_hash = ? WHERE position = ?", b"\x00" * 32, 11)


def _leaves_reordered(store: Store) -> None:
    store.run("UPDATE merkle_leaves SET position = -1 WHERE position = 14")
    store.run("UPDATE merkle_leaves SET position = 14 WHERE position = 15")
    store.run("UPDATE merkle_leaves SET position = 15 WHERE position = -1")


def _leaf_version(store: Store) -> None:
    """The version a leaf records, its hash untouched."""
    store.run("UPDATE merkle_leaves SET version = version + 1 WHERE position = ?", 7)


def _leaf_moved(store: Store) -> None:
    """The last leaf moved past the last event: an event without a leaf at its position."""
    store.run("UPDATE merkle_leaves SET position = position + 1 WHERE position = ?", 21)


def _leaf_version_negative(store: Store) -> None:
    """A leaf version no event can have."""
    store.run("UPDATE merkle_leaves SET version = -1 WHERE position = ?", 16)


TAMPERINGS = [
    _changed_byte,
    _deleted_last,
    _deleted_middle,
    _swapped,
    _forged,
    _foreign_topic,
    _corrupted,
    _recorder,
    _leaf_hash,
    _leaves_reordered,
    _leaf_version,
    _leaf_moved,
    _leaf_version_negative,
]


def eligibility(cli: Cli) -> Any:
    result = cli("eligibility", "--year", "2024", "--json")
    assert result.code == 0, result.err
    return result.json()


def rebuild_tables(db: str) -> set[str]:
    """Tables of a rebuild under way (``rb_`` prefix) left in the read-model store."""
    with FiveStar(db) as svc:
        if is_postgres(db):
            rows = svc.views.query("SELECT tablename AS name FROM pg_tables")
        else:
            rows = svc.views.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row["name"] for row in rows if row["name"].startswith("rb_")}


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__.strip("_"))
def test_a_rebuild_refuses_what_verify_names(
    cli: Cli, store: Store, tamper: Callable[[Store], None]
) -> None:
    tamper(store)
    report = cli("verify", "--json").json()
    assert not report["ok"]
    before = eligibility(cli)  # (a forged row reaches the live read models this way)
    named = report["message"].removeprefix("ledger tampered: ")
    refused = cli("rebuild")
    assert refused.code == 1, refused.err
    assert named in refused.err
    assert eligibility(cli) == before  # nothing swapped in
    assert rebuild_tables(store.db) == set()  # nothing half-built left to resume


def test_a_rebuild_in_one_process_refuses_too(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_REBUILD_WORKERS", "1")
    _changed_byte(store)
    refused = cli("rebuild")
    assert refused.code == 1 and "position 8 (branch C1 version 3)" in refused.err


def test_a_rebuild_of_an_intact_ledger_records_its_verification(cli: Cli, store: Store) -> None:
    assert cli("rebuild").code == 0
    digest = cli("digest", "--json").json()
    with FiveStar(store.db) as svc:
        last = Audit(svc).last_check()
    assert last is not None and last["ok"]
    assert (last["size"], last["root"]) == (21, digest["root"])
    assert last["message"] == f"ledger intact: 21 events, root {digest['root']}"


def test_a_resumed_rebuild_checks_the_streams_it_folded_before(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_REBUILD_GROUP", "1")
    monkeypatch.setenv("FIVESTAR_REBUILD_WORKERS", "1")
    original = rebuild_module.fold_group
    folded: list[set[str]] = []

    def crash_on_second(projections: Any, batch: Any, others: Any) -> Any:
        folded.append({event.record.branch for _, event in batch})
        if len(folded) == 2:
            raise RuntimeError("interrupted")
        return original(projections, batch, others)

    monkeypatch.setattr(rebuild_module, "fold_group", crash_on_second)
    with pytest.raises(RuntimeError):
        cli("rebuild")
    monkeypatch.setattr(rebuild_module, "fold_group", original)
    (done,) = folded[0]  # committed before the interruption: not folded again
    position = {"V1": 1, "C1": 2, "V2": 3}[done] + 3  # the branch's second event
    store.set_state(position, store.state(position).replace(b"theme_day", b"party_day"))
    refused = cli("rebuild")
    assert refused.code == 1 and f"position {position} (branch {done} version 2)" in refused.err


def test_a_rebuild_whose_check_fails_on_an_intact_ledger_swaps_nothing_in(
    cli: Cli, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own check failing where ``verify`` then finds nothing (the ledger changed while it
    was replayed) still refuses: the workers may have stopped early."""
    before = eligibility(cli)
    monkeypatch.setattr(Audit, "check_replayed", lambda self, *args: False)
    refused = cli("rebuild")
    assert refused.code == 1 and "changed while it was replayed" in refused.err
    assert eligibility(cli) == before
    assert rebuild_tables(store.db) == set()
