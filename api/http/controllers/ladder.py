"""The intervention ladder over HTTP (mechanisms.md §4): ``GET /ladder``, ``GET
/branches/{code}/ladder`` and ``POST /ladder/apply`` (county or admin, within its scope)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from msgspec import Meta, Struct

from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.cases import Flag, On, answering, business_date
from api.http.controllers.common import (
    Code,
    Text,
    check_readable,
    problem,
    problems,
    read_get,
)
from api.http.schemas import _Body
from domain.application import case_reads as model
from domain.application.service import FiveStar
from domain.model.ladder import ladder_json

Required = Annotated[
    Literal["none", "first_secretary", "work_team", "reorganisation", "street_leader", "work_group"]
    | None,
    QueryParameter(description="only branches that need this measure on D"),
]
APPLY_ROLES = frozenset({"county", "admin"})
Place = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ApplyRequest(_Body):
    """Record the weak-and-lax listings §4 requires on ``on`` (in the token's scope, narrowed
    by ``county``/``township`` when given)."""

    on: date
    county: Place | None = None
    township: Place | None = None


class ActiveMeasure(Struct, kw_only=True):
    intervention: str
    measure: str
    until: date
    expired: bool


class Ladder(Struct, kw_only=True):
    """The ladder object of mechanisms.md §4."""

    branch: str
    on: date
    open_areas: list[str]
    overdue: list[str]
    required: str
    reasons: list[str]
    active: ActiveMeasure | None
    shortfall: bool
    listing_required: bool
    listed: bool
    evidence: list[str]


class ApplyOutcome(Struct, kw_only=True, omit_defaults=True):
    branch: str
    outcome: str  # recorded | already listed | id already used | refused
    record: dict[str, Any] | None = None
    since: date | None = None
    reason: str | None = None


class ApplyResult(Struct, kw_only=True):
    on: date
    outcomes: list[ApplyOutcome]


class LadderController(Controller):
    path = "/"
    tags = ["ladder"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/ladder",
        summary="The ladder of every branch in the token's jurisdiction on D (mechanisms.md §4)",
        description="One object per registered branch, sorted by code; `required` keeps the "
        "branches needing that measure, `shortfall` those whose measure in place falls short.",
    )
    def ladder(
        self,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
        on: On = None,
        required: Required = None,
        shortfall: Flag = False,
    ) -> list[Ladder]:
        scope = principal.read_scope.narrow(county, township)
        if scope is None:
            return []
        with answering():
            results = model.judged_ladder(
                svc,
                business_date(svc, on),
                county=scope.county,
                township=scope.township,
                branch=scope.branch,
                required=required,
                shortfall=shortfall,
            )
        return msgspec.convert([ladder_json(r) for r in results], list[Ladder])

    @read_get(
        "/branches/{code:str}/ladder",
        summary="One branch's ladder on D",
        problems_too=(404,),
    )
    def branch_ladder(
        self,
        code: Code,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        on: On = None,
    ) -> Ladder:
        check_readable(svc, principal, code)
        with answering():
            results = model.judged_ladder(svc, business_date(svc, on), branch=code)
        if not results:
            raise problem(404, f"branch {code} is not in the ladder read model yet")
        return msgspec.convert(ladder_json(results[0]), Ladder)

    @post(
        "/ladder/apply",
        sync_to_thread=True,
        status_code=200,
        opt={PERMISSION: "write"},
        summary="Record the weak-and-lax listings the ladder requires on D (idempotent)",
        description="For each community in the token's scope whose listing §4 requires on "
        "`on` and that has no weak-and-lax spell open, records a `weakness.designated` with "
        "id `ladder-<on>`; one outcome per community: recorded, already listed, or id "
        "already used. Role county or admin.",
        responses=problems(400, 401, 403, 503),
    )
    def apply(
        self,
        data: JSONBody[ApplyRequest],
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
    ) -> ApplyResult:
        if principal.role not in APPLY_ROLES:
            raise problem(403, f"role {principal.role} may not apply the ladder (county, admin)")
        scope = principal.scope.narrow(data.county, data.township)
        if scope is None:
            raise problem(
                403,
                f"{data.county or ''} {data.township or ''} is outside the jurisdiction of "
                f"token {principal.name} ({principal.scope.describe()})".strip(),
            )
        with answering():
            outcomes = model.apply_listing(
                svc,
                data.on,
                principal.recorder,
                county=scope.county,
                township=scope.township,
                branch=scope.branch,
            )
        return ApplyResult(
            on=data.on,
            outcomes=msgspec.convert([o.to_json() for o in outcomes], list[ApplyOutcome]),
        )
