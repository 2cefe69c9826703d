"""Chinese labels for the ids people read on the dashboard (the ids stay beside them)."""

from __future__ import annotations

from api.exports import RECORD_TYPES, criterion_wordings
from domain.model.vocabulary import star_name

MEETING_KINDS = {
    "branch_committee": "支委会",
    "party_congress": "党员大会",
    "party_group": "党小组会",
    "party_lesson": "党课",
    "theme_day": "主题党日",
    "org_life": "组织生活会",
    "two_committee_briefing": "两委联席会",
}
ROLES = {
    "recorder": "记录员",
    "township": "乡镇",
    "county": "县区",
    "city": "市",
    "province": "省",
    "auditor": "审计",
    "service": "服务账号",
    "admin": "管理员",
}
LEVELS = {
    "township": "乡镇级",
    "county": "县级",
    "city": "市级",
    "province": "省级",
    "national": "全国",
}
KINDS = {"village": "农村", "community": "社区"}
TIERS = {"five_star": "连续三年五星", "four_star_or_above": "连续三年四星以上"}


__all__ = ["RECORD_TYPES"]  # kept in api.exports: the spreadsheets and the CLI use it too


def record_type(kind: str) -> str:
    return RECORD_TYPES.get(kind, kind)


def star(kind: str, star_id: str | None) -> str:
    return star_name(kind, star_id) if star_id else "排除"


def criterion(
    kind: str, star_id: str | None, criterion_id: str, rulebook: str | None = None
) -> str:
    """The Chinese wording of a criterion in the rulebook it was judged under (``rulebook``;
    the base one when not given), '' when it has none: a revision rewords thresholds."""
    if criterion_id == "exclusion":
        return "软弱涣散党组织不参与星级评定"
    return criterion_wordings(rulebook).get((kind, star_id or "", criterion_id), "")


def stars(kind: str) -> list[str]:
    """The kind's star ids in rules.md's canonical order."""
    from domain.model.vocabulary import vocabulary

    return list(vocabulary(kind).stars)


def any_star(star_id: str) -> str:
    """A star's Chinese name whatever the kind (recompute reports carry no kind)."""
    for kind in ("village", "community"):
        name = star_name(kind, star_id)
        if name != star_id:
            return name
    return star_id
