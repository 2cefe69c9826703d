"""The read services of ``FiveStar``: what the CLI and HTTP ask of the read models.

Each method answers from the view store (``projections.queries``/``registry``: plain
SELECTs) except an as-of eligibility, which replays the ledger up to a moment or position in
memory and judges with the same ``evaluate`` the read models use. Entry points call these,
never the view store, so a read model can change its tables without touching them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from domain.application import receipts
from domain.application.ledger import Ledger
from domain.application.overview import overview_rows
from domain.model.cases import case_json
from domain.model.compliance import Compliance, Staffing
from domain.model.evaluation import Eligibility, evaluate
from domain.model.events import LedgerEvent
from domain.model.facts import BranchFacts, year_slice
from domain.model.ladder import ladder_json
from domain.model.rulebook import BASE_RULEBOOK, load_rulebook
from projections import cases as cases_model
from projections import compliance as compliance_model
from projections import ladder as ladder_model
from projections import overview, queries, registry
from projections.eligibility import replay
from projections.tables import ViewStore


class ReadServices:
    """Mixed into ``FiveStar``, which provides ``views`` and ``events_until``."""

    views: ViewStore
    ledger: Ledger  # FiveStar's (its recorder holds the tree a basis is taken from)

    def events_until(
        self, as_of: datetime | None = None, position: int | None = None
    ) -> Iterator[tuple[int, LedgerEvent]]:
        raise NotImplementedError  # FiveStar's

    def today(self) -> date:
        """The business date now: the default D of every command and endpoint."""
        raise NotImplementedError  # FiveStar's (its settings say where "today" is)

    # ------------------------------------------------------------- eligibility
    def eligibility(
        self,
        year: int,
        branch: str | None = None,
        rulebook: str | None = None,
        as_of: datetime | None = None,
        position: int | None = None,
        county: str | None = None,
        township: str | None = None,
    ) -> list[Eligibility]:
        """One result per registered branch (or ``branch``), sorted by code; as the ledger
        stood at ``as_of``/``position`` when one is given (the auditor's replay)."""
        replayed = as_of is not None or position is not None
        at = receipts.position_as_of(self.ledger.recorder, as_of, position) if replayed else None
        if at is None:
            at = self.views.position()
        if replayed:
            facts, adopted = replay(self.events_until(as_of, position))
            book = load_rulebook(rulebook or adopted.get(year, BASE_RULEBOOK))
            chosen = sorted(c for c in facts if _wanted(facts[c], branch, county, township))
            results = [evaluate(year_slice(facts[c], year), book) for c in chosen]
        else:
            results = queries.eligibility(self.views, year, branch, rulebook, county, township)
        return receipts.with_basis(self.ledger.recorder, results, at)

    # ------------------------------------------------ awards, rewards, priority
    def awards(self, year: int) -> list[dict[str, Any]]:
        """The year's awards, each flagged stale where the evidence no longer holds."""
        awards = queries.awards(self.views, year)
        for award in awards:  # the determination receipt stored in the award event
            award["basis"] = receipts.award_basis(self.ledger.recorder, award.pop("position"))
        return awards

    def rewards(self, year: int) -> list[dict[str, Any]]:
        """Rewards of the year's awards of three stars or more (rules.md §7)."""
        return queries.rewards(self.views, year)

    def priority(self, year: int) -> list[dict[str, Any]]:
        """Three-consecutive-year priority ending in ``year`` (rules.md §7)."""
        return queries.priority(self.views, year)

    def recompute(self, year: int, rulebook: str) -> dict[str, Any]:
        """What changes for ``year`` under ``rulebook`` (a dry run: records nothing)."""
        return queries.recompute(self.views, year, rulebook)

    def adoptions(self) -> list[dict[str, Any]]:
        """Rulebook adoptions in ledger order, as the read models hold them."""
        return queries.adoptions(self.views)

    # ---------------------------------------------------- compliance (mechanisms.md §2)
    def compliance(
        self,
        year: int,
        on: date,
        *,
        branch: str | None = None,
        county: str | None = None,
        township: str | None = None,
        as_of: datetime | None = None,
        position: int | None = None,
    ) -> list[Compliance]:
        """Each registered branch's requirements of ``year`` judged on ``on``; as the ledger
        stood at ``as_of``/``position`` when one is given (replayed in memory)."""
        replayed = as_of is not None or position is not None
        return compliance_model.compliance(
            self.views,
            year,
            on,
            branch=branch,
            county=county,
            township=township,
            events=self.events_until(as_of, position) if replayed else None,
        )

    def branch_compliance(self, code: str, year: int) -> list[dict[str, Any]]:
        """The branch's requirements of ``year`` judged today, one row each, for the branch
        page: what ``compliance --year`` answers by default. A past year is not judged on its
        31 December: records for Y dated in Y+1 count for Y (the December linkage report, the
        facility report for Y), and state checks are judged on min(D, Y-12-31) anyway."""
        found = self.compliance(year, self.today(), branch=code)
        if not found:
            return []
        return [
            {
                "requirement": req.requirement,
                "status": req.status,
                "held": req.held,
                "due": req.due,
                "missing": ", ".join(req.missing),
                "warnings": len(req.warnings),
            }
            for req in found[0].requirements
        ]

    def branch_cases(self, code: str, year: int) -> list[dict[str, Any]]:
        """The branch's cases reported in ``year``, judged today like ``fivestar cases``: a
        case of December closed in January shows closed, not open and overdue for good on
        the page of its year."""
        found = cases_model.judged_cases(self.views, self.today(), branch=code)
        return [case_json(c) for c in found if c.reported_on.year == year]

    def branch_ladder(self, code: str, year: int) -> list[dict[str, Any]]:
        """The branch's place on the intervention ladder today, or where a past year left it
        (on its 31 December), for the branch page: the ladder is a state on a day, not a
        list of the year's records."""
        on = min(self.today(), date(year, 12, 31))
        return [ladder_json(r) for r in ladder_model.judged_ladder(self.views, on, branch=code)]

    def staffing(self, year: int) -> list[Staffing]:
        """职业化 per county for ``year`` (county parameters from ``rulebooks/``)."""
        return compliance_model.staffing(self.views, year)

    # ------------------------------------------------------------------ dashboard
    def rated_years(self) -> list[int]:
        """The years some branch has a stored eligibility for."""
        return overview.years(self.views)

    def overview(
        self,
        year: int,
        branch: str | None = None,
        county: str | None = None,
        township: str | None = None,
    ) -> list[dict[str, Any]]:
        """One light row per branch for ``year``: eligible and awarded stars, stale, priority,
        excluded (the dashboard's overview), sorted by code."""
        return overview_rows(
            self.views,
            lambda y, code: self.eligibility(y, branch=code),
            year,
            branch,
            county,
            township,
        )

    def branch_years(self, code: str) -> list[int]:
        """Years with a stored eligibility for the branch, latest first."""
        return overview.branch_years(self.views, code)

    def branch_awards(self, code: str) -> dict[int, dict[str, Any]]:
        """The branch's awards by year."""
        return overview.branch_awards(self.views, code)

    def rulebooks_in_force(self) -> dict[int, str]:
        """The rulebook adopted for each year that has an adoption."""
        return queries.in_force(self.views)

    # ---------------------------------------------------------------- branches
    def list_branches(
        self,
        *,
        code: str | None = None,
        county: str | None = None,
        township: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of registered branches sorted by code, and how many match in all."""
        return registry.list_branches(
            self.views,
            code=code,
            county=county,
            township=township,
            kind=kind,
            limit=limit,
            offset=offset,
        )

    def branch_names(self) -> list[dict[str, Any]]:
        """Code, name and county of every registered branch, sorted by code."""
        return registry.names(self.views)

    def get_branch(self, code: str) -> dict[str, Any] | None:
        """A registered branch as the read models hold it (None: not there yet)."""
        return registry.get_branch(self.views, code)

    def branch_codes(
        self, *, code: str | None = None, county: str | None = None, township: str | None = None
    ) -> set[str]:
        """Codes of the registered branches matching the filters."""
        return registry.branch_codes(self.views, code=code, county=county, township=township)


def _wanted(f: BranchFacts, branch: str | None, county: str | None, township: str | None) -> bool:
    return (
        (branch is None or f.code == branch)
        and (county is None or f.county == county)
        and (township is None or f.township == township)
    )
