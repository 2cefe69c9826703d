"""The HTTP API (Litestar): ``create_app(db)`` wires the store, the token store, the
controllers, problem details, OpenAPI and, unless told otherwise, the projector thread.

``fivestar serve`` builds the app with ``project=False`` in every web worker and runs the
one projector itself (ADR 0007); tests use ``create_app(db)`` with Litestar's TestClient.
"""

from __future__ import annotations

import logging
import os
from http import HTTPStatus
from typing import Any

import msgspec
from eventsourcing.persistence import IntegrityError, PersistenceError
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from api.exports import ExportMiddleware
from api.http.auth import Forbidden, Unauthorized
from api.http.controllers.branches import BranchesController
from api.http.controllers.cases import CasesController
from api.http.controllers.common import DEPENDENCIES, PROBLEM_JSON, problem
from api.http.controllers.eligibility import EligibilityController
from api.http.controllers.ladder import LadderController
from api.http.controllers.ledger import LedgerController
from api.http.controllers.mechanisms import MechanismsController
from api.http.controllers.records import MAX_RECORDS, RecordsController
from api.http.controllers.rulebooks import RulebooksController
from api.http.controllers.system import health, ping
from api.http.controllers.tokens import TokensController
from api.http.controllers.workflow import WorkflowController
from api.http.docs_page import OfflineSwagger, swagger_assets
from api.http.openapi import amend_document, document_records
from api.http.ui import TEMPLATE_CONFIG, ui_router
from domain.application.audit import LedgerDamaged
from domain.application.mapper import CorruptEvent
from domain.application.projector import Projector
from domain.application.service import FiveStar, UnknownBranch
from domain.model import records as r
from domain.model.rulebook import RulebookError

log = logging.getLogger("fivestar.api")


# ------------------------------------------------------------- problem details
def _from_http(exc: HTTPException) -> ProblemDetailsException:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
    detail = exc.detail or HTTPStatus(exc.status_code).phrase
    if exc.status_code == 413:
        detail = f"{detail}: the body is larger than 16 MB"
    return problem(exc.status_code, detail, headers=exc.headers, **extra)


_MAP: dict[type[Exception], Any] = {
    HTTPException: _from_http,
    Unauthorized: lambda exc: problem(401, str(exc), headers={"WWW-Authenticate": "Bearer"}),
    Forbidden: lambda exc: problem(403, str(exc)),
    UnknownBranch: lambda exc: problem(404, str(exc)),
    CorruptEvent: lambda exc: problem(500, f"the ledger is damaged: {exc}"),
    LedgerDamaged: lambda exc: problem(500, str(exc)),  # a tree with a leaf missing (verify)
    # a data file of rulebooks/ that a read judges by (parameters, standards) is broken: the
    # server's to mend; the message names the file and the key
    RulebookError: lambda exc: problem(503, f"parameters: {exc}"),
    # msgspec gives up on JSON nested deeper than the stack allows (Litestar lets it through)
    RecursionError: lambda exc: problem(400, "the body is nested too deeply"),
    UnicodeDecodeError: lambda exc: problem(400, f"the body is not UTF-8: {exc}"),
    IntegrityError: lambda exc: problem(
        503,
        "concurrent writes to the same branch; retry with the same ids",
        headers={"Retry-After": "1"},
    ),
    PersistenceError: lambda exc: problem(
        503, f"the store is unavailable: {exc}", headers={"Retry-After": "5"}
    ),
}


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    body = {"status": 500, "title": "Internal Server Error", "detail": "unexpected error"}
    return Response(body, status_code=500, media_type=PROBLEM_JSON)


# ------------------------------------------------------------------- OpenAPI
class _OpenAPIJson(JsonRenderPlugin):
    """The generated document, plus the record shapes as the body of ``POST /records``
    (the handler reads the raw body so that one bad record never fails the batch)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        _document_records_body(openapi_schema)
        return self.render_json(request, openapi_schema)


def _document_records_body(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for public in ("/ping", "/health"):
        if "get" in paths.get(public, {}):
            paths[public]["get"]["security"] = []
    amend_document(schema)
    operation = paths.get("/records", {}).get("post")
    if operation is None or "requestBody" in operation:
        return
    (record,), components = msgspec.json.schema_components(
        [r.AnyRecord], ref_template="#/components/schemas/{name}"
    )
    schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
    schema["components"]["schemas"]["Record"] = record
    document_records(schema["components"]["schemas"])
    ref = {"$ref": "#/components/schemas/Record"}
    # In an array each item is judged on its own, as an imported line: one that is not a
    # valid Record is refused in the 207 answer, not the request (ADR 0013).
    item = {"description": "a Record; anything else is refused on its own (207)"}
    many = {"type": "array", "maxItems": MAX_RECORDS, "items": item}
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [ref, many]}}},
    }


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="fivestar",
        version="1",
        description=(
            "Ledger and rating engine of Puyang's Five Star branch programme. Bearer tokens "
            "(`fivestar token issue`); problems are RFC 9457 problem details."
        ),
        path="/schema",
        render_plugins=[_OpenAPIJson(), OfflineSwagger(path=["/", "/swagger"])],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
        security=[{"bearer": []}],
        tags=[Tag(name=n) for n in ("records", "registry", "eligibility", "workflow")],
    )


# ------------------------------------------------------------------------ app
def create_app(
    db: str | None = None,
    *,
    project: bool = True,
    wait_seconds: float = 5.0,
    poll_interval: float = 0.05,
) -> Litestar:
    """The API over the store ``db`` (default FIVESTAR_DB or ./fivestar.db).

    ``project`` runs the projector thread inside this app (tests, a single process); the
    server passes False and runs one projector for all its workers. ``wait_seconds``
    bounds how long a read waits for ``min_position``."""
    svc = FiveStar(db)
    tokens = svc.token_store()
    projector = Projector(svc, poll_interval) if project else None

    def start() -> None:
        if projector is not None:
            projector.start()

    def stop() -> None:
        if projector is not None:
            projector.stop()
        svc.close()

    return Litestar(
        route_handlers=[
            ping,
            health,
            RecordsController,
            BranchesController,
            EligibilityController,
            WorkflowController,
            RulebooksController,
            TokensController,
            swagger_assets(),
            CasesController,
            LadderController,
            MechanismsController,
            ui_router(),  # the dashboard under /ui (ADR 0017)
            LedgerController,
        ],
        state=State(
            {"svc": svc, "tokens": tokens, "projector": projector, "wait_seconds": wait_seconds}
        ),
        dependencies=DEPENDENCIES,
        on_startup=[start],
        on_shutdown=[stop],
        plugins=[ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=_MAP))],
        exception_handlers={Exception: _unexpected},
        openapi_config=_openapi(),
        request_max_body_size=16 * 1024 * 1024,
        template_config=TEMPLATE_CONFIG,
        middleware=[DefineMiddleware(ExportMiddleware)],  # ?format=csv|xlsx on list endpoints
    )


# The projector ``fivestar serve`` runs in its own process: a web app built in that same
# process (``--workers 1``) wakes it after writes and reports it on /health.
SERVING_PROJECTOR: Projector | None = None


def app_from_environment() -> Litestar:
    """Factory for uvicorn's workers (``fivestar serve``): the store from FIVESTAR_DB, and
    no projector of its own (the serving process runs the one projector)."""
    app = create_app(os.environ.get("FIVESTAR_DB"), project=False)
    app.state.projector = SERVING_PROJECTOR
    return app
