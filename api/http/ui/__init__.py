"""The web dashboard under ``/ui`` (issue 14, ADR 0017): register ``UI_ROUTER`` and
``TEMPLATE_CONFIG`` on the Litestar app; nothing else of the app changes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.http.auth import Forbidden
from api.http.ui.pages import DashboardController, HiddenBranch, NotSignedIn, SignInController
from domain.application.service import UnknownBranch
from domain.model.rulebook import RulebookError

HERE = Path(__file__).resolve().parent
log = logging.getLogger("fivestar.ui")

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATE_CONFIG = TemplateConfig(instance=JinjaTemplateEngine.from_environment(_env))


def _page(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Template:
    return Template(
        "error.html",
        context={"title": title, "message": message, "status": status},
        status_code=status,
        headers=headers,
    )


def _not_signed_in(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/ui/overview"
    from urllib.parse import urlencode

    return Redirect(f"/ui/login?{urlencode({'next': target})}", status_code=303)


def _forbidden(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _page(403, "无权查看 Forbidden", str(exc))


def _unknown(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _page(404, "未找到 Not found", str(exc))


def _http(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if isinstance(exc.extra, list):  # validation: name each parameter and what was wrong
        detail = "; ".join(f"{e.get('key')}: {e.get('message')}" for e in exc.extra)
    return _page(exc.status_code, f"请求有误 Error {exc.status_code}", str(detail))


def _parameters(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A broken data file of ``rulebooks/`` (parameters, standards): named, for the server's
    keeper to mend, as the API's 503 does."""
    return _page(503, "参数文件有误 Parameters file broken", str(exc))


def _store(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The store is away (or refused us, or two writes met): a 503 page, as the API answers
    503 problem details; without it a page answered the API's JSON (ADR 0022)."""
    if isinstance(exc, IntegrityError):
        message, retry = "concurrent writes to the same branch; try again", "1"
    else:
        message, retry = f"{exc}; 请稍后重试 (try again shortly)", "5"
    return _page(503, "存储暂不可用 Store unavailable", message, {"Retry-After": retry})


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return _page(500, "服务器错误 Server error", "unexpected error (logged)")


def ui_router() -> Router:
    """A fresh router per app (tests build many apps in one process)."""
    return Router(
        path="/",
        route_handlers=[
            SignInController,
            DashboardController,
            create_static_files_router(
                path="/ui/static", directories=[HERE / "static"], include_in_schema=False
            ),
        ],
        exception_handlers={
            NotSignedIn: _not_signed_in,
            Forbidden: _forbidden,
            UnknownBranch: _unknown,
            HiddenBranch: _unknown,
            HTTPException: _http,
            RulebookError: _parameters,
            PersistenceError: _store,
            Exception: _unexpected,
        },
        include_in_schema=False,
    )


__all__ = ["TEMPLATE_CONFIG", "ui_router"]
