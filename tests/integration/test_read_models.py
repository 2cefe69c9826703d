"""A read model is one module plus one line in ``projections.READ_MODELS`` (ADR 0011): the
runner drives it with its own position, a store it is added to catches it up from the start,
and ``rebuild`` rebuilds it with the rest. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import projections
from domain.application.service import FiveStar
from domain.model.events import BranchEvent
from projections.tables import Positioned, ReadModel, ViewWriter
from tests.support.builders import community, five_star_village_year, rec, village


class EventsPerBranch:
    """A toy read model: how many events each branch has."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        for _, event in batch:
            if isinstance(event, BranchEvent):
                w.execute(
                    "INSERT INTO {p}events_per_branch (code, events) VALUES (?, 1) "
                    "ON CONFLICT (code) DO UPDATE SET events = {p}events_per_branch.events + 1",
                    (event.record.branch,),
                )

    def committed(self, position: int) -> None:
        pass


TOY = ReadModel(
    "events_per_branch",
    {"events_per_branch": ("code TEXT, events BIGINT", "code")},
    EventsPerBranch,
)


def counts(svc: FiveStar) -> dict[str, int]:
    rows = svc.views.query("SELECT code, events FROM {p}events_per_branch")
    return {row["code"]: row["events"] for row in rows}


def ledger() -> list[dict[str, Any]]:
    return [
        village("V1"),
        community("C1"),
        *five_star_village_year("V1", 2024),
        rec("meeting.held", "C1", "2024-03-05", kind="theme_day"),
    ]


def test_a_read_model_added_to_a_store_catches_up_and_is_rebuilt_with_the_rest(
    db: str, write_ledger: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = ledger()
    with FiveStar(db) as svc:
        assert svc.import_file(write_ledger(records), "test").ok
        before = [e.eligible for e in svc.eligibility(2024)]
        head = svc.head()
    expected = dict(Counter(r["branch"] for r in records))

    registered = {model.name: head for model in projections.READ_MODELS}
    monkeypatch.setattr(projections, "READ_MODELS", [*projections.READ_MODELS, TOY])
    with FiveStar(db) as svc:
        assert svc.views.positions() == {**registered, "events_per_branch": 0}
        assert svc.lag() == head
        assert svc.catch_up() == head
        assert counts(svc) == expected
        assert svc.views.positions() == {**registered, "events_per_branch": head}
        assert [e.eligible for e in svc.eligibility(2024)] == before  # not applied twice

        more = [rec("meeting.held", "V1", "2024-04-05", kind="theme_day")]
        assert svc.import_file(write_ledger(more), "test").ok
        expected["V1"] += 1
        assert counts(svc) == expected

        assert svc.rebuild() == head + 1
        assert counts(svc) == expected
        assert [e.eligible for e in svc.eligibility(2024)] == before
        assert set(svc.views.positions().values()) == {head + 1}


def test_two_read_models_may_not_own_the_same_table() -> None:
    clash = ReadModel("copy", {"awards": ("code TEXT", "code")}, EventsPerBranch)
    with pytest.raises(ValueError, match="awards"):
        projections.tables.all_tables([*projections.READ_MODELS, clash])


def test_a_store_made_before_positions_per_read_model_keeps_its_eligibility_position(
    db: str, write_ledger: Callable[..., Path]
) -> None:
    """Such stores tracked one position named "views": it becomes eligibility's on opening,
    so the facts are not folded a second time."""
    with FiveStar(db) as svc:
        assert svc.import_file(write_ledger(ledger()), "test").ok
        before = [e.eligible for e in svc.eligibility(2024)]
        head = svc.head()
        with svc.views.writing() as w:
            w.execute(
                f"UPDATE {svc.views.tracking_table} SET application_name = 'views' "
                "WHERE application_name = 'views:eligibility'"
            )
        assert svc.views.positions()["eligibility"] == 0
    with FiveStar(db) as svc:
        assert svc.views.positions()["eligibility"] == head
        assert svc.catch_up() == head
        assert [e.eligible for e in svc.eligibility(2024)] == before
