"""The branch registry, a branch's audit trail and its eligibility for a year."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.common import (
    MAX_POSITION,
    READ_PROBLEMS,
    AsOf,
    Code,
    Position,
    RulebookId,
    Text,
    YearPath,
    check_readable,
    forbid_outside,
    parse_as_of,
    problem,
    problems,
    read_get,
)
from api.http.schemas import Branch, BranchPage, Eligibility, HistoryEntry
from domain.application.service import FiveStar, UnknownBranch
from domain.model.rulebook import RulebookError

Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_POSITION, description="branches to skip")]
Kind = Annotated[Literal["village", "community"] | None, QueryParameter()]


class BranchesController(Controller):
    path = "/branches"
    tags = ["registry"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        summary="Registered branches, filtered and paged (sorted by code)",
    )
    def list_branches(
        self,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
        kind: Kind = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> BranchPage:
        scope = principal.read_scope.narrow(county, township)
        if scope is None:
            return BranchPage(items=[], total=0, limit=limit, offset=offset)
        rows, total = svc.list_branches(
            code=scope.branch,
            county=scope.county,
            township=scope.township,
            kind=kind,
            limit=limit,
            offset=offset,
        )
        items = [Branch(**row) for row in rows]
        return BranchPage(items=items, total=total, limit=limit, offset=offset)

    @read_get(
        "/{code:str}",
        summary="One registered branch",
        problems_too=(404,),
    )
    def get_branch(
        self,
        code: Code,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
    ) -> Branch:
        row = svc.get_branch(code)
        if row is None:
            check_readable(svc, principal, code)  # unknown or outside the scope: 404
            raise problem(404, f"branch {code} is not in the registry yet (see min_position)")
        forbid_outside(principal, code, row["county"], row["township"])
        return Branch(**row)

    @get(
        "/{code:str}/history",
        sync_to_thread=True,
        opt={PERMISSION: "history"},
        summary="The branch's audit trail: records accepted up to as_of/position",
        responses=problems(*READ_PROBLEMS, 404),
    )
    def history(
        self,
        code: Code,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        as_of: AsOf = None,
        position: Position = None,
    ) -> list[HistoryEntry]:
        moment = parse_as_of(as_of)
        check_readable(svc, principal, code)
        try:
            entries = svc.history(code, moment, position)
        except UnknownBranch as exc:
            raise problem(404, str(exc)) from None
        return [
            HistoryEntry(
                position=e.position,
                recorded_at=e.recorded_at,
                recorder=e.recorder,
                record=e.record,
                basis=e.basis,
            )
            for e in entries
        ]

    @read_get(
        "/{code:str}/eligibility/{year:int}",
        summary="The branch's eligibility for a year (interchange.md object)",
        description=(
            "Under the rulebook in force, or `rulebook`; as the ledger stood at `as_of` or "
            "`position` (an as-of replay of the log) when one is given."
        ),
        problems_too=(404,),
    )
    def eligibility(
        self,
        code: Code,
        year: YearPath,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        rulebook: RulebookId = None,
        as_of: AsOf = None,
        position: Position = None,
    ) -> Eligibility:
        moment = parse_as_of(as_of)
        check_readable(svc, principal, code)
        try:
            results = svc.eligibility(
                year, branch=code, rulebook=rulebook, as_of=moment, position=position
            )
        except RulebookError as exc:
            raise problem(400, f"rulebook: {exc}") from None
        if not results:
            raise problem(404, f"branch {code} had no records at that time")
        return results[0]
