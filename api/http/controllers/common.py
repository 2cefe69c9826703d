"""What every controller shares: dependencies, parameter types, problem details, the
jurisdiction checks of single-branch reads, and waiting for a ledger position."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import PathParameter, QueryParameter
from litestar.plugins.problem_details import ProblemDetailsException

from api.http.auth import PERMISSION, Principal
from api.http.schemas import Problem
from domain.application.service import FiveStar
from domain.model.rulebook import available_rulebooks

PROBLEM_JSON = "application/problem+json"
MAX_POSITION = 2**53  # exact in a JSON number (a float): what the schema can promise
# Text in paths and queries: no control characters (PostgreSQL text cannot hold NUL).
_TEXT = r"^[^\x00-\x1f\x7f]+$"

Code = Annotated[
    str, PathParameter(min_length=1, max_length=64, pattern=_TEXT, description="branch code")
]
Year = Annotated[int, QueryParameter(ge=2000, le=2100, description="rating year")]
YearPath = Annotated[int, PathParameter(ge=2000, le=2100, description="rating year")]
Text = Annotated[str | None, QueryParameter(min_length=1, max_length=200, pattern=_TEXT)]
AsOf = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        format=OpenAPIFormat.DATE_TIME,
        description="ISO 8601 timestamp, inclusive (no zone = UTC); a bare date is its midnight",
    ),
]
Position = Annotated[
    int | None, QueryParameter(ge=0, le=MAX_POSITION, description="a ledger position, inclusive")
]
RulebookId = Annotated[
    str | None,
    QueryParameter(
        enum=available_rulebooks(), description="a rulebook other than the one in force"
    ),
]
MinPosition = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_POSITION,
        description=(
            "wait (a few seconds at most) until the read models reflect this ledger position, "
            "e.g. one a write answered with; 503 with Retry-After if they do not"
        ),
    ),
]


def strict_body(cls: type[Any]) -> Any:
    """A ``before_request`` hook that decodes the JSON body as ``cls`` strictly: Litestar
    converts bodies leniently (``"adopt": "true"``, ``"year": "2024"`` pass), which the
    OpenAPI document does not allow. A whole number written ``2024.0`` is an integer in
    JSON, and taken as one (ADR 0013)."""

    async def check(request: Request[Any, Any, Any]) -> None:
        raw = await request.body()
        try:
            msgspec.json.decode(raw, type=cls)
        except msgspec.ValidationError as exc:
            if not _integral(raw, cls):
                raise problem(400, f"body: {exc}") from None
        except msgspec.DecodeError as exc:
            raise problem(400, f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise problem(400, "the body is nested too deeply") from None

    return check


def _integral(raw: bytes, cls: type[Any]) -> bool:
    """Whether the body decodes as ``cls`` once whole floats are read as integers."""
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # e.g. a number followed by garbage
        return False
    if not isinstance(obj, dict):
        return False
    obj = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in obj.items()}
    try:
        msgspec.convert(obj, cls)
    except msgspec.ValidationError:
        return False
    return True


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> ProblemDetailsException:
    """An RFC 9457 problem: ``status``, ``title`` (the status phrase), ``detail``, extras."""
    return ProblemDetailsException(
        status_code=status,
        title=HTTPStatus(status).phrase,
        detail=detail,
        headers=headers,
        extra={k: v for k, v in extra.items() if v is not None} or None,
    )


_PROBLEM_TEXT = {
    400: "malformed request or parameter",
    401: "no token, or an unknown or revoked one",
    403: "the token's role (for a registration, its jurisdiction) does not allow it",
    404: "no such branch (or token), or none within the token's jurisdiction",
    409: (
        "a conflict with the ledger: a record id it holds with other content, a token name "
        "that is taken, or a min_position beyond its last position"
    ),
    413: "the body is larger than 16 MB",
    422: (
        "refused by a rule (the detail names the field and the rule), or more than 1,000 "
        "records in one request"
    ),
    503: "the store is unreachable, or the read models did not reach min_position in time",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem answers an operation documents."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_PROBLEM_TEXT[code],
            generate_examples=False,
        )
        for code in codes
    }


READ_PROBLEMS = (400, 401, 403, 409, 503)


def read_get(path: str | None = None, *, problems_too: tuple[int, ...] = (), **options: Any) -> Any:
    """A GET of a read permission answered in a worker thread, documenting the problems
    every read may answer (``READ_PROBLEMS``) and ``problems_too``: the one decorator the
    read endpoints share, so they cannot drift apart in permission or documented answers."""
    return get(
        path,
        sync_to_thread=True,
        opt={PERMISSION: "read"},
        responses=problems(*READ_PROBLEMS, *problems_too),
        **options,
    )


# ------------------------------------------------------------------ dependencies
def provide_service(request: Request[Any, Any, Any]) -> FiveStar:
    return request.app.state.svc


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return request.state.principal


async def provide_read_at(
    request: Request[Any, Any, Any], min_position: MinPosition = None
) -> int | None:
    """Nothing to do unless ``min_position`` is asked; then wait (in a worker thread) until
    the read models reflect it, and give their position."""
    if min_position is None:
        return None
    from anyio import to_thread

    return await to_thread.run_sync(wait_for_position, request.app.state, min_position)


def wait_for_position(state: Any, min_position: int) -> int:
    svc: FiveStar = state.svc
    position = svc.position()
    if position >= min_position:
        return position
    head = svc.head()
    if min_position > head:
        raise problem(
            409, f"min_position {min_position} is beyond the ledger's last position, {head}"
        )
    deadline = time.monotonic() + state.wait_seconds
    while position < min_position:
        if time.monotonic() >= deadline:
            raise problem(
                503,
                f"the read models are at position {position}, not yet {min_position}; retry",
                headers={"Retry-After": "1"},
            )
        if state.projector is not None:
            state.projector.wake()
        time.sleep(0.02)
        position = svc.position()
    return position


DEPENDENCIES = {
    "svc": Provide(provide_service, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "read_at": Provide(provide_read_at),
}


# ------------------------------------------------------------------ jurisdiction
def locate(svc: FiveStar, code: str) -> tuple[str, str] | None:
    """(county, township) of a registered branch: the registry, else the ledger itself
    (a branch registered moments ago may not be in the read models yet)."""
    branch = svc.get_branch(code)
    if branch is not None:
        return branch["county"], branch["township"]
    registration = svc.registration(code)
    if registration is None:
        return None
    return registration.county, registration.township


def check_readable(svc: FiveStar, principal: Principal, code: str) -> tuple[str, str]:
    """404 for a branch that is unknown or outside the token's jurisdiction: the same
    answer for both, so a scoped token cannot tell which codes exist (ADR 0013)."""
    place = locate(svc, code)
    if place is None:
        if not principal.read_scope.everything:
            raise problem(404, principal.hidden(code))
        raise problem(404, f"unknown branch {code!r}: it has no records in this ledger")
    forbid_outside(principal, code, *place)
    return place


def forbid_outside(principal: Principal, code: str, county: str, township: str) -> None:
    if not principal.read_scope.covers(county, township, code):
        raise problem(404, principal.hidden(code))


def parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise problem(400, f"as_of: not an ISO 8601 timestamp: {text!r}") from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is in year 10000 in UTC
        raise problem(400, f"as_of: {text!r} is out of range in UTC (years 1-9999)") from None
