"""Property: an as-of replay at any position equals the read models kept up to it, and
``recompute`` equals a fresh evaluation under the rulebook it is asked about.

``test_read_models_equal_replay.py`` compares the as-of replays with the read models at the
ledger's head only, and never asks ``recompute`` or ``eligibility --rulebook R``. Here, on the
same random ledgers (every rulebook, parameter folder and way of arriving): fresh read-model
tables are caught up one event at a time to sampled positions P and each eligibility and
compliance read there equals ``position=P``; each batch's state, read as soon as it is caught
up, equals ``position=P`` and ``as_of`` the moment after it; and for every year and rulebook R,
``eligibility(rulebook=R)`` equals its as-of replay and its answer after ``fivestar rebuild``,
and ``recompute(Y, R)`` lists exactly the branches whose eligible stars differ between the
rulebook in force and R.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings

from domain.application.ledger import LedgerLog
from domain.application.service import FiveStar, rebuild_views
from domain.application.settings import Settings
from domain.model.rulebook import available_rulebooks
from projections.runner import ProjectionRunner
from projections.views import open_views
from tests.property.test_read_models_equal_replay import (
    COMMON,
    between_batches,
    books,
    boundaries,
    difference,
    ledgers,
)
from tests.support.postgres import throwaway_store
from tests.support.prop_ledgers import YEARS

__all__ = ["books"]  # the module fixture, shared with the replay property

Reads = dict[str, Any]


def reads(svc: FiveStar, position: int | None = None, as_of: datetime | None = None) -> Reads:
    """Eligibility per year and compliance per year and boundary day, kept or replayed."""
    out: Reads = {}
    for y in YEARS:
        out[f"eligibility {y}"] = _plain(svc.eligibility(y, position=position, as_of=as_of))
        for d in boundaries(y):
            judged = svc.compliance(y, d, position=position, as_of=as_of)
            out[f"compliance {y} on {d}"] = _plain(judged)
    return out


def _plain(value: Any) -> Any:
    """As builtins, without the receipts (``basis``) that name the position answered at."""
    built = msgspec.to_builtins(value)
    return [{k: v for k, v in e.items() if k != "basis"} for e in built]


def same(kept: Reads, replayed: Reads, label: str) -> None:
    assert sorted(kept) == sorted(replayed), label
    for key, answer in kept.items():
        assert answer == replayed[key], (label, key, difference(answer, replayed[key]))


def arrive(svc: FiveStar, ledger: dict[str, Any], work: Path) -> list[tuple[int, Reads, datetime]]:
    """The batches of ``apply_ledger``, each caught up and read at once."""
    states = []
    for index, (batch, mode) in enumerate(zip(ledger["batches"], ledger["modes"], strict=True)):
        between_batches(svc, ledger, index)
        if mode == "import":
            path = work / f"batch-{index}.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch))
            svc.import_file(path, "test")
        else:
            svc.submit(batch, "test")
        svc.catch_up()
        states.append((svc.position(), reads(svc), datetime.now(UTC)))
    between_batches(svc, ledger, len(ledger["batches"]))
    svc.catch_up()
    return states


def stepwise(svc: FiveStar) -> None:
    """Fresh tables caught up to sampled positions equal the as-of replays there."""
    head = svc.head()
    fresh = open_views(svc.db, svc.ledger.factory.datastore, "st_")  # type: ignore[attr-defined]
    runner = ProjectionRunner(LedgerLog(svc.ledger), fresh, batch_size=1)
    shim = copy.copy(svc)
    shim.views = fresh
    for position in sorted(random.Random(head).sample(range(1, head + 1), min(8, head))):
        runner.catch_up(stop=position)
        same(reads(shim), reads(svc, position=position), f"caught up to {position}")


def under_every_rulebook(svc: FiveStar) -> dict[str, Any]:
    """``eligibility(rulebook=R)`` kept and replayed; ``recompute`` against them."""
    head = svc.head()
    kept: dict[str, Any] = {}
    for y in YEARS:
        in_force = {e.branch: e.eligible for e in svc.eligibility(y)}
        for book in available_rulebooks():
            found = svc.eligibility(y, rulebook=book)
            kept[f"{y} {book}"] = _plain(found)
            replayed = _plain(svc.eligibility(y, rulebook=book, position=head))
            assert kept[f"{y} {book}"] == replayed, (y, book, "replay")
            changed = {
                e.branch: (
                    [s for s in e.eligible if s not in in_force[e.branch]],
                    [s for s in in_force[e.branch] if s not in e.eligible],
                )
                for e in found
                if set(e.eligible) != set(in_force[e.branch])
            }
            listed = svc.recompute(y, book)
            got = {c["branch"]: (c["gained"], c["lost"]) for c in listed["changes"]}
            assert got == changed, (y, book, "recompute", got, changed)
            assert listed["branches_evaluated"] == len(in_force), (y, book)
    return kept


def check(db: str, ledger: dict[str, Any], folder: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="fivestar-asof-"))
    tuned = Settings(
        import_batch_size=ledger["import_batch"],
        projection_batch_size=ledger["projection_batch"],
    )
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FIVESTAR_RULEBOOKS", str(folder))
            with FiveStar(db, tuned) as svc:
                for position, kept, moment in arrive(svc, ledger, work):
                    same(kept, reads(svc, position=position), f"position {position}")
                    same(kept, reads(svc, as_of=moment), f"as of {moment}")
                stepwise(svc)
                before = under_every_rulebook(svc)
                rebuild_views(svc)
                assert under_every_rulebook(svc) == before, "rebuilt"
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=8, **COMMON)
@given(ledger=ledgers())
def test_as_of_between_and_recompute_sqlite(books: dict[str, Path], ledger: dict[str, Any]) -> None:
    with throwaway_store(None) as db:
        check(db, ledger, books[ledger["parameters"]])


@settings(max_examples=2, **COMMON)
@given(ledger=ledgers())
def test_as_of_between_and_recompute_postgres(
    books: dict[str, Path], postgres_server: str | None, ledger: dict[str, Any]
) -> None:
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG)")
    with throwaway_store(postgres_server) as db:
        check(db, ledger, books[ledger["parameters"]])
