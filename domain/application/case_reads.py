"""Cases and the ladder for the entry points (mechanisms.md §3-§4): the read-model queries
over this service's view store, and ``apply_listing``, the one write the ladder makes.

The CLI and the HTTP API call these with the ``FiveStar`` service; they never reach the view
store themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.application.outcomes import Accepted, IdClash
from domain.model import records as r
from domain.model.cases import CaseLimitsFile, CaseResult, CaseStep, SummaryRow
from domain.model.ladder import LadderResult, listing_reason
from domain.model.parameters import load_standards
from projections import cases as _cases
from projections import ladder as _ladder
from projections.cases import ReadModelNotBuilt
from projections.ladder import LadderRow, judge_row

if TYPE_CHECKING:
    from domain.application.service import FiveStar

__all__ = ["ApplyOutcome", "ReadModelNotBuilt", "apply_listing"]


def case_limits() -> CaseLimitsFile:
    """The case limits in force now (``rulebooks/case-limits.toml``)."""
    return _cases.case_limits()


def branch_known(svc: FiveStar, code: str) -> bool:
    return _cases.branch_known(svc.views, code)


def judged_cases(svc: FiveStar, *args: Any, **kwargs: Any) -> list[CaseResult]:
    return _cases.judged_cases(svc.views, *args, **kwargs)


def case_summary(svc: FiveStar, *args: Any, **kwargs: Any) -> list[SummaryRow]:
    return _cases.case_summary(svc.views, *args, **kwargs)


def case_steps(svc: FiveStar, branch: str, case: str) -> list[CaseStep]:
    return _cases.case_steps(svc.views, branch, case)


def ladder_rows(svc: FiveStar, **kwargs: Any) -> list[LadderRow]:
    return _ladder.ladder_rows(svc.views, **kwargs)


def judged_ladder(svc: FiveStar, *args: Any, **kwargs: Any) -> list[LadderResult]:
    return _ladder.judged_ladder(svc.views, *args, **kwargs)


@dataclass(frozen=True)
class ApplyOutcome:
    """What ``--apply`` did for one community: ``recorded`` (with the record), ``already
    listed`` (with the open spell's date), ``id already used``, or ``refused`` (reason)."""

    branch: str
    outcome: str
    record: dict[str, Any] | None = None
    since: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"branch": self.branch, "outcome": self.outcome}
        if self.record is not None:
            out["record"] = self.record
        if self.since is not None:
            out["since"] = self.since
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def apply_listing(
    svc: FiveStar,
    on: date,
    recorder: str,
    *,
    county: str | None = None,
    township: str | None = None,
    branch: str | None = None,
) -> list[ApplyOutcome]:
    """Record, for each community whose listing §4 requires on ``on`` and that has no
    weak-and-lax spell open in the ledger, a ``weakness.designated`` dated ``on`` with the
    deterministic id ``ladder-<on>``. Applying twice adds nothing."""
    svc.catch_up()
    outcomes: list[ApplyOutcome] = []
    wanted: list[tuple[LadderRow, r.WeaknessDesignatedRecord]] = []
    rid = f"ladder-{on.isoformat()}"
    standards = load_standards().ladder
    for row in _ladder.ladder_rows(svc.views, county=county, township=township, branch=branch):
        if row.kind != "community":
            continue
        result = judge_row(row, on, standards)
        if not result.listing_required:
            continue
        spell = row.data.spells[-1] if row.data.spells else None
        if spell is not None and spell.lifted_on is None:
            since = spell.designated_on.isoformat()
            outcomes.append(ApplyOutcome(row.code, "already listed", since=since))
            continue
        record = r.WeaknessDesignatedRecord(
            id=rid, branch=row.code, on=on, reason=listing_reason(result)
        )
        wanted.append((row, record))
    if wanted:
        decided = svc.submit([r.record_to_dict(rec) for _, rec in wanted], recorder)
        for (row, record), outcome in zip(wanted, decided, strict=True):
            outcomes.append(_outcome(row.code, record, outcome))
        svc.catch_up()
    return sorted(outcomes, key=lambda o: o.branch)


def _outcome(code: str, record: r.WeaknessDesignatedRecord, outcome: Any) -> ApplyOutcome:
    if isinstance(outcome, Accepted):
        return ApplyOutcome(code, "recorded", record=r.record_to_dict(record))
    if isinstance(outcome, IdClash) or outcome.status != "refused":
        return ApplyOutcome(code, "id already used")
    return ApplyOutcome(code, "refused", reason=outcome.reason)
