"""``GET /compliance``, ``GET /branches/{code}/compliance/{year}`` and ``GET /staffing``
(mechanisms.md §2): the compliance read model within the token's jurisdiction."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.http.answers import cached_json
from api.http.auth import Principal, guard
from api.http.controllers.common import (
    AsOf,
    Code,
    Position,
    Text,
    Year,
    YearPath,
    check_readable,
    parse_as_of,
    problem,
    read_get,
)
from domain.application.service import FiveStar
from domain.model.compliance import REQUIREMENTS, Compliance, Staffing, filtered
from domain.model.parameters import standards_stamp

On = Annotated[
    date | None,
    QueryParameter(description="business date D: only records dated on or before it count"),
]
RequirementId = Annotated[
    str | None,
    QueryParameter(
        min_length=1, max_length=64, pattern=r"^[a-z_]+$", description="only this requirement"
    ),
]
Status = Annotated[
    Literal["met", "missed", "pending"] | None,
    QueryParameter(description="only requirements in this status (branches with none left out)"),
]
KNOWN = {rid for rid, *_ in REQUIREMENTS}


class MechanismsController(Controller):
    path = "/"
    tags = ["mechanisms"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/compliance",
        summary="Working-mechanism compliance of every branch in the jurisdiction for a year",
        description=(
            "One object per registered branch, sorted by code (mechanisms.md §2), judged on "
            "`on` (default today); as the ledger stood at `as_of`/`position` when given."
        ),
    )
    def compliance(
        self,
        request: Request[Any, Any, Any],
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        on: On = None,
        county: Text = None,
        township: Text = None,
        requirement: RequirementId = None,
        status: Status = None,
        as_of: AsOf = None,
        position: Position = None,
    ) -> list[Compliance]:
        moment = parse_as_of(as_of)
        if requirement is not None and requirement not in KNOWN:
            raise problem(400, f"requirement: unknown requirement {requirement!r}")
        scope = principal.read_scope.narrow(county, township)
        if scope is None:
            return []
        day = on or svc.today()

        def compute() -> list[Compliance]:
            results = svc.compliance(
                year,
                day,
                branch=scope.branch,
                county=scope.county,
                township=scope.township,
                as_of=moment,
                position=position,
            )
            return filtered(results, requirement, status)

        if moment is not None or position is not None:  # a replay: computed every time
            return compute()
        key = (
            "compliance",
            year,
            day,
            scope.branch,
            scope.county,
            scope.township,
            requirement,
            status,
            standards_stamp(),  # an edited standards file judges anew
        )
        return cached_json(svc, key, compute, request)  # type: ignore[return-value]  # same JSON

    @read_get(
        "/branches/{code:str}/compliance/{year:int}",
        summary="One branch's working-mechanism compliance for a year",
        problems_too=(404,),
    )
    def branch_compliance(
        self,
        code: Code,
        year: YearPath,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        on: On = None,
        as_of: AsOf = None,
        position: Position = None,
    ) -> Compliance:
        moment = parse_as_of(as_of)
        check_readable(svc, principal, code)
        results = svc.compliance(
            year, on or svc.today(), branch=code, as_of=moment, position=position
        )
        if not results:
            raise problem(404, f"branch {code} is not in the read models (yet, or at that time)")
        return results[0]

    @read_get(
        "/staffing",
        summary="Community workers per county for a year (职业化)",
        description=(
            "One object per county that has communities, in code-point order. County-wide: "
            "a token scoped to a township or a branch may not read it."
        ),
    )
    def staffing(
        self,
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
    ) -> list[Staffing]:
        scope = principal.read_scope
        if scope.township is not None or scope.branch is not None:
            raise problem(
                403,
                f"staffing is county-wide; token {principal.name} is scoped to {scope.describe()}",
            )
        rows = svc.staffing(year)  # a broken parameters file: 503 (app.py)
        return [s for s in rows if scope.county is None or s.county == scope.county]
