"""Cases and their time limits over HTTP (mechanisms.md §3): ``GET /cases``, ``GET
/cases/summary`` and ``GET /branches/{code}/cases/{case}`` (the case with its record trail)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from msgspec import Struct

from api.http.answers import cached_json
from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.common import (
    READ_PROBLEMS,
    Code,
    Text,
    Year,
    check_readable,
    problem,
    problems,
    read_get,
)
from domain.application import case_reads as model
from domain.application.service import FiveStar
from domain.model.cases import CaseLimitsError, CaseLimitsFile, case_json, summary_json
from domain.model.rulebook import rulebook_dir

On = Annotated[
    date | None,
    QueryParameter(
        description="the business date D, YYYY-MM-DD (default today, UTC+8 unless configured)"
    ),
]
Flag = Annotated[bool, QueryParameter()]
CaseId = Annotated[str, PathParameter(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")]


class Stage(Struct, kw_only=True):
    level: str | None
    start: date
    end: date | None
    breaches: list[str]


class Case(Struct, kw_only=True):
    """The case object of mechanisms.md §3."""

    branch: str
    case: str
    category: str
    occurred_on: date
    reported_on: date
    reported_late: bool
    incident: str | None
    state: str
    level: str | None
    stages: list[Stage]
    within_target: bool | None
    overdue: bool
    limits: str
    evidence: list[str]


class TrailEntry(Struct, kw_only=True):
    position: int
    recorded_at: datetime
    recorder: str
    record: dict[str, Any]


class CaseWithTrail(Case, kw_only=True):
    """The case object and every record of the case in ledger order."""

    records: list[TrailEntry]


class CaseSummary(Struct, kw_only=True):
    """One county and township's cases of a year (mechanisms.md §3)."""

    county: str
    township: str
    reported: int
    reported_late: int
    escalated: int
    closed: int
    resolved_in_time: int
    overdue: int
    breaches: dict[str, int]
    incidents_without_case: list[str]


@contextmanager
def answering() -> Iterator[None]:
    """Read models built by an earlier version lack these tables' rows: 503 until rebuilt."""
    try:
        yield
    except model.ReadModelNotBuilt as exc:
        raise problem(503, str(exc)) from None


def business_date(svc: FiveStar, on: date | None) -> date:
    """``on``, or today where the programme keeps its calendar (``FiveStar.today``)."""
    return on or svc.today()


def limits_stamp() -> tuple[int, int] | None:
    """When and how large the case limits file is (None: absent, the defaults hold)."""
    try:
        found = (rulebook_dir() / "case-limits.toml").stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def limits_in_force() -> CaseLimitsFile:
    """The file's limits when the request runs; a broken file is the server's to mend (503,
    as for the other parameter files) and its message names the file and the key."""
    try:
        return model.case_limits()
    except CaseLimitsError as exc:
        raise problem(503, f"parameters: {exc}") from None


class CasesController(Controller):
    path = "/"
    tags = ["cases"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/cases",
        summary="Cases in the token's jurisdiction judged on D (mechanisms.md §3)",
        description=(
            "One case object per case reported on or before `on`, sorted by branch then "
            "case id. `open` keeps cases not closed, `overdue` those overdue on D."
        ),
    )
    def cases(
        self,
        request: Request[Any, Any, Any],
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
        branch: Text = None,
        on: On = None,
        open: Flag = False,
        overdue: Flag = False,
    ) -> list[Case]:
        scope = principal.read_scope.narrow(county, township, branch)
        if scope is None:
            return []
        day = business_date(svc, on)

        def compute() -> list[Case]:
            with answering():
                results = model.judged_cases(
                    svc,
                    day,
                    county=scope.county,
                    township=scope.township,
                    branch=scope.branch,
                    limits=limits_in_force(),
                )
            if open:
                results = [c for c in results if c.state != "closed"]
            if overdue:
                results = [c for c in results if c.overdue]
            return msgspec.convert([case_json(c) for c in results], list[Case])

        # an edited limits file changes the answers: its stamp is part of the key
        key = (
            "cases",
            day,
            scope.county,
            scope.township,
            scope.branch,
            open,
            overdue,
            limits_stamp(),
        )
        return cached_json(svc, key, compute, request)  # type: ignore[return-value]  # same JSON

    @read_get(
        "/cases/summary",
        summary="Cases reported in a year, per county and township, judged on D",
    )
    def summary(
        self,
        year: Year,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        county: Text = None,
        township: Text = None,
        on: On = None,
    ) -> list[CaseSummary]:
        scope = principal.read_scope.narrow(county, township)
        if scope is None:
            return []
        if scope.branch is not None:
            raise problem(403, "a branch token cannot read a township summary")
        with answering():
            rows = model.case_summary(
                svc,
                year,
                business_date(svc, on),
                county=scope.county,
                township=scope.township,
                limits=limits_in_force(),
            )
        return msgspec.convert([summary_json(row) for row in rows], list[CaseSummary])

    @get(
        "/branches/{code:str}/cases/{case:str}",
        sync_to_thread=True,
        opt={PERMISSION: "history"},
        summary="One case judged on D, with its full record trail",
        description="The case object of mechanisms.md §3 and `records`: every record of the "
        "case in ledger order, with its position, recording time and recorder.",
        responses=problems(*READ_PROBLEMS, 404),
    )
    def case(
        self,
        code: Code,
        case: CaseId,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        read_at: NamedDependency[int | None],
        on: On = None,
    ) -> CaseWithTrail:
        check_readable(svc, principal, code)
        steps = model.case_steps(svc, code, case)
        if not steps:
            raise problem(404, f"branch {code} has no case {case!r}")
        day = business_date(svc, on)
        with answering():
            found = model.judged_cases(svc, day, branch=code, case=case, limits=limits_in_force())
        ids = {s.id for s in steps}
        trail = [
            TrailEntry(
                position=e.position, recorded_at=e.recorded_at, recorder=e.recorder, record=e.record
            )
            for e in svc.history(code)
            if e.record.get("id") in ids and e.record.get("type", "").startswith("case.")
        ]
        if not found:
            raise problem(404, f"case {case!r} of {code} was reported after {day}")
        case_object = msgspec.convert(case_json(found[0]), Case)
        return CaseWithTrail(**msgspec.structs.asdict(case_object), records=trail)
