"""Given events, when a record, then an event or a refusal: the Branch aggregate with no store.

    branch = given(village("V1"), rec("weakness.designated", "V1", "2024-03-01"))
    then_refused(when(branch, declared("V1", 2024, ["industry_thriving"])), "excluded for 2024")

``given`` folds records into a ``Branch`` exactly as the ledger does (each one decided, then
its event applied), so a given record that the rules would refuse fails the test at once.
``when`` decides one record and returns what the aggregate said, without applying it.
Everything the tests know about how the aggregate is called lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from domain.model import records as r
from domain.model.branch import DUPLICATE, Branch, Refused, empty_branch
from domain.model.events import BranchEvent
from domain.model.rulebook import BASE_RULEBOOK, Rulebook, load_rulebook

_clock = count()
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _now() -> datetime:
    return _EPOCH + timedelta(microseconds=next(_clock))


@dataclass(frozen=True)
class Decision:
    """What ``Branch.decide`` said about one record: an event, a duplicate, or a refusal."""

    event: BranchEvent | None = None
    duplicate: bool = False
    refusal: str | None = None


def _rulebooks(rulebooks: dict[int, str] | None) -> Any:
    chosen = rulebooks or {}

    def rulebook_for(year: int) -> Rulebook:
        return load_rulebook(chosen.get(year, BASE_RULEBOOK))

    return rulebook_for


def decide(
    branch: Branch, record: dict[str, Any], rulebooks: dict[int, str] | None = None
) -> Decision:
    """Decode ``record`` as an import would and let ``branch`` decide it."""
    decoded = r.record_from_object(record)
    try:
        outcome = branch.decide(
            decoded, timestamp=_now(), recorder="test", rulebook_for=_rulebooks(rulebooks)
        )
    except Refused as refused:
        return Decision(refusal=refused.reason)
    if outcome == DUPLICATE:
        return Decision(duplicate=True)
    assert isinstance(outcome, BranchEvent)
    return Decision(event=outcome)


def given(*records: dict[str, Any], rulebooks: dict[int, str] | None = None) -> Branch:
    """A branch whose history is ``records`` (all of one branch, each accepted in turn)."""
    assert records, "given() needs at least the branch's registration"
    branch = empty_branch(records[0]["branch"])
    for record in records:
        decision = decide(branch, record, rulebooks)
        assert decision.event is not None, f"given {record['id']}: {decision}"
        branch.mutate(decision.event)
    return branch


def when(
    branch: Branch, record: dict[str, Any], rulebooks: dict[int, str] | None = None
) -> Decision:
    """What the branch says to ``record`` next (the branch itself is left as it was)."""
    return decide(branch, record, rulebooks)


def then_event(decision: Decision, event_type: type[BranchEvent]) -> BranchEvent:
    """The record was accepted and recorded as an ``event_type`` carrying it."""
    assert decision.refusal is None, f"refused: {decision.refusal}"
    assert decision.event is not None, "a duplicate, not a new event"
    assert type(decision.event) is event_type, type(decision.event).__name__
    return decision.event


def then_duplicate(decision: Decision) -> None:
    assert decision.duplicate, decision


def then_refused(decision: Decision, *fragments: str) -> str:
    """The record was refused, and the reason says each of ``fragments``."""
    assert decision.refusal is not None, f"accepted: {decision}"
    for fragment in fragments:
        assert fragment in decision.refusal, f"{fragment!r} not in {decision.refusal!r}"
    return decision.refusal
