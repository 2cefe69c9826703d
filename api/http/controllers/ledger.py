"""The verifiable ledger over HTTP (ADR 0016): digest, inclusion and consistency proofs,
and the event feed (a page of events after a position, or a Server-Sent Events stream).

Any valid token may read the digest and the proofs of consistency (they name no branch); an
inclusion proof shows a record, so it needs the history right and the branch's jurisdiction;
the feed is scoped like reads (``service`` and ``auditor`` tokens follow it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated, Any

from eventsourcing.persistence import PersistenceError
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.http.auth import PERMISSION, Principal, guard
from api.http.controllers.common import (
    MAX_POSITION,
    READ_PROBLEMS,
    Code,
    Text,
    check_readable,
    locate,
    problem,
    problems,
    read_get,
)
from domain.application.audit import Audit, AuditError
from domain.application.feed import events_after
from domain.application.service import FiveStar
from domain.application.tokens import TokenStore

RecordIdPath = Annotated[
    str, PathParameter(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
]
Size = Annotated[
    int | None, QueryParameter(ge=0, le=MAX_POSITION, description="tree size (default: now)")
]
After = Annotated[
    int, QueryParameter(ge=0, le=MAX_POSITION, description="events after this ledger position")
]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="at most this many events")]
Types = Annotated[
    str | None,
    QueryParameter(
        max_length=500, pattern=r"^[a-z_.,]+$", description="comma-separated record types"
    ),
]
POLL_SECONDS = 0.5


def _audit(svc: FiveStar) -> Audit:
    return Audit(svc)


def _status(audit: Audit, size: int | None) -> int:
    """409 for a tree size the ledger has not reached (yet), like ``min_position``; 400 for
    sizes that cannot go together (``from`` after ``to``, a record after the size asked)."""
    return 409 if size is not None and size > audit.tree.size() else 400


class LedgerController(Controller):
    path = "/"
    tags = ["ledger"]  # noqa: RUF012
    guards = [guard]  # noqa: RUF012

    @read_get(
        "/ledger/digest",
        summary="The ledger's Merkle digest: size, root, last position and its time",
        description="RFC 9162 tree over every accepted event; write the root down.",
    )
    def digest(self, svc: NamedDependency[FiveStar], size: Size = None) -> dict[str, Any]:
        audit = _audit(svc)
        try:
            return audit.digest(size)
        except AuditError as exc:
            raise problem(_status(audit, size), str(exc)) from None

    @read_get(
        "/ledger/consistency",
        summary="RFC 9162 consistency proof: the tree of size `to` extends the one of `from`",
    )
    def consistency(
        self,
        svc: NamedDependency[FiveStar],
        from_: Annotated[int, QueryParameter(name="from", ge=0, le=MAX_POSITION)],
        to: Size = None,
    ) -> dict[str, Any]:
        audit = _audit(svc)
        try:
            return audit.consistency(from_, to)
        except AuditError as exc:  # without ``to``, a ``from`` beyond the ledger is not reached
            raise problem(_status(audit, from_ if to is None else to), str(exc)) from None

    @get(
        "/branches/{code:str}/records/{record_id:str}/proof",
        sync_to_thread=True,
        opt={PERMISSION: "history"},
        summary="The record, its leaf hash and index, and its audit path to the root",
        responses=problems(*READ_PROBLEMS, 404),
    )
    def proof(
        self,
        code: Code,
        record_id: RecordIdPath,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        size: Size = None,
    ) -> dict[str, Any]:
        check_readable(svc, principal, code)
        audit = _audit(svc)
        try:
            return audit.prove(code, record_id, size)
        except AuditError as exc:
            status = 404 if "has no record" in str(exc) else _status(audit, size)
            raise problem(status, str(exc)) from None

    @read_get(
        "/events",
        summary="Events after a ledger position, in ledger order (the feed)",
        description=(
            "`next` is the last position examined: ask again with `after=next`. Events of "
            "branches outside the token's jurisdiction are left out."
        ),
    )
    def events(
        self,
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        after: After = 0,
        limit: Limit = 100,
        type: Types = None,
        county: Text = None,
    ) -> dict[str, Any]:
        found, next_position = events_after(
            svc, after, limit, _types(type), _visible(svc, principal, county)
        )
        return {"events": found, "next": next_position}

    @get(
        "/events/stream",
        opt={PERMISSION: "read"},
        summary="The feed as Server-Sent Events, resuming after `Last-Event-ID`",
        description=(
            "Each event's SSE id is its ledger position; a client that reconnects with "
            "`Last-Event-ID` gets every later event exactly once. `limit` ends the stream "
            "after that many events, `idle` after that many seconds with nothing new."
        ),
        responses=problems(*READ_PROBLEMS),
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        svc: NamedDependency[FiveStar],
        principal: NamedDependency[Principal],
        after: After = 0,
        limit: Annotated[int | None, QueryParameter(ge=1, le=MAX_POSITION)] = None,
        idle: Annotated[float | None, QueryParameter(ge=0, le=3600)] = None,
        type: Types = None,
        county: Text = None,
    ) -> ServerSentEvent:
        start = _last_event_id(request.headers.get("last-event-id"), after)
        visible = _visible(svc, principal, county)
        tokens: TokenStore = request.app.state.tokens
        return ServerSentEvent(
            _messages(svc, start, _types(type), visible, limit, idle, _valid(tokens, principal))
        )


def _valid(tokens: TokenStore, principal: Principal) -> Callable[[], bool]:
    """Whether the stream's token still holds: a stream is one request that does not end,
    and a revocation holds from the next page it would send (ADR 0008)."""

    def valid() -> bool:
        token = tokens.get(principal.name)
        return token is not None and token.revoked_at is None

    return valid


def _messages(
    svc: FiveStar,
    after: int,
    types: frozenset[str],
    visible: Any,
    limit: int | None,
    idle: float | None,
    valid: Callable[[], bool] = lambda: True,
) -> Iterator[ServerSentEventMessage]:
    """Events as SSE messages, polling the ledger when caught up (a sync generator: the
    response runs it in a worker thread); the stream ends once ``valid`` says the token
    was revoked. The store going away mid-stream (``valid`` reads it too) ends it with an
    ``unavailable`` message asking the client to reconnect in 5 s (with ``Last-Event-ID`` it
    resumes exactly): the response has started, so it can no longer become a 503, and the
    stream was cut mid-chunk with "Exception caught after response started" logged."""
    import msgspec

    sent, quiet_since = 0, time.monotonic()
    while True:
        try:
            if not valid():
                return
            found, after = events_after(svc, after, 100, types, visible)
        except PersistenceError as exc:
            yield ServerSentEventMessage(
                data=f"the store is unavailable: {exc}", event="unavailable", retry=5000
            )
            return
        for item in found:
            yield ServerSentEventMessage(
                data=msgspec.json.encode(item).decode(),
                id=str(item["position"]),
                event="ledger",
            )
            sent += 1
            if limit is not None and sent >= limit:
                return
        if found:
            quiet_since = time.monotonic()
            continue
        if idle is not None and time.monotonic() - quiet_since >= idle:
            return
        time.sleep(POLL_SECONDS if idle is None else min(POLL_SECONDS, idle))


def _last_event_id(header: str | None, after: int) -> int:
    if header is None:
        return after
    try:
        value = int(header)
    except ValueError:
        raise problem(400, f"Last-Event-ID must be a ledger position, not {header!r}") from None
    if not 0 <= value <= MAX_POSITION:
        raise problem(400, f"Last-Event-ID {value} is not a ledger position")
    return value


def _types(text: str | None) -> frozenset[str]:
    """The record types asked for; an unknown one is refused by name (it matched nothing and
    the feed looked empty, as ``?star=bogus`` did)."""
    types = frozenset(t for t in (text or "").split(",") if t)
    unknown = sorted(types - known_types())
    if unknown:
        raise problem(400, f"type: unknown record type {', '.join(map(repr, unknown))}")
    return types


@cache
def known_types() -> frozenset[str]:
    """Every record type, the adoption of a rulebook, and ``unreadable`` (feed.py)."""
    from typing import get_args

    from domain.model.records import AnyRecord

    tags = {str(cls.__struct_config__.tag) for cls in get_args(AnyRecord)}
    return frozenset({*tags, "rulebook.adopted", "unreadable"})


def _visible(svc: FiveStar, principal: Principal, county: str | None) -> Any:
    """Which branch codes this token (narrowed to ``county``) may see, with a cache."""
    scope = principal.read_scope.narrow(county=county)
    if scope is None:
        return lambda code: False
    if scope.everything:
        return None
    seen: dict[str, bool] = {}

    def visible(code: str) -> bool:
        if code not in seen:
            place = locate(svc, code)
            seen[code] = place is not None and scope.covers(place[0], place[1], code)
        return seen[code]

    return visible
