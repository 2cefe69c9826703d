"""``fivestar verify`` checks the ledger by stream in the rebuild's workers (ADR 0020) and walks
it in ledger order only to name what is amiss: its report is the walk's, intact or not.

The check hashes each event's leaf entry from the decoded event (``replay_check.typed_entry``) when
the stored bytes are the mapper's encoding of that event; that entry must be the very bytes
``entry_of`` gives from the stored bytes, for every record type and for awards with their
determination receipt. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from domain.application.audit import Audit
from domain.application.ledger_tree import entry_of
from domain.application.mapper import decode_event
from domain.application.replay_check import typed_entry
from domain.application.service import FiveStar
from domain.model import records as r
from tests.support.ledgers import FIXTURES
from tests.support.tampering import Store, ledger

Cli = Callable[..., Any]


def _report(report: Any) -> dict[str, Any]:
    out = report.to_dict()
    out.pop("checked_at")
    return out


@pytest.fixture
def imported(cli: Cli, db: str, write_ledger: Callable[..., Path]) -> Store:
    assert cli("import", str(write_ledger(ledger()))).code == 0
    return Store(db)


def test_each_stored_entry_is_the_entry_of_its_decoded_event(cli: Cli, db: str) -> None:
    """Every record type of the example ledgers, rulebook adoptions and receipts included."""
    for name in ("ledger-small.jsonl", "ledger-mechanisms.jsonl"):
        assert cli("import", str(FIXTURES / name)).code in (0, 1)
    adopt = ("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision", "--adopt")
    assert cli(*adopt, "--reason", "测试").code == 0
    with FiveStar(db) as svc:
        notes = svc.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    types: set[type] = set()
    receipts = 0
    encode = msgspec.json.Encoder().encode
    for note in notes:
        event = decode_event(note.topic, note.state)
        assert encode(event) == bytes(note.state)
        assert typed_entry(event) == entry_of(note.originator_version, note.state)[1]
        types.add(type(getattr(event, "record", event)))
        receipts += getattr(event, "basis", None) is not None
    assert receipts, "no award with a determination receipt was checked"
    record_types = {t for t in types if issubclass(t, r.Record)}
    assert len(record_types) >= 30 and len(types) == len(record_types) + 1


def test_an_intact_ledger_reports_as_the_walk(imported: Store, db: str) -> None:
    with FiveStar(db) as svc:
        audit = Audit(svc)
        digest = audit.digest(10)
        for size, root in [
            (None, None),
            (10, digest["root"]),
            (10, "00" * 32),
            (21, audit.digest()["root"]),
            (40, "00" * 32),
            (0, "00" * 32),
        ]:
            fast = audit.verify(size, root)
            assert _report(fast) == _report(audit.walk(size, root))
            assert audit.last_check()["message"] == fast.message()  # type: ignore[index]
        assert audit.verify().ok and audit.verify().events == 21


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_tampered_ledger_is_named_as_the_walk_names_it(
    imported: Store, db: str, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_REBUILD_WORKERS", workers)
    imported.set_state(8, imported.state(8).replace(b'"recorder":"', b'"recorder": "', 1))
    imported.run("UPDATE merkle_leaves SET leaf_hash = ? WHERE position = ?", b"\x01" * 32, 15)
    with FiveStar(db) as svc:
        audit = Audit(svc)
        fast = audit.verify()
        assert not fast.ok
        assert [p.position for p in fast.problems] == [15]  # a space is not a content change
        assert _report(fast) == _report(audit.walk())
        assert audit.last_check()["ok"] is False  # type: ignore[index]
