"""Rewards and three-year priority (rules.md §7) as pure functions: no store, no clock."""

from __future__ import annotations

from domain.model.rewards import (
    Appointment,
    CountyRewards,
    RewardTerms,
    Secretary,
    county_rewards_from,
    priority_tier,
    reward_terms,
    secretary_on,
)

CAREER = Secretary("王书记", civil_servant=True)
VILLAGER = Secretary("李书记", civil_servant=False)
QINGFENG = CountyRewards(funds_yuan=20000, pay_rise_pct=5, benefits=("county_commendation",))


def test_five_stars_bring_the_provinces_funds_and_a_twenty_percent_rise():
    terms = reward_terms(5, VILLAGER, QINGFENG)
    assert terms == RewardTerms(100_000, 20, ["exam_bonus_points"])


def test_a_five_star_secretary_already_in_the_civil_service_is_rated_excellent_instead():
    terms = reward_terms(5, CAREER, None)
    assert terms is not None
    assert terms.secretary_benefits == ["excellent_assessment", "priority_promotion"]


def test_four_stars_bring_the_citys_funds_and_benefit_only_a_civil_servant_secretary():
    assert reward_terms(4, CAREER, None) == RewardTerms(
        50_000, 10, ["excellent_assessment", "priority_promotion"]
    )
    assert reward_terms(4, VILLAGER, None) == RewardTerms(50_000, 10, [])


def test_rewards_are_not_cumulative_the_county_parameters_do_not_add_to_five_stars():
    five = reward_terms(5, None, QINGFENG)
    assert five == RewardTerms(100_000, 20, [])


def test_three_stars_follow_the_countys_own_rules_or_say_nothing():
    assert reward_terms(3, VILLAGER, QINGFENG) == RewardTerms(20000, 5, ["county_commendation"])
    assert reward_terms(3, VILLAGER, None) == RewardTerms(None, None, [])


def test_three_stars_with_no_secretary_on_record_list_no_secretary_benefit():
    """The county's ``benefits`` are the secretary's (county-rewards.toml): with nobody in
    office on the award date none is listed, as for four and five stars (ADR 0009)."""
    assert reward_terms(3, None, QINGFENG) == RewardTerms(20000, 5, [])
    assert reward_terms(3, VILLAGER, QINGFENG) == RewardTerms(20000, 5, ["county_commendation"])


def test_fewer_than_three_stars_bring_no_reward():
    assert reward_terms(2, CAREER, QINGFENG) is None
    assert reward_terms(0, None, None) is None


def test_the_secretary_in_office_is_the_latest_appointed_on_or_before_the_day():
    appointments = [
        Appointment("2023-03-01", 10, "张三", False),
        Appointment("2024-06-01", 20, "李四", True),
        Appointment("2024-06-01", 25, "王五", False),  # same day, recorded later: in office
    ]
    assert secretary_on(appointments, "2023-02-28") is None
    assert secretary_on(appointments, "2024-05-31") == Secretary("张三", False)
    assert secretary_on(appointments, "2024-06-01") == Secretary("王五", False)


def test_three_five_star_years_give_the_province_tier():
    assert priority_tier([5, 5, 5]) == "five_star"


def test_four_stars_or_more_each_year_give_the_city_tier():
    assert priority_tier([4, 5, 5]) == "four_star_or_above"
    assert priority_tier([5, 4, 4]) == "four_star_or_above"


def test_a_missing_year_or_a_three_star_year_gives_no_priority():
    assert priority_tier([5, None, 5]) is None
    assert priority_tier([5, 3, 5]) is None
    assert priority_tier([5, 5]) is None


def test_county_parameters_keep_whole_numbers_whole():
    parsed = county_rewards_from({"范县": {"funds_yuan": 15000, "pay_rise_pct": 5}})
    assert parsed == {"范县": CountyRewards(15000, 5, ())}
    assert isinstance(parsed["范县"].funds_yuan, int)
