"""``/ping`` (no auth, no store) and ``/health`` (no auth: store reachable, projection lag)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import PersistenceError
from litestar import Request, get

from api.http.controllers.common import problem, problems
from api.http.schemas import Health, Ping
from domain.application.audit import Audit
from domain.application.service import FiveStar
from domain.application.store import is_postgres


@get("/ping", sync_to_thread=False, tags=["system"], summary="Liveness: no auth, no store")
def ping() -> Ping:
    return Ping(ok=True)


@get(
    "/health",
    sync_to_thread=True,
    tags=["system"],
    summary="The store is reachable; how far the read models lag the ledger (in events)",
    responses=problems(503),
)
def health(request: Request[Any, Any, Any]) -> Health:
    state = request.app.state
    svc: FiveStar = state.svc
    try:
        head = svc.head()
        position = svc.position()
    except PersistenceError as exc:
        raise problem(
            503, f"the store is unreachable: {exc}", headers={"Retry-After": "5"}
        ) from None
    projector = state.projector
    if projector is None:
        status, error = "external", None
    else:
        error = projector.error
        status = "failing" if error else "running"
    if position > head and error is None:
        error = (
            f"the read models are at position {position}, ahead of the ledger ({head}): "
            "run `fivestar rebuild`"
        )
    verification = Audit(svc).last_check()
    return Health(
        ok=error is None and (verification is None or verification["ok"]),
        store="postgresql" if is_postgres(svc.db) else "sqlite",
        head=head,
        position=position,
        lag=head - position,  # never clamped: negative means ahead of the ledger
        projector=status,  # type: ignore[arg-type]
        projector_error=error,
        verification=verification,
    )
