"""Lists as spreadsheets: CSV (UTF-8 with a byte-order mark) and XLSX, with Chinese headers.

Officials hand spreadsheets upward; Excel opens a CSV as UTF-8 only when it starts with a
byte-order mark, and an XLSX keeps its header row frozen and its columns wide enough to read.
One table definition per list (eligibility, awards, rewards, priority, registry, history,
the dashboard's branch lists; the working mechanisms' lists in ``api.mechanism_sheets``)
serves the HTTP API (``?format=csv|xlsx`` or ``Accept``, through ``ExportMiddleware``), the
dashboard's download links and ``fivestar … --format csv|xlsx``.

Rows come in as plain JSON-shaped dicts (what the API serves), so every export says exactly
what the JSON says. Nothing here imports Litestar: the CLI uses it too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from api.mechanism_sheets import MECHANISM_TABLES
from api.sheet import Column, Table, get, yes

BOM = "\ufeff"
FORMATS = ("csv", "xlsx")
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LEVEL_ZH = {
    "township": "乡镇级",
    "county": "县级",
    "city": "市级",
    "province": "省级",
    "national": "全国",
}
KIND_ZH = {"village": "农村", "community": "社区"}
TIER_ZH = {"five_star": "连续三年五星", "four_star_or_above": "连续三年四星以上"}
# The Chinese name of each record type (the dashboard, `fivestar history`, the history sheet).
RECORD_TYPES = {
    "branch.registered": "支部登记",
    "branch.secretary_appointed": "书记任命",
    "incident.recorded": "违法违纪等事件",
    "incident.retracted": "事件撤销",
    "meeting.held": "组织生活（三会一课等）",
    "member.developed": "发展党员",
    "plan.set": "发展党员计划",
    "honor.granted": "表彰",
    "metric.reported": "指标上报",
    "criterion.attested": "条件认定",
    "designation.granted": "称号授予",
    "designation.revoked": "称号撤销",
    "weakness.designated": "软弱涣散认定",
    "weakness.lifted": "软弱涣散整顿摘帽",
    "rating.declared": "申报星级",
    "rating.recommended": "推荐星级",
    "rating.awarded": "授予星级",
    "rulebook.adopted": "采用评星标准",
    "activity.held": "活动开展（应急演练、敲门行动）",
    "linkage.reported": "党员联户上报",
    "grid.defined": "网格设置",
    "grid.retired": "网格撤销",
    "partner.joined": "共建单位加入",
    "partner.left": "共建单位退出",
    "cooperative.bound": "合作社绑定",
    "cooperative.unbound": "合作社解绑",
    "facility.reported": "设施上报",
    "staffing.reported": "社区工作者配备上报",
    "case.reported": "案件上报",
    "case.assigned": "案件派单",
    "case.escalated": "案件提级",
    "case.progressed": "案件办理进展",
    "case.resolved": "案件办结",
    "case.verified": "案件核查反馈",
    "problem.registered": "问题登记（台账）",
    "problem.resolved": "问题销号",
    "intervention.started": "整顿措施开始（派驻、整改整顿）",
    "intervention.ended": "整顿措施结束",
}


# The reward policy's benefits and entitlements (seed §7, 奖励政策) have no rulebook file.
BENEFIT_ZH = {
    "excellent_assessment": "年度考核等次确定为优秀",
    "priority_promotion": "优先晋升职级或职员等级",
    "exam_bonus_points": "定向考试录（聘）用享受加分政策",
    "county_commendation": "县级通报表扬",
    "leadership_selection_priority": "选拔进乡镇（街道）领导班子优先考虑",
    "awards_priority": "评优评先优先考虑",
    "deputy_recommendation_priority": "推荐“两代表一委员”优先考虑",
}


class ExportError(ValueError):
    """An export that cannot be made (unknown format or list)."""


# ------------------------------------------------------------------ cells
def _star_names(kind: str | None, stars: Iterable[str]) -> str:
    return "、".join(_star_name(s, kind) or s for s in stars)


def _kinds(kind: str | None) -> tuple[str, ...]:
    return (kind,) if kind in KIND_ZH else tuple(KIND_ZH)


def _star_name(star: str, kind: str | None) -> str | None:
    """The star's Chinese name for ``kind`` (either kind when None), or None."""
    from domain.model.vocabulary import star_name

    for k in _kinds(kind):
        name = star_name(k, star)
        if name != star:
            return name
    return None


def _star(star: str, kind: str | None) -> str:
    """``支部过硬星 branch_strong`` (the id alone when no kind names it)."""
    name = _star_name(star, kind)
    return f"{name} {star}" if name else star


NOT_RATED_ZH = "现行评星标准无此星"  # a stale award's star the rulebook in force lacks


@cache
def criterion_wordings(rulebook: str | None) -> dict[tuple[str, str, str], str]:
    """(kind, star, criterion) -> wording in ``rulebook`` (the base one when it cannot be
    read: a label never fails an export)."""
    from domain.model.rulebook import BASE_RULEBOOK, RulebookError, load_rulebook

    try:
        book = load_rulebook(rulebook or BASE_RULEBOOK)
    except (RulebookError, OSError):
        book = load_rulebook(BASE_RULEBOOK)
    out = {("", "", "exclusion"): book.exclusion.wording}
    for k in KIND_ZH:
        for s in book.stars(k):
            for c in s.criteria:
                out[(k, s.id, c.id)] = c.wording
    return out


def _wording(kind: str | None, star: str | None, criterion: str, rulebook: str | None) -> str:
    words = criterion_wordings(rulebook)
    if criterion == "exclusion":
        return words[("", "", "exclusion")]
    if criterion == "not_rated":
        return NOT_RATED_ZH
    keys = ((k, star or "", criterion) for k in _kinds(kind))
    return next((words[key] for key in keys if key in words), "")


def _criteria(
    rows: Iterable[dict[str, Any]], kind: str | None = None, rulebook: str | None = None
) -> str:
    """``生态宜居星 ecology_livable · sanitary_toilet_ratio 卫生户厕占比85%以上: 0.80 < 0.85``
    per criterion, worded by the rulebook that judged it."""
    out = []
    for c in rows:
        star = f"{_star(c['star'], kind)} · " if c.get("star") else ""
        wording = _wording(kind, c.get("star"), c["criterion"], rulebook)
        name = f"{c['criterion']} {wording}" if wording else c["criterion"]
        out.append(f"{star}{name}: {c.get('detail') or ''}")
    return "; ".join(out)


def _stars(kind: str | None, ids: Iterable[str]) -> str:
    return "; ".join(_star(s, kind) for s in ids)


def _flipped(row: dict[str, Any]) -> str:
    """A recompute change's flipped criteria, each worded by the rulebook that has it (the new
    one; the old one for a criterion the new one drops)."""
    return "; ".join(
        _criteria([f], row.get("kind"), row.get("from") if f.get("now") is None else row.get("to"))
        for f in row["flipped"]
    )


def record_type(kind: str | None) -> str:
    """``branch.registered 支部登记`` (the id alone for a type without a name)."""
    if not kind:
        return ""
    return f"{kind} {RECORD_TYPES[kind]}" if kind in RECORD_TYPES else kind


def _benefits(ids: Iterable[str]) -> str:
    return "; ".join(f"{b} {BENEFIT_ZH[b]}" if b in BENEFIT_ZH else b for b in ids)


def _nested(outer: str, inner: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: (row.get(outer) or {}).get(inner)


# ------------------------------------------------------------------ tables
BRANCH = Column("支部代码 branch", get("branch"), 12)
YEAR = Column("年度 year", get("year"), 8)

TABLES: dict[str, Table] = {
    "eligibility": Table(
        "评星资格 eligibility",
        (
            BRANCH,
            YEAR,
            Column("类型 kind", lambda r: KIND_ZH.get(r["kind"], r["kind"]), 8),
            Column("评星标准 rulebook", get("rulebook"), 22),
            Column("软弱涣散不参与评星 excluded", lambda r: yes(r["excluded"]), 12),
            Column("可评星数 stars", lambda r: len(r["eligible"]), 10),
            Column("可评星 eligible", lambda r: _star_names(r["kind"], r["eligible"]), 40),
            Column("可评星代码 eligible ids", lambda r: ",".join(r["eligible"]), 40),
            Column(
                "未达标条件 not met",
                lambda r: _criteria(
                    (c for c in r["criteria"] if not c["met"]), r["kind"], r["rulebook"]
                ),
                60,
            ),
            Column("排除说明 exclusion", lambda r: (r.get("exclusion") or {}).get("detail"), 40),
        ),
    ),
    "awards": Table(
        "授星 awards",
        (
            BRANCH,
            YEAR,
            Column("星级 level", get("level"), 8),
            Column("授星 stars", lambda r: _star_names(r.get("kind"), r["stars"]), 40),
            Column("星代码 star ids", lambda r: ",".join(r["stars"]), 40),
            Column("授予层级 by", lambda r: LEVEL_ZH.get(r["by"], r["by"]), 10),
            Column("授予日期 on", get("on"), 12, day=True),
            Column("证据已变待复核 stale", lambda r: yes(r["stale"]), 12),
            Column(
                "现未达标 now failing",
                lambda r: _criteria(r["now_failing"], r.get("kind"), r.get("rulebook")),
                60,
            ),
        ),
    ),
    "rewards": Table(
        "奖励 rewards",
        (
            BRANCH,
            YEAR,
            Column("星级 level", get("level"), 8),
            Column("授予层级 authority", lambda r: LEVEL_ZH.get(r["authority"], r["authority"])),
            Column("授予日期 on", get("on"), 12, day=True),
            Column("工作经费(元) funds_yuan", get("funds_yuan"), 14),
            Column("两委报酬增幅(%) pay_rise_pct", get("pay_rise_pct"), 14),
            Column("书记 secretary", _nested("secretary", "person"), 12),
            Column(
                "书记为公务员 civil_servant",
                lambda r: yes((r.get("secretary") or {}).get("civil_servant")),
                12,
            ),
            Column("书记待遇 benefits", lambda r: _benefits(r["secretary_benefits"]), 40),
        ),
    ),
    "priority": Table(
        "优先名单 priority",
        (
            BRANCH,
            Column("档次 tier", lambda r: TIER_ZH.get(r["tier"], r["tier"]), 18),
            Column("年度 years", lambda r: ",".join(map(str, r["years"])), 16),
            Column(
                "书记 secretaries",
                lambda r: "; ".join(f"{s['year']}:{s['person'] or '—'}" for s in r["secretaries"]),
                36,
            ),
            Column("书记有变动 secretary_changed", lambda r: yes(r["secretary_changed"]), 12),
            Column("优先事项 entitlements", lambda r: _benefits(r["entitlements"]), 60),
        ),
    ),
    "branches": Table(
        "支部 branches",
        (
            Column("支部代码 code", get("code"), 12),
            Column("名称 name", get("name"), 24),
            Column("类型 kind", lambda r: KIND_ZH.get(r["kind"], r["kind"]), 8),
            Column("县区 county", get("county"), 12),
            Column("乡镇 township", get("township"), 14),
            Column("户数 households", get("households"), 10),
            Column("人口 population", get("population"), 10),
            Column("登记日期 registered_on", get("registered_on"), 12, day=True),
        ),
    ),
    "history": Table(
        "记录 history",
        (
            Column("位置 position", get("position"), 10),
            Column("记录时间 recorded_at", get("recorded_at"), 28),
            Column("记录人 recorder", get("recorder"), 18),
            Column("类型 type", lambda r: record_type((r.get("record") or {}).get("type")), 30),
            Column("记录编号 id", _nested("record", "id"), 14),
            Column(
                "内容 record",
                lambda r: json.dumps(r.get("record"), ensure_ascii=False, sort_keys=True),
                80,
            ),
        ),
    ),
    "dashboard": Table(
        "支部列表 branches",
        (
            BRANCH,
            Column("名称 name", get("name"), 24),
            Column("县区 county", get("county"), 12),
            Column("乡镇 township", get("township"), 14),
            YEAR,
            Column("可评星数 eligible", get("eligible_level"), 10),
            Column("可评星 eligible stars", get("eligible_names"), 40),
            Column("已授星级 awarded", get("awarded_level"), 10),
            Column("证据已变待复核 stale", lambda r: yes(r.get("stale")), 12),
            Column("优先名单 priority", lambda r: TIER_ZH.get(r.get("priority") or "", ""), 18),
            Column("软弱涣散 excluded", lambda r: yes(r.get("excluded")), 10),
        ),
    ),
    "recompute": Table(
        "重算预览 recompute",
        (
            BRANCH,
            Column("县区 county", get("county"), 12),
            Column("乡镇 township", get("township"), 14),
            Column("现行标准 from", get("from"), 22),
            Column("新标准 to", get("to"), 22),
            Column("新增星 gained", lambda r: _stars(r.get("kind"), r["gained"]), 30),
            Column("失去星 lost", lambda r: _stars(r.get("kind"), r["lost"]), 30),
            Column("变化条件 flipped", _flipped, 60),
        ),
    ),
    **MECHANISM_TABLES,
}


def table(kind: str) -> Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise ExportError(f"no export for the list {kind!r}") from None


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes(value)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def cells(kind: str, rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The header and the body of ``kind``'s table for ``rows`` (JSON-shaped dicts)."""
    t = table(kind)
    if t.explode is not None:
        rows = [row for item in rows for row in t.explode(item)]
    return [c.header for c in t.columns], [[_cell(c.value(r)) for c in t.columns] for r in rows]


# ---------------------------------------------------------------- writers
def to_csv(kind: str, rows: Iterable[dict[str, Any]]) -> bytes:
    header, body = cells(kind, rows)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue().encode("utf-8")


def to_xlsx(kind: str, rows: Iterable[dict[str, Any]]) -> bytes:
    """One sheet: bold, frozen header row, an autofilter and column widths."""
    import xlsxwriter

    t = table(kind)
    header, body = cells(kind, rows)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet(_sheet_name(t.title))
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "text_wrap": True})
    day_format = book.add_format({"num_format": "yyyy-mm-dd"})
    days = {col for col, column in enumerate(t.columns) if column.day}
    for col, (column, text) in enumerate(zip(t.columns, header, strict=True)):
        sheet.set_column(col, col, column.width)
        sheet.write_string(0, col, text, bold)
    for row_no, row in enumerate(body, 1):
        for col, value in enumerate(row):
            day = _day(value) if col in days else None
            if day is not None:
                sheet.write_datetime(row_no, col, day, day_format)
            elif isinstance(value, int | float):
                sheet.write_number(row_no, col, value)
            else:
                sheet.write_string(row_no, col, str(value))
    sheet.freeze_panes(1, 0)
    if body:
        sheet.autofilter(0, 0, len(body), len(header) - 1)
    book.close()
    return buffer.getvalue()


def _day(value: Any) -> datetime | None:
    """An ISO date as the datetime XlsxWriter writes as a date cell; None for anything else
    (an empty cell, a date before Excel's 1900 epoch stays text)."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day) if day and day.year >= 1900 else None


def _sheet_name(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31]


def render(kind: str, rows: Iterable[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(kind, rows)
    if fmt == "xlsx":
        return to_xlsx(kind, rows)
    raise ExportError(f"format: {fmt!r} is not one of csv, xlsx, json")


def filename(kind: str, fmt: str, year: int | str | None = None) -> str:
    return f"{kind}-{year}.{fmt}" if year else f"{kind}.{fmt}"


def disposition(name: str) -> str:
    return f'attachment; filename="{name}"'


# ------------------------------------------------------- API negotiation
_LISTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/eligibility/?$"), "eligibility"),
    (re.compile(r"^/awards/?$"), "awards"),
    (re.compile(r"^/rewards/?$"), "rewards"),
    (re.compile(r"^/priority/?$"), "priority"),
    (re.compile(r"^/branches/?$"), "branches"),
    (re.compile(r"^/branches/[^/]+/history/?$"), "history"),
    (re.compile(r"^/compliance/?$"), "compliance"),
    (re.compile(r"^/cases/?$"), "cases"),
    (re.compile(r"^/ladder/?$"), "ladder"),
    (re.compile(r"^/staffing/?$"), "staffing"),
)


EXPORTED = (
    "/eligibility, /awards, /rewards, /priority, /branches, /branches/{code}/history, "
    "/compliance, /cases, /ladder, /staffing"
)


def wanted_format(query: dict[str, list[str]], accept: str) -> str | None:
    """csv, xlsx, None (JSON) from ``?format=`` (first) or the Accept header."""
    asked = query.get("format")
    if asked:
        value = asked[0].strip().lower()
        if value == "json":
            return None
        if value not in FORMATS:
            raise ExportError(f"format: {asked[0]!r} is not one of csv, xlsx, json")
        return value
    accept = accept.lower()
    if "text/csv" in accept:
        return "csv"
    if MEDIA["xlsx"] in accept:
        return "xlsx"
    return None


def list_kind(path: str) -> str | None:
    for pattern, kind in _LISTS:
        if pattern.match(path):
            return kind
    return None


def _list_rows(kind: str, data: Any) -> list[dict[str, Any]]:
    if kind == "branches" and isinstance(data, dict):
        return list(data.get("items", []))
    return list(data) if isinstance(data, list) else []


class ExportMiddleware:
    """Turns the JSON answer of a list endpoint into CSV or XLSX when asked.

    The handlers stay as they are (the same jurisdiction filter, the same rows): the JSON
    they produce is converted, so an export can never say more than the JSON does."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = list_kind(scope.get("path", "")) if scope.get("type") == "http" else None
        if kind is None and _unlisted_spreadsheet(scope):
            detail = f"format: {scope['path']} has no spreadsheet; lists with one: {EXPORTED}"
            await _send_problem(send, 400, detail)
            return
        if kind is None or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
        try:
            fmt = wanted_format(query, accept)
        except ExportError as exc:
            await _send_problem(send, 400, str(exc))
            return
        if fmt is None:
            await self.app(scope, receive, send)
            return
        await self._convert(scope, receive, send, kind, fmt, query)

    async def _convert(
        self, scope: Any, receive: Any, send: Any, kind: str, fmt: str, query: dict[str, Any]
    ) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(scope, receive, capture)
        headers = dict(start.get("headers") or [])
        body = b"".join(chunks)
        if start.get("status") != 200 or not headers.get(b"content-type", b"").startswith(
            b"application/json"
        ):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        content = render(kind, _list_rows(kind, json.loads(body)), fmt)
        name = filename(kind, fmt, (query.get("year") or [None])[0])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", MEDIA[fmt].encode()),
                    (b"content-length", str(len(content)).encode()),
                    (b"content-disposition", disposition(name).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _unlisted_spreadsheet(scope: Any) -> bool:
    """A GET of the API (not the dashboard, which exports its own lists) asking
    ``?format=csv|xlsx`` of a path with no export: answering JSON would hand an official a
    file of JSON named like a spreadsheet."""
    if b"format" not in scope.get("query_string", b""):  # every request passes here
        return False
    path = scope.get("path", "")
    if scope.get("type") != "http" or scope.get("method") != "GET" or path.startswith("/ui"):
        return False
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("format") or [""]
    return asked[0].strip().lower() in FORMATS


async def _send_problem(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"status": status, "title": "Bad Request", "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
