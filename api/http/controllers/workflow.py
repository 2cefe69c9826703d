"""The workflow read models: awards, rewards and the three-year priority list."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller
from litestar.di import NamedDependency

from api.http.auth import Principal, guard
from api.http.controllers.common import Text, Year, problem, read_get
from api.http.schemas import Award, Priority, Reward
from domain.application.service import FiveStar
from domain.model.rulebook import RulebookError


def _in_scope(
    svc: FiveStar,
    principal: Principal,
    rows: list[dict[str, Any]],
    county: str | None,
    township: str | None,
) -> list[dict[str, Any]]:
    scope = principal.read_scope.narrow(county, township)
    if scope is None:
        return []
    if scope.everything:
        return rows
    codes = svc.branch_codes(code=scope.branch, county=scope.county, township=scope.township)
    return [row for row in rows if row["branch"] in codes]


class WorkflowController(Controller):
    tags = ["workflow"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/awards",
        summary="Awards of a rating year, flagged stale where the evidence changed",
    )
    def awards(
        self,
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
    ) -> list[Award]:
        rows = _in_scope(svc, principal, svc.awards(year), county, township)
        return msgspec.convert(rows, list[Award])

    @read_get(
        "/rewards",
        summary="Rewards for awards of three stars or more (rules.md §7)",
    )
    def rewards(
        self,
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
    ) -> list[Reward]:
        try:
            found = svc.rewards(year)
        except RulebookError as exc:
            raise problem(503, f"county rewards: {exc}") from None
        rows = _in_scope(svc, principal, found, county, township)
        return msgspec.convert(rows, list[Reward])

    @read_get(
        "/priority",
        summary="Three-consecutive-year priority list ending in the year",
    )
    def priority(
        self,
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
    ) -> list[Priority]:
        rows = _in_scope(svc, principal, svc.priority(year), county, township)
        return msgspec.convert(rows, list[Priority])
