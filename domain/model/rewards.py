"""Rewards and three-year priority (rules.md §7, seed "奖励政策"): pure functions.

From an award's level, the secretary in office and a county's own parameters to the reward;
from three years of awards to the priority tier. No store, no clock: the read side gathers
awards and appointments and calls these, so an as-of replay and the read models can only
agree.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import msgspec

from domain.model.rulebook import RulebookError, rulebook_dir

COUNTY_REWARDS = "county-rewards.toml"
# A county's figures: non-negative and finite (a TOML ``inf`` or ``nan`` is refused too).
_Amount = Annotated[int, msgspec.Meta(ge=0)] | Annotated[float, msgspec.Meta(ge=0, le=1e15)]
_BenefitId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,128}\Z")]

# 五星: 每个支部10万元工作经费、两委干部基本报酬当年上浮20%; 四星: 5万元、上浮10%.
FIVE_STAR_FUNDS, FOUR_STAR_FUNDS = 100_000, 50_000
FIVE_STAR_RISE, FOUR_STAR_RISE = 20, 10
# 连续三年: 优先推荐进入乡镇（街道）领导班子、评先评优、推荐"两代表一委员".
ENTITLEMENTS = (
    "leadership_selection_priority",
    "awards_priority",
    "deputy_recommendation_priority",
)
CIVIL_SERVANT_BENEFITS = ("excellent_assessment", "priority_promotion")
EXAM_BENEFITS = ("exam_bonus_points",)


class Secretary(msgspec.Struct, frozen=True):
    person: str
    civil_servant: bool


class Appointment(msgspec.Struct, frozen=True):
    """A ``branch.secretary_appointed`` record: who, from which day, at which position."""

    on: str  # ISO date
    position: int
    person: str
    civil_servant: bool


class CountyRewards(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A county's three-star reward ("“三星”支部的奖励办法由县（区）根据实际制定"). Unknown keys
    are refused: a mistyped ``fund_yuan`` must not silently become "no funds set"."""

    funds_yuan: _Amount | None = None
    pay_rise_pct: _Amount | None = None
    benefits: tuple[_BenefitId, ...] = ()


class RewardTerms(msgspec.Struct, frozen=True):
    """What an award brings: null funds or rise where no parameter says (never guessed)."""

    funds_yuan: int | float | None
    pay_rise_pct: int | float | None
    secretary_benefits: list[str]


def secretary_on(appointments: Sequence[Appointment], day: str) -> Secretary | None:
    """The secretary in office on ``day``: the latest appointment dated on or before it (the
    later recorded of two on the same day)."""
    before = [a for a in appointments if a.on <= day]
    if not before:
        return None
    latest = max(before, key=lambda a: (a.on, a.position))
    return Secretary(latest.person, latest.civil_servant)


def reward_terms(
    level: int, secretary: Secretary | None, county: CountyRewards | None
) -> RewardTerms | None:
    """The reward of an award of ``level`` stars; None below three stars. Not cumulative: a
    five-star branch gets the province's reward only; three stars follow the county's own
    parameters (``county``), or nothing where the county has none."""
    if level >= 5:
        if secretary is None:
            benefits: tuple[str, ...] = ()
        else:
            benefits = CIVIL_SERVANT_BENEFITS if secretary.civil_servant else EXAM_BENEFITS
        return RewardTerms(FIVE_STAR_FUNDS, FIVE_STAR_RISE, list(benefits))
    if level == 4:
        civil = secretary is not None and secretary.civil_servant
        return RewardTerms(
            FOUR_STAR_FUNDS, FOUR_STAR_RISE, list(CIVIL_SERVANT_BENEFITS if civil else ())
        )
    if level == 3:
        if county is None:
            return RewardTerms(None, None, [])
        # the county's benefits are the secretary's: none without a secretary on record
        benefits = county.benefits if secretary is not None else ()
        return RewardTerms(county.funds_yuan, county.pay_rise_pct, list(benefits))
    return None


def priority_tier(levels: Sequence[int | None]) -> str | None:
    """The highest three-consecutive-year tier of the levels awarded in Y-2, Y-1 and Y
    (None where a year has no award): ``five_star``, ``four_star_or_above`` or None."""
    if len(levels) != 3 or any(level is None for level in levels):
        return None
    if all(level == 5 for level in levels):
        return "five_star"
    if all(level is not None and level >= 4 for level in levels):
        return "four_star_or_above"
    return None


def county_rewards_from(data: Mapping[str, Any]) -> dict[str, CountyRewards]:
    """Counties' three-star parameters from the parsed ``county-rewards.toml``; a value of the
    wrong type, a negative or infinite figure or an unknown key raises ``ValueError`` naming
    the county and the key."""
    out = {}
    for county, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"{county}: expected a table of funds_yuan, pay_rise_pct, benefits")
        try:
            out[county] = msgspec.convert(table, CountyRewards, strict=True)
        except msgspec.ValidationError as exc:
            raise ValueError(f"{county}: {exc}") from None
    return out


def load_county_rewards() -> dict[str, CountyRewards]:
    """``rulebooks/county-rewards.toml``; no file means no county has set its reward. A
    broken file raises ``RulebookError`` naming the file, the county and the key."""
    path = rulebook_dir() / COUNTY_REWARDS
    if not path.is_file():
        return {}
    try:
        stat = path.stat()
    except OSError as exc:
        raise RulebookError(f"{path}: {exc}") from None
    return _county_rewards(path, (stat.st_mtime_ns, stat.st_size))


@cache
def _county_rewards(path: Path, _stamp: tuple[int, int]) -> dict[str, CountyRewards]:
    """Parsed once per file version (called for every rewards answer); an edited file is
    read again."""
    try:
        return county_rewards_from(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise RulebookError(f"{path}: {exc}") from None
