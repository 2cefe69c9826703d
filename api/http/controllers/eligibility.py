"""``GET /eligibility``: the eligibility objects of interchange.md for a year."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.http.answers import cached_json
from api.http.auth import Principal, guard
from api.http.controllers.common import Text, Year, problem, read_get
from api.http.schemas import Eligibility
from domain.application.service import FiveStar
from domain.model.rulebook import KINDS
from domain.model.vocabulary import vocabulary

Star = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z_]+$",
        description="only branches eligible for this star",
    ),
]


class EligibilityController(Controller):
    path = "/eligibility"
    tags = ["eligibility"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        summary="Eligibility of every branch in the token's jurisdiction for a year",
        description="One object per registered branch, sorted by code (interchange.md).",
    )
    def eligibility(
        self,
        request: Request[Any, Any, Any],
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
        star: Star = None,
    ) -> list[Eligibility]:
        if star is not None and star not in known_stars():
            raise problem(
                400, f"star: {star!r} is not a star of any rulebook ({', '.join(known_stars())})"
            )
        scope = principal.read_scope.narrow(county, township)
        if scope is None:
            return []

        def compute() -> list[Eligibility]:
            results = svc.eligibility(
                year, branch=scope.branch, county=scope.county, township=scope.township
            )
            return results if star is None else [e for e in results if star in e.eligible]

        key = ("eligibility", year, scope.branch, scope.county, scope.township, star)
        return cached_json(svc, key, compute, request)  # type: ignore[return-value]  # same JSON


def known_stars() -> list[str]:
    """Every star of either kind in any rulebook, in rulebook order."""
    return list(dict.fromkeys(s for kind in KINDS for s in vocabulary(kind).stars))
