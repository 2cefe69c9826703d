"""Branch aggregates folded in memory, with no store: what the aggregate-level tests of the
mechanism records (and the generator's own check) decide lines against."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.model import records as r
from domain.model.branch import DUPLICATE, Branch, Refused, empty_branch
from domain.model.rulebook import BASE_RULEBOOK, load_rulebook


class Ledger:
    """Branch aggregates folded in memory, as the ledger would (decide, then mutate)."""

    def __init__(self) -> None:
        self.branches: dict[str, Branch] = {}
        self.n = 0

    def add(self, type_: str, branch: str, on: str, **fields: Any) -> str | None:
        """Record one line; the refusal's reason, or None when accepted."""
        self.n += 1
        obj = {"id": fields.pop("id", f"m{self.n}"), "type": type_, "branch": branch, "on": on}
        try:
            record = r.record_from_object({**obj, **fields})
        except r.RecordError as exc:
            return exc.reason
        agg = self.branches.setdefault(branch, empty_branch(branch))
        try:
            event = agg.decide(
                record,
                timestamp=datetime.now(UTC),
                recorder="test",
                rulebook_for=lambda y: load_rulebook(BASE_RULEBOOK),
            )
        except Refused as refusal:
            return refusal.reason
        if event != DUPLICATE:
            agg.mutate(event)  # type: ignore[arg-type]
        return None

    def ok(self, type_: str, branch: str, on: str, **fields: Any) -> None:
        reason = self.add(type_, branch, on, **fields)
        assert reason is None, reason

    def refused(self, field: str, type_: str, branch: str, on: str, **fields: Any) -> str:
        reason = self.add(type_, branch, on, **fields)
        assert reason is not None, f"{type_} was accepted"
        assert f"{field}:" in reason, (field, reason)
        return reason
