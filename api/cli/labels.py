"""Chinese wording beside every id people read: stars, criteria, benefits, levels, tiers.

Stars and criteria are worded by the rulebooks themselves (``name`` and ``wording`` in
``rulebooks/*.toml``): a rulebook that rewords a criterion rewords the output. Benefits and
entitlements of the reward policy (seed §7, 奖励政策) have no rulebook file of their own; their
wording is the seed's, quoted in ``api.exports`` (the spreadsheets use it too).
"""

from __future__ import annotations

import contextlib
from functools import cache

from api.exports import BENEFIT_ZH, NOT_RATED_ZH
from domain.model.rulebook import BASE_RULEBOOK, KINDS, RulebookError, available_rulebooks
from domain.model.rulebook import load_rulebook as _load

LEVEL_ZH = {"township": "乡镇（街道）", "county": "县级", "city": "市级", "province": "省级"}
TIER_ZH = {"five_star": "连续三年五星", "four_star_or_above": "连续三年四星以上"}


@cache
def _books(first: str | None) -> tuple[str, ...]:
    """Rulebook ids to look a wording up in: ``first``, the base one, then all others."""
    order = [b for b in (first, BASE_RULEBOOK) if b]
    with contextlib.suppress(OSError):
        order += available_rulebooks()
    return tuple(dict.fromkeys(order))


def _kinds(kind: str | None) -> tuple[str, ...]:
    return (kind,) if kind in KINDS else KINDS


@cache
def star_zh(star: str, kind: str | None = None, rulebook: str | None = None) -> str:
    """支部过硬星 for ``branch_strong``; ``""`` when no rulebook knows the id."""
    for book_id in _books(rulebook):
        try:
            book = _load(book_id)
        except RulebookError:
            continue
        for k in _kinds(kind):
            for s in book.stars(k):
                if s.id == star:
                    return s.name
    return ""


@cache
def criterion_zh(
    criterion: str, star: str | None, kind: str | None = None, rulebook: str | None = None
) -> str:
    """The rulebook's wording of a criterion of ``star`` (``exclusion``: the exclusion)."""
    if criterion == "not_rated":  # a stale award's star the rulebook in force lacks
        return NOT_RATED_ZH
    for book_id in _books(rulebook):
        try:
            book = _load(book_id)
        except RulebookError:
            continue
        if criterion == "exclusion":
            return book.exclusion.wording
        for k in _kinds(kind):
            for s in book.stars(k):
                if star is not None and s.id != star:
                    continue
                for c in s.criteria:
                    if c.id == criterion:
                        return c.wording
    return ""


def beside(identifier: str, wording: str) -> str:
    """``id 中文`` (the id alone when there is no wording)."""
    return f"{identifier} {wording}" if wording else identifier


def star(star_id: str, kind: str | None = None, rulebook: str | None = None) -> str:
    return beside(star_id, star_zh(star_id, kind, rulebook))


def stars(ids: list[str], kind: str | None = None, rulebook: str | None = None) -> str:
    return ", ".join(star(s, kind, rulebook) for s in ids) or "—"


def criterion(
    criterion_id: str, star_id: str | None, kind: str | None = None, rulebook: str | None = None
) -> str:
    return beside(criterion_id, criterion_zh(criterion_id, star_id, kind, rulebook))


def benefit(benefit_id: str) -> str:
    return beside(benefit_id, BENEFIT_ZH.get(benefit_id, ""))


def level(level_id: str) -> str:
    return beside(level_id, LEVEL_ZH.get(level_id, ""))
