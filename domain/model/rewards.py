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
from typing import Any

import msgspec

from domain.model.rulebook import rulebook_dir

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


class CountyRewards(msgspec.Struct, frozen=True):
    """A county's three-star reward ("“三星”支部的奖励办法由县（区）根据实际制定")."""

    funds_yuan: int | float | None = None
    pay_rise_pct: int | float | None = None
    benefits: tuple[str, ...] = ()


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
        return RewardTerms(county.funds_yuan, county.pay_rise_pct, list(county.benefits))
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
    """Counties' three-star parameters from the parsed ``county-rewards.toml``."""
    return {county: msgspec.convert(table, CountyRewards) for county, table in data.items()}


@cache
def load_county_rewards() -> dict[str, CountyRewards]:
    """``rulebooks/county-rewards.toml``; no file means no county has set its reward."""
    path = rulebook_dir() / "county-rewards.toml"
    if not path.is_file():
        return {}
    return county_rewards_from(tomllib.loads(path.read_text(encoding="utf-8")))
