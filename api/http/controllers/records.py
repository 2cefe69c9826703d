"""``POST /records``: one record (a JSON object) or up to 1,000 (an array), each applied on
its own exactly as an imported line, after the token's role and jurisdiction allow it."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import RawBody

from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.common import problem, problems
from api.http.schemas import RecordResult
from domain.application.outcomes import (
    Accepted,
    IdClash,
    Outcome,
    Refused,
    UnknownBranchRefused,
)
from domain.application.service import FiveStar
from domain.model import records as r

MAX_RECORDS = 1000
MAX_DEPTH = 8  # a record is an object holding at most a list of strings


class _Refusal:
    """A record refused before the ledger sees it (structure, role, jurisdiction)."""

    def __init__(self, rid: str, reason: str, *, forbidden: bool = False, unknown: bool = False):
        self.id, self.reason, self.forbidden, self.unknown = rid, reason, forbidden, unknown


def _bad_value(value: Any) -> str | None:
    """Nesting no record has (checked iteratively: a deep value must not exhaust the stack).
    Everything else a record may hold is judged by ``domain.model.records`` like an imported
    line."""
    stack: list[tuple[Any, str, int]] = [(value, "$", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path}: nested deeper than any record field"
        if isinstance(item, dict):
            stack.extend(
                (child, key if path == "$" else f"{path}.{key}", depth + 1)
                for key, child in item.items()
            )
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return None


def _decode(obj: Any) -> r.AnyRecord | _Refusal:
    bad = _bad_value(obj)
    if bad is None:
        try:
            return r.record_from_object(obj)
        except r.RecordError as exc:
            return _Refusal(exc.record_id, exc.reason)
        except (ValueError, TypeError, OverflowError) as exc:  # unencodable values
            bad = f"$: {exc}"
    rid = obj.get("id") if isinstance(obj, dict) else None
    rid = rid if isinstance(rid, str) and r.ID_PATTERN.fullmatch(rid) else "-"
    return _Refusal(rid, f"structural: {bad}")


def _admit(
    svc: FiveStar,
    principal: Principal,
    records: list[r.AnyRecord | _Refusal],
) -> list[r.AnyRecord | _Refusal]:
    """Refuse records outside the token's role or jurisdiction (the ledger never sees them).
    The role is judged by record type first, then the jurisdiction, and only then, within
    it, the level a case is at (ADR 0013: nothing about a branch elsewhere is read)."""
    places: dict[str, tuple[str, str] | None] = {}
    levels: dict[tuple[str, str], str | None] = {}  # cases' levels, as the batch moves them
    out: list[r.AnyRecord | _Refusal] = []
    scope_free = principal.scope.everything
    for record in records:
        if isinstance(record, _Refusal):
            out.append(record)
            continue
        why = principal.refuse_type(record)
        if why:
            out.append(_Refusal(record.id, why, forbidden=True))
            continue
        code = record.branch
        if isinstance(record, r.BranchRegisteredRecord):
            place: tuple[str, str] | None = (record.county, record.township)
        elif scope_free:
            place = None  # a province-wide token: the ledger alone decides where
        else:
            place = _registered_place(svc, places, code)
            if place is None or not principal.scope.covers(place[0], place[1], code):
                # unknown and outside alike: 404 with the same words (ADR 0013)
                out.append(_Refusal(record.id, principal.hidden(code), unknown=True))
                continue
        why = principal.refuse_place(code, *place) if place is not None else None
        if why is None and principal.needs_case_level(record):
            why = principal.refuse_write(record, _case_level(svc, principal, record, levels))
        if why:
            out.append(_Refusal(record.id, why, forbidden=True))
            continue
        if isinstance(record, r.BranchRegisteredRecord) and not scope_free:
            # the records after it are judged by where the ledger has the branch: a code
            # registered elsewhere stays elsewhere (the ledger refuses this registration)
            places[code] = _registered_place(svc, places, code) or place
        _track_level(record, levels)
        out.append(record)
    return out


def _registered_place(
    svc: FiveStar, places: dict[str, tuple[str, str] | None], code: str
) -> tuple[str, str] | None:
    """(county, township) of the branch as the ledger registers it (None: not registered),
    looked up once per request."""
    if code not in places:
        registration = svc.registration(code)
        places[code] = (registration.county, registration.township) if registration else None
    return places[code]


def _case_level(
    svc: FiveStar,
    principal: Principal,
    record: r.AnyRecord,
    levels: dict[tuple[str, str], str | None],
) -> str | None:
    """The level the record's case is at, when the role's right depends on it."""
    if not principal.needs_case_level(record):
        return None
    key = (record.branch, record.case)  # type: ignore[union-attr]
    if key not in levels:
        levels[key] = svc.case_level(*key)
    return levels[key]


def _track_level(record: r.AnyRecord, levels: dict[tuple[str, str], str | None]) -> None:
    """An admitted assignment or escalation moves its case for the records after it."""
    if isinstance(record, r.CaseEscalatedRecord):
        levels[(record.branch, record.case)] = "county"
    elif isinstance(record, r.CaseAssignedRecord):
        key = (record.branch, record.case)
        if key in levels and levels[key] is None:
            levels[key] = record.level


def _status(outcome: Outcome | _Refusal) -> int:
    """The HTTP status of a single record's outcome."""
    if isinstance(outcome, _Refusal):
        if outcome.forbidden:
            return 403
        return 404 if outcome.unknown else 422
    if isinstance(outcome, Accepted):
        return 201
    if isinstance(outcome, IdClash):
        return 409
    if isinstance(outcome, UnknownBranchRefused):
        return 404
    return 422 if isinstance(outcome, Refused) else 200


def _result(outcome: Outcome | _Refusal) -> RecordResult:
    if isinstance(outcome, _Refusal):
        return RecordResult(id=outcome.id, status="refused", reason=outcome.reason)
    reason = outcome.reason if isinstance(outcome, Refused) else None
    position = outcome.position if isinstance(outcome, Accepted) else None
    return RecordResult(id=outcome.id, status=outcome.status, reason=reason, position=position)  # type: ignore[arg-type]


class RecordsController(Controller):
    path = "/records"
    tags = ["records"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @post(
        sync_to_thread=True,
        status_code=200,
        opt={PERMISSION: "write"},
        summary="Submit one record or up to 1,000",
        description=(
            "A JSON object (one record) or an array of up to 1,000, in the shapes of "
            "interchange.md. Each record is applied on its own, as in `fivestar import`. "
            "An array answers 200 when every record was applied or a duplicate, else 207, "
            "with one result per record in order. A single object answers 201 applied, "
            "200 duplicate, or a problem: 422 refused by a rule, 409 id reused with other "
            "content, 404 a branch unknown or outside the token's jurisdiction (the same "
            "answer for both), 403 outside the token's role (or a registration elsewhere)."
        ),
        responses={
            201: ResponseSpec(
                data_container=RecordResult, description="the single record was applied"
            ),
            207: ResponseSpec(
                data_container=list[RecordResult],
                description="an array with at least one refused record",
            ),
            **problems(400, 401, 403, 404, 409, 413, 422, 503),
        },
    )
    def submit(
        self,
        request: Request[Any, Any, Any],
        body: RawBody,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
    ) -> Response[list[RecordResult] | RecordResult]:
        try:
            parsed = msgspec.json.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise problem(400, f"the body is not valid JSON in UTF-8: {exc}") from None
        except RecursionError:
            raise problem(400, "the body is nested too deeply to be records") from None
        if isinstance(parsed, dict):
            items, single = [parsed], True
        elif isinstance(parsed, list):
            items, single = parsed, False
        else:
            raise problem(400, "the body must be a JSON object (one record) or an array of them")
        if len(items) > MAX_RECORDS:
            raise problem(422, f"{len(items)} records in one request; at most {MAX_RECORDS}")

        admitted = _admit(svc, principal, [_decode(obj) for obj in items])
        to_ledger = [rec for rec in admitted if not isinstance(rec, _Refusal)]
        # One try from here: the ledger retries a batch that lost a race (its one retry loop).
        decided = iter(svc.submit(to_ledger, principal.recorder, refresh=True) if to_ledger else [])
        outcomes = [rec if isinstance(rec, _Refusal) else next(decided) for rec in admitted]
        if any(isinstance(o, Accepted) for o in outcomes):
            projector = request.app.state.projector
            if projector is not None:
                projector.wake()
        results = [_result(o) for o in outcomes]
        if not single:
            every_ok = not any(isinstance(o, Refused | _Refusal) for o in outcomes)
            return Response(results, status_code=200 if every_ok else 207)
        result, status = results[0], _status(outcomes[0])
        if status >= 400:
            raise problem(status, result.reason or "refused", id=result.id, reason=result.reason)
        return Response(result, status_code=status)
