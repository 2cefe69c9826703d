"""Spreadsheets of the working mechanisms' lists (mechanisms.md §2-§4): compliance, cases,
the ladder and staffing, with Chinese headers and labels beside the ids.

A compliance answer is one object per branch holding every requirement; its sheet has a row
per branch and requirement, which is what an official filters on in Excel ("every branch
that missed the theme day"). The other lists are a row per answer item as served.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from api.sheet import Column, Table, get, joined, labelled, yes
from domain.model.cases import BREACH_LABELS, CATEGORY_LABELS, LEVEL_LABELS, STATE_LABELS
from domain.model.compliance import LABELS as REQUIREMENT_LABELS
from domain.model.ladder import MEASURE_LABELS

STATUS_LABELS = {"met": "达标", "missed": "未达标", "pending": "进行中"}
KIND_LABELS = {"village": "农村", "community": "社区"}


def _requirements(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per requirement of a branch's compliance, the branch's fields beside it."""
    outer = {k: v for k, v in item.items() if k != "requirements"}
    for requirement in item.get("requirements") or ():
        yield {**outer, **requirement}


def _requirement_label(row: dict[str, Any]) -> str:
    rid = str(row.get("requirement"))
    found = REQUIREMENT_LABELS.get(rid)
    return found[0] if found else rid


def _breaches(row: dict[str, Any]) -> str:
    """Each stage's missed time limits, by level: ``乡镇处理: 签收超时``. The limit's days
    depend on the limits file in force, which the sheet does not carry: the JSON's
    ``limits`` column names it."""
    parts = []
    for stage in row.get("stages") or ():
        level = LEVEL_LABELS.get(stage.get("level"), stage.get("level"))
        for breach in stage.get("breaches") or ():
            label = BREACH_LABELS.get(breach, breach).replace("{n}天", "")
            parts.append(f"{level}: {label}")
    return "; ".join(parts)


def _active(row: dict[str, Any]) -> str:
    active = row.get("active")
    if not active:
        return ""
    measure = MEASURE_LABELS.get(active["measure"], active["measure"])
    ended = " (已到期 expired)" if active.get("expired") else ""
    return f"{measure} {active['intervention']} 至 {active['until']}{ended}"


BRANCH = Column("支部代码 branch", get("branch"), 12)
ON = Column("判定日 on", get("on"), 12, day=True)
EVIDENCE = Column("证据记录 evidence", joined("evidence"), 40)

MECHANISM_TABLES: dict[str, Table] = {
    "compliance": Table(
        "工作机制落实 compliance",
        (
            BRANCH,
            Column("年度 year", get("year"), 8),
            ON,
            Column("类型 kind", labelled("kind", KIND_LABELS), 8),
            Column("要求 requirement", _requirement_label, 16),
            Column("要求代码 requirement id", get("requirement"), 26),
            Column("状态 status", labelled("status", STATUS_LABELS), 10),
            Column("应有 due", get("due"), 8),
            Column("已有 held", get("held"), 8),
            Column("缺少 missing", joined("missing", "; "), 40),
            Column("提示 warnings", joined("warnings", "; "), 40),
            EVIDENCE,
        ),
        explode=_requirements,
    ),
    "cases": Table(
        "案件 cases",
        (
            BRANCH,
            Column("案件 case", get("case"), 14),
            Column("类别 category", labelled("category", CATEGORY_LABELS), 18),
            Column("类别代码 category id", get("category"), 16),
            Column("发生日期 occurred_on", get("occurred_on"), 12, day=True),
            Column("报告日期 reported_on", get("reported_on"), 12, day=True),
            Column("迟报 reported_late", lambda r: yes(r.get("reported_late")), 8),
            Column("关联事件 incident", get("incident"), 12),
            Column("状态 state", labelled("state", STATE_LABELS), 10),
            Column("办理层级 level", labelled("level", LEVEL_LABELS), 10),
            Column("超时环节 breaches", _breaches, 40),
            Column("按期办结 within_target", lambda r: yes(r.get("within_target")), 10),
            Column("逾期 overdue", lambda r: yes(r.get("overdue")), 8),
            Column("时限依据 limits", get("limits"), 12),
            EVIDENCE,
        ),
    ),
    "ladder": Table(
        "整顿阶梯 ladder",
        (
            BRANCH,
            ON,
            Column("需要措施 required", labelled("required", MEASURE_LABELS), 22),
            Column("措施代码 required id", get("required"), 16),
            Column("原因 reasons", joined("reasons", "; "), 40),
            Column("未解决问题领域 open_areas", joined("open_areas"), 30),
            Column("逾期问题 overdue", joined("overdue"), 20),
            Column("现行措施 active", _active, 40),
            Column("措施不足 shortfall", lambda r: yes(r.get("shortfall")), 10),
            Column("应列软弱涣散 listing_required", lambda r: yes(r.get("listing_required")), 12),
            Column("已列入 listed", lambda r: yes(r.get("listed")), 8),
            EVIDENCE,
        ),
    ),
    "staffing": Table(
        "社区工作者 staffing",
        (
            Column("县区 county", get("county"), 12),
            Column("年度 year", get("year"), 8),
            Column("社区数 communities", get("communities"), 10),
            Column("社区工作者 workers", get("workers"), 10),
            Column("城镇人口 urban_population", get("urban_population"), 14),
            Column("每万人 per_10k", get("per_10k"), 10),
            Column("达到配备比例 meets_ratio", lambda r: yes(r.get("meets_ratio")), 12),
            Column("报酬下限(元) wage_floor", get("wage_floor"), 14),
            Column("低于下限 below_wage", joined("below_wage"), 30),
            Column("未参保 without_insurance", joined("without_insurance"), 30),
            Column("未报告 unreported", joined("unreported"), 30),
        ),
    ),
}
