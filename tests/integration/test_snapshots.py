"""Branches evicted from the ledger's cache are snapshotted and reload to the same state."""

from __future__ import annotations

import json

import domain.application.ledger as ledger_module
from domain.application.service import FiveStar
from domain.application.settings import Settings
from domain.model.events import branch_stream_id
from tests.support.ledgers import OWN_EXAMPLE

EXAMPLE_LEDGER, EXAMPLE_EXPECTED = OWN_EXAMPLE.ledger, OWN_EXAMPLE.expected_file


def test_a_tiny_cache_with_snapshots_gives_the_same_answers(db: str) -> None:
    tiny = Settings(branch_cache_size=3, import_batch_size=40, import_park_mb=0)  # to the store
    expected = json.loads(EXAMPLE_EXPECTED.read_text(encoding="utf-8"))
    with FiveStar(db, tiny) as svc:
        report = svc.import_file(EXAMPLE_LEDGER, "test")
        assert sorted(rid for _, rid, _ in report.refused) == sorted(expected["refused"])
        for year, wanted in expected["eligibility"].items():
            got = {e.branch: e.eligible for e in svc.eligibility(int(year))}
            assert got == {b: w["eligible"] for b, w in wanted.items()}
        codes = {b for wanted in expected["eligibility"].values() for b in wanted}
        snapshotted = [
            code
            for code in codes
            if list(svc.ledger.snapshots.get(branch_stream_id(code), desc=True, limit=1))
        ]
        assert snapshotted, "branches were evicted from a cache of 3: they have snapshots"


def test_a_branch_reloaded_from_its_snapshot_equals_the_one_replayed(db: str) -> None:
    with FiveStar(db) as svc:
        svc.import_file(EXAMPLE_LEDGER, "test")
        replayed = svc.ledger.branch("V0001")
        svc.ledger._branches.clear()
        svc.ledger.snapshots.put([ledger_module.BranchSnapshot.take(replayed)])
        svc.ledger._branches.clear()
        reloaded = svc.ledger.branch("V0001")
        assert reloaded.version == replayed.version
        assert reloaded.digests == replayed.digests
        assert reloaded.facts == replayed.facts
        assert reloaded.ratings == replayed.ratings
        assert reloaded.snapshot_version == replayed.version
