"""The dashboard's pages under ``/ui``: sign-in, overview, lists, branch, history, recompute.

Server-rendered Jinja templates and plain HTML forms (htmx, vendored, only refreshes the
history timeline in place). Every page reads through the same queries and the same
``Principal`` as the API, so a page shows exactly what the signed-in token may read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from anyio import to_thread
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from api import exports
from api.http.answers import answers
from api.http.auth import (
    PERMISSION,
    Forbidden,
    Principal,
    Unauthorized,
    authenticate,
    authorize,
)
from api.http.controllers.common import locate
from api.http.ui import chart, labels, sections
from api.http.ui import overview as ov
from api.http.ui.session import (
    COOKIE,
    COOKIE_PATH,
    LIFETIME,
    PRE_COOKIE,
    Session,
    login_nonce,
    login_nonce_ok,
    secure_request,
)
from domain.application.service import FiveStar, UnknownBranch
from domain.model.rulebook import RulebookError, available_rulebooks, load_rulebook

YearQ = Annotated[int | None, QueryParameter(ge=2000, le=2100)]
# Forms send empty fields: "" means "no condition" (see _blank).
# No control characters, as in the API (PostgreSQL text cannot hold NUL: a 503 otherwise).
_PLAIN = r"^[^\x00-\x1f\x7f]*$"
TextQ = Annotated[str | None, QueryParameter(max_length=200, pattern=_PLAIN)]
LevelQ = Annotated[int | None, QueryParameter(ge=0, le=5)]
FlagQ = Annotated[bool, QueryParameter()]
CodeP = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=_PLAIN)]
FormatQ = Annotated[str | None, QueryParameter(pattern=r"^(csv|xlsx)$")]


class NotSignedIn(Exception):
    """No valid session: the page sends the reader to the sign-in form."""


# ------------------------------------------------------------------ the guard
async def ui_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The session cookie's token, looked up now (role, jurisdiction, revocation), and the
    handler's permission; the principal and session are left in ``connection.state``."""
    session = Session.from_cookie(connection.cookies.get(COOKIE))
    if session is None:
        raise NotSignedIn
    principal = await to_thread.run_sync(session.principal, connection.app.state.tokens)
    if principal is None:
        raise NotSignedIn
    authorize(principal, handler.opt.get(PERMISSION, "read"))
    connection.state.principal = principal
    connection.state.session = session


def _svc(request: Request[Any, Any, Any]) -> FiveStar:
    svc: FiveStar = request.app.state.svc
    return svc


def _context(request: Request[Any, Any, Any], title: str, **extra: Any) -> dict[str, Any]:
    principal: Principal = request.state.principal
    return {
        "title": title,
        "principal": principal,
        "rights": principal.rights,
        "role_zh": labels.ROLES.get(principal.role, principal.role),
        "csrf": request.state.session.csrf,
        "labels": labels,
        "path": request.url.path,
        **extra,
    }


def _url(path: str, **params: Any) -> str:
    kept = {k: v for k, v in params.items() if v is not None and v is not False and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def _safe(name: str) -> str:
    """A rulebook id fit for a file name in a Content-Disposition header."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _download(kind: str, rows: list[dict[str, Any]], fmt: str, year: Any = None) -> Response[bytes]:
    content = exports.render(kind, rows, fmt)
    return Response(
        content,
        media_type=exports.MEDIA[fmt].split(";")[0],  # Litestar adds the charset
        headers={"Content-Disposition": exports.disposition(exports.filename(kind, fmt, year))},
    )


def _year(svc: FiveStar, asked: int | None) -> tuple[int, list[int]]:
    known = ov.years(svc)
    if asked is not None:
        return asked, known
    return (known[-1] if known else svc.today().year), known


class HiddenBranch(LookupError):
    """A branch this token may not read, or one that does not exist: one page for both."""


def _branch_rows(
    svc: FiveStar, principal: Principal, year: int, county: str | None, township: str | None
) -> list[dict[str, Any]]:
    """``ov.branch_rows`` once per read-model position: the overview, the branch list and
    their downloads ask for the same rows again and again between writes, and reading and
    judging every branch of a 1,500-branch year is most of a page's time (the JSON lists are
    answered from the same per-position cache, ADR 0023). Kept as JSON, decoded per page."""
    scope = principal.read_scope.narrow(county, township)
    key = ("ui-rows", year, scope)  # everything the rows depend on besides the position

    def compute() -> list[dict[str, Any]]:
        return ov.branch_rows(svc, principal, year, county, township)

    return msgspec.json.decode(answers(svc).answer(svc, key, compute).json)


class _Summary(msgspec.Struct):
    total: ov.Counts
    groups: list[ov.Counts]


def _summary(
    svc: FiveStar, principal: Principal, year: int, county: str | None, township: str | None
) -> tuple[ov.Counts, list[ov.Counts]]:
    """The overview's counts once per read-model position (as ``_branch_rows``): decoding
    every row again to count them was most of a repeated overview's time."""
    key = ("ui-summary", year, principal.read_scope.narrow(county, township), county, township)

    def compute() -> _Summary:
        rows = _branch_rows(svc, principal, year, county, township)
        return _Summary(*ov.summarize(rows, county, township))

    found = msgspec.json.decode(answers(svc).answer(svc, key, compute).json, type=_Summary)
    return found.total, found.groups


def _forbid_outside(principal: Principal, code: str, place: tuple[str, str] | None) -> None:
    """Unknown and outside the jurisdiction answer alike for a scoped token, as in the API
    (ADR 0013), so that the dashboard does not tell which codes exist elsewhere."""
    outside = place is not None and not principal.read_scope.covers(place[0], place[1], code)
    if (place is None and not principal.read_scope.everything) or outside:
        raise HiddenBranch(principal.hidden(code))
    if place is None:
        raise UnknownBranch(code)


# ----------------------------------------------------------------- sign-in/out
class SignInController(Controller):
    """The only pages without a session."""

    path = "/ui"
    include_in_schema = False

    @get("/", sync_to_thread=False)
    def home(self) -> Redirect:
        return Redirect("/ui/overview")

    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request[Any, Any, Any], next: TextQ = None) -> Template:
        nonce = login_nonce()
        response = Template(
            "login.html",
            context={
                "title": "登录 Sign in",
                "nonce": nonce,
                "next": _safe_next(next),
                "error": None,
            },
        )
        response.set_cookie(_cookie(request, PRE_COOKIE, nonce, 3600, path="/ui/login"))
        return response

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        token = str(form.get("token", "")).strip()
        nonce_ok = login_nonce_ok(request.cookies.get(PRE_COOKIE), str(form.get("nonce", "")))
        error = None
        if not nonce_ok:
            error = "表单已过期，请重试 (the sign-in form expired; try again)"
        elif not token:
            error = "请输入令牌 (enter an API token)"
        else:
            try:
                await to_thread.run_sync(authenticate, request.app.state.tokens, f"Bearer {token}")
            except Unauthorized:
                error = "令牌无效或已吊销 (unknown or revoked token)"
        if error is not None:
            nonce = login_nonce()
            response: Response[Any] = Template(
                "login.html",
                context={
                    "title": "登录 Sign in",
                    "nonce": nonce,
                    "next": _safe_next(str(form.get("next", ""))),
                    "error": error,
                },
                status_code=401,
            )
            response.set_cookie(_cookie(request, PRE_COOKIE, nonce, 3600, path="/ui/login"))
            return response
        session = Session.start(token)
        response = Redirect(
            _safe_next(str(form.get("next", ""))) or "/ui/overview", status_code=303
        )
        response.set_cookie(_cookie(request, COOKIE, session.cookie_value(), LIFETIME))
        response.delete_cookie(PRE_COOKIE, path="/ui/login")
        return response


def _safe_next(value: str | None) -> str:
    """Only a path of this dashboard (never another site)."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def _cookie(
    request: Request[Any, Any, Any], name: str, value: str, max_age: int, path: str = COOKIE_PATH
) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure_request(request.url.scheme, request.headers.get("x-forwarded-proto")),
    )


# ----------------------------------------------------------------------- pages
class DashboardController(Controller):
    path = "/ui"
    guards = [ui_guard]  # noqa: RUF012
    include_in_schema = False

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        if not request.state.session.csrf_ok(form.get("csrf")):
            raise Forbidden("CSRF 校验失败 (the form's CSRF token does not match the session)")
        response = Redirect("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response

    @get("/overview", sync_to_thread=True, opt={PERMISSION: "read"})
    def overview(
        self,
        request: Request[Any, Any, Any],
        year: YearQ = None,
        county: TextQ = None,
        township: TextQ = None,
    ) -> Template:
        svc, principal = _svc(request), request.state.principal
        county, township = _blank(county), _blank(township)
        year, known = _year(svc, year)
        rows = _branch_rows(svc, principal, year, county, township) if township else []
        total, groups = _summary(svc, principal, year, county, township)

        def link(g: ov.Counts, what: str, level: int) -> str:
            return _url(
                "/ui/list", year=year, county=g.county, township=g.township, **{what: level}
            )

        svg = chart.stacked_bars(groups, link)
        return Template(
            "overview.html",
            context=_context(
                request,
                f"{year}年度星级总览 Overview",
                year=year,
                years=known,
                county=county,
                township=township,
                total=total,
                groups=groups,
                levels=ov.LEVELS,
                chart=svg,
                url=_url,
                branches=rows,
            ),
        )

    @get("/list", sync_to_thread=True, opt={PERMISSION: "read"})
    def branch_list(
        self,
        request: Request[Any, Any, Any],
        year: YearQ = None,
        county: TextQ = None,
        township: TextQ = None,
        eligible: LevelQ = None,
        awarded: LevelQ = None,
        stale: FlagQ = False,
        priority: FlagQ = False,
        excluded: FlagQ = False,
        format: FormatQ = None,
    ) -> Template | Response[bytes]:
        svc, principal = _svc(request), request.state.principal
        county, township = _blank(county), _blank(township)
        year, known = _year(svc, year)
        keep = ov.Filter(eligible, awarded, stale, priority, excluded)
        rows = [r for r in _branch_rows(svc, principal, year, county, township) if keep.keeps(r)]
        if format:
            return _download("dashboard", rows, format, year)
        query = {
            "year": year,
            "county": county,
            "township": township,
            "eligible": eligible,
            "awarded": awarded,
            "stale": stale and 1,
            "priority": priority and 1,
            "excluded": excluded and 1,
        }
        return Template(
            "list.html",
            context=_context(
                request,
                f"{year}年度支部列表 Branches",
                year=year,
                years=known,
                county=county,
                township=township,
                rows=rows,
                described=keep.describe(),
                csv_url=_url("/ui/list", **query, format="csv"),
                xlsx_url=_url("/ui/list", **query, format="xlsx"),
                url=_url,
            ),
        )

    @get("/branches/{code:str}", sync_to_thread=True, opt={PERMISSION: "read"})
    def branch(self, request: Request[Any, Any, Any], code: CodeP, year: YearQ = None) -> Template:
        svc, principal = _svc(request), request.state.principal
        _forbid_outside(principal, code, locate(svc, code))
        info = svc.get_branch(code)
        awards = ov.branch_awards(svc, code)
        years: list[dict[str, Any]] = []
        for known in ov.branch_years(svc, code):
            results = svc.eligibility(known, branch=code)
            if results:
                years.append({"year": known, "result": results[0], "award": awards.get(known)})
        newest: int | None = years[0]["year"] if years else None
        open_year = year if year in {y["year"] for y in years} else newest
        return Template(
            "branch.html",
            context=_context(
                request,
                f"支部 {code}",
                code=code,
                info=info,
                years=years,
                open_year=open_year,
                sections=sections.available(svc, code, newest) if newest else [],
                url=_url,
            ),
        )

    @get("/branches/{code:str}/history", sync_to_thread=True, opt={PERMISSION: "history"})
    def history(
        self,
        request: Request[Any, Any, Any],
        code: CodeP,
        type: TextQ = None,
        as_of: TextQ = None,
        format: FormatQ = None,
    ) -> Template | Response[bytes]:
        svc, principal = _svc(request), request.state.principal
        type, as_of = _blank(type), _blank(as_of)
        _forbid_outside(principal, code, locate(svc, code))
        moment, as_of_error = _parse_as_of(as_of)
        if as_of_error and format:  # a download is never the whole history by mistake
            raise ValidationException(detail=as_of_error)
        # an unreadable "as of" shows its error and no records: the whole history under it
        # would read as the branch's records as of the time the user meant
        entries = [] if as_of_error else svc.history(code, moment)
        kinds = sorted({e.record["type"] for e in entries})
        shown = [e for e in entries if type is None or e.record["type"] == type]
        rows = [
            {
                "position": e.position,
                "recorded_at": e.recorded_at.isoformat(),
                "recorder": e.recorder,
                "record": e.record,
            }
            for e in shown
        ]
        if format:
            return _download("history", rows, format, code)
        template = "history_timeline.html" if request.headers.get("hx-request") else "history.html"
        query = {"type": type, "as_of": as_of}
        return Template(
            template,
            context=_context(
                request,
                f"支部 {code} 记录 History",
                code=code,
                entries=rows,
                kinds=kinds,
                kind=type,
                as_of=as_of or "",
                as_of_error=as_of_error,
                csv_url=_url(f"/ui/branches/{code}/history", **query, format="csv"),
                xlsx_url=_url(f"/ui/branches/{code}/history", **query, format="xlsx"),
            ),
        )

    @get("/recompute", sync_to_thread=True, opt={PERMISSION: "recompute"})
    def recompute(
        self,
        request: Request[Any, Any, Any],
        year: YearQ = None,
        rulebook: TextQ = None,
        format: FormatQ = None,
        adopted: FlagQ = False,
    ) -> Template | Response[bytes]:
        svc, rulebook = _svc(request), _blank(rulebook)
        year, known = _year(svc, year)
        report, error = None, None
        if rulebook:
            try:
                load_rulebook(rulebook)
                report = svc.recompute(year, rulebook)
            except RulebookError as exc:
                error = f"评星标准无效 rulebook: {exc}"
        if format and report is not None:
            worded = [{**c, "from": report["from"], "to": report["to"]} for c in report["changes"]]
            return _download("recompute", worded, format, f"{year}-{_safe(report['to'])}")
        return Template(
            "recompute.html",
            context=_context(
                request,
                "重算预览 Recompute preview",
                year=year,
                years=known,
                rulebooks=available_rulebooks(),
                in_force=svc.rulebooks_in_force(),
                rulebook=rulebook,
                report=report,
                error=error,
                adopted=adopted,
                url=_url,
            ),
            status_code=422 if error else 200,
        )

    @post("/recompute/adopt", status_code=303, opt={PERMISSION: "admin"})
    async def adopt(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        if not request.state.session.csrf_ok(form.get("csrf")):
            raise Forbidden("CSRF 校验失败 (the form's CSRF token does not match the session)")
        principal: Principal = request.state.principal
        refusal = principal.refuse_adopt()  # as POST /recompute: province-wide admin only
        if refusal:
            raise Forbidden(f"不能采用评星标准 (may not adopt): {refusal}")
        rulebook, reason = str(form.get("rulebook", "")), str(form.get("reason", "")).strip()
        try:
            year = int(str(form.get("year", "")))
        except ValueError:
            year = 0
        back = _url("/ui/recompute", year=year or None, rulebook=rulebook or None)
        problem = _adoption_problem(year, rulebook, reason)
        if problem:
            return Template(
                "message.html",
                context=_context(request, "未采用 Not adopted", message=problem, back=back),
                status_code=422,
            )
        await to_thread.run_sync(_adopt, request, year, rulebook, reason, principal.recorder)
        return Redirect(
            _url("/ui/recompute", year=year, rulebook=rulebook, adopted=1), status_code=303
        )


def _adoption_problem(year: int, rulebook: str, reason: str) -> str | None:
    if not 2000 <= year <= 2100:
        return "年度无效 (year: 2000-2100)"
    if not reason:
        return "采用需要说明理由 (an adoption needs a reason)"
    if len(reason) > 2000:
        return "理由过长 (reason: at most 2,000 characters)"
    try:
        load_rulebook(rulebook)
    except RulebookError as exc:
        return f"评星标准无效 rulebook: {exc}"
    return None


def _adopt(request: Request[Any, Any, Any], year: int, rulebook: str, reason: str, by: str) -> None:
    """As ``POST /recompute`` with ``adopt``: record the adoption and wake the projector."""
    svc = _svc(request)
    svc.adopt(year, rulebook, reason, by)
    projector = request.app.state.projector
    if projector is not None:
        projector.wake()


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _parse_as_of(text: str | None) -> tuple[datetime | None, str | None]:
    if not text:
        return None, None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, f"“截至”不是 ISO 8601 时间 (as_of: not an ISO 8601 timestamp: {text!r})"
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)), None
