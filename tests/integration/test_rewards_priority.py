"""``fivestar rewards`` and ``fivestar priority`` (rules.md §7)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from domain.model.rulebook import rulebook_dir
from tests.support.builders import (
    ALL_VILLAGE,
    chain,
    five_star_village_year,
    five_star_village_years,
    rec,
    village,
)
from tests.support.cli import load

FIVE = ALL_VILLAGE
FOUR = ALL_VILLAGE[1:]
THREE = ["industry_thriving", "ecology_livable", "safety_rule_of_law"]
TWO = ["industry_thriving", "ecology_livable"]
STARS = {5: FIVE, 4: FOUR, 3: THREE, 2: TWO}
FINAL = {5: "province", 4: "city", 3: "county", 2: "county"}
AWARD_ON = {5: "03-15", 4: "02-20", 3: "01-25", 2: "01-25"}  # of Y+1, as builders.chain
REWARD_KEYS = {
    "branch",
    "year",
    "on",
    "level",
    "authority",
    "funds_yuan",
    "pay_rise_pct",
    "secretary",
    "secretary_benefits",
}
PRIORITY_KEYS = {"branch", "tier", "years", "secretaries", "secretary_changed", "entitlements"}
ENTITLEMENTS = [
    "leadership_selection_priority",
    "awards_priority",
    "deputy_recommendation_priority",
]


def secretary(code: str, on: str, person: str, civil: bool) -> dict[str, Any]:
    return rec("branch.secretary_appointed", code, on, person=person, civil_servant=civil)


def county_params(county: str) -> dict[str, Any] | None:
    path = rulebook_dir() / "county-rewards.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")).get(county)


# ------------------------------------------------------------------ rewards
def rewards_ledger() -> list[dict[str, Any]]:
    branches = [
        # code, county, level, appointments
        ("R5N", "清丰县", 5, [("2022-01-01", "张一", False), ("2025-03-16", "李一", True)]),
        ("R5C", "南乐县", 5, [("2022-01-01", "张二", False), ("2025-03-15", "李二", True)]),
        ("R4N", "清丰县", 4, [("2022-01-01", "张三", False)]),
        ("R4C", "范县", 4, [("2022-01-01", "张四", True), ("2025-02-21", "李四", False)]),
        ("R3Q", "清丰县", 3, [("2022-01-01", "张五", False)]),
        ("R3P", "濮阳县", 3, [("2022-01-01", "张六", True)]),
        ("R2", "清丰县", 2, [("2022-01-01", "张七", True)]),
    ]
    out = []
    for code, county, level, appointments in branches:
        out.append(village(code, county=county))
        out += [secretary(code, on, person, civil) for on, person, civil in appointments]
        out += five_star_village_year(code, 2024)
        out += chain(code, 2024, STARS[level], FINAL[level])
    return out


@pytest.fixture
def rewards(cli, write_ledger) -> dict[str, dict[str, Any]]:
    load(cli, write_ledger, rewards_ledger())
    res = cli("rewards", "--year", "2024", "--json")
    assert res.code == 0, res.err
    rows = res.json()
    assert [r["branch"] for r in rows] == sorted(r["branch"] for r in rows)
    return {r["branch"]: r for r in rows}


def test_reward_fields_exactly_as_interchange(rewards):
    assert set(rewards) == {"R3P", "R3Q", "R4C", "R4N", "R5C", "R5N"}  # R2 is below three
    for row in rewards.values():
        assert set(row) == REWARD_KEYS
        assert set(row["secretary"]) == {"person", "civil_servant"}
        assert row["year"] == 2024
        assert isinstance(row["secretary_benefits"], list)
        assert row["on"] == f"2025-{AWARD_ON[row['level']]}"


def test_five_stars(rewards):
    n, c = rewards["R5N"], rewards["R5C"]
    for row in (n, c):
        assert (row["level"], row["authority"]) == (5, "province")
        assert (row["funds_yuan"], row["pay_rise_pct"]) == (100000, 20)
    # the secretary in office on the award date: an appointment the day after does not count
    assert n["secretary"] == {"person": "张一", "civil_servant": False}
    assert n["secretary_benefits"] == ["exam_bonus_points"]
    # an appointment dated on the award date does
    assert c["secretary"] == {"person": "李二", "civil_servant": True}
    assert sorted(c["secretary_benefits"]) == ["excellent_assessment", "priority_promotion"]


def test_four_stars(rewards):
    n, c = rewards["R4N"], rewards["R4C"]
    for row in (n, c):
        assert (row["level"], row["authority"]) == (4, "city")
        assert (row["funds_yuan"], row["pay_rise_pct"]) == (50000, 10)
    assert n["secretary"] == {"person": "张三", "civil_servant": False}
    assert n["secretary_benefits"] == []
    assert c["secretary"] == {"person": "张四", "civil_servant": True}
    assert sorted(c["secretary_benefits"]) == ["excellent_assessment", "priority_promotion"]


def test_three_stars_by_county_parameters(rewards):
    q, p = rewards["R3Q"], rewards["R3P"]
    params = county_params("清丰县")
    assert params is not None and county_params("濮阳县") is None
    assert (q["level"], q["authority"]) == (3, "county")
    assert q["funds_yuan"] == params["funds_yuan"] and q["funds_yuan"] is not None
    assert q["pay_rise_pct"] == params["pay_rise_pct"] and q["pay_rise_pct"] is not None
    assert q["secretary_benefits"] == list(params.get("benefits", []))
    assert "exam_bonus_points" not in q["secretary_benefits"]
    # a county with no parameters: null, never a guess
    assert (p["level"], p["authority"]) == (3, "county")
    assert p["funds_yuan"] is None and p["pay_rise_pct"] is None
    assert p["secretary_benefits"] == []
    assert p["secretary"] == {"person": "张六", "civil_servant": True}


def test_no_rewards_for_another_year(cli, rewards):
    res = cli("rewards", "--year", "2023", "--json")
    assert res.code == 0 and res.json() == []


def test_readable_rewards_total_per_county(cli, rewards):
    out = cli("rewards", "--year", "2024").out
    assert "清丰县" in out and "100,000元" in out
    assert "—" in out  # 濮阳县's unknown funds


# ----------------------------------------------------------------- priority
# code: levels for 2022, 2023, 2024 (None: no award that year)
PRIORITY = {
    "P1": (5, 5, 5),
    "P2": (5, 5, 4),
    "P3": (4, 5, 5),
    "P4": (5, None, 5),
    "P5": (4, 4, 3),
}


def priority_ledger() -> list[dict[str, Any]]:
    years = [2022, 2023, 2024]
    out = []
    for code, levels in PRIORITY.items():
        out.append(village(code))
        out.append(secretary(code, "2021-12-15", f"{code}书记甲", False))
        if code == "P1":
            out.append(secretary(code, "2024-06-01", "P1书记乙", True))
        out += five_star_village_years(code, years)
        for year, level in zip(years, levels, strict=True):
            if level is not None:
                out += chain(code, year, STARS[level], FINAL[level])
    return out


@pytest.fixture
def priority(cli, write_ledger) -> dict[str, dict[str, Any]]:
    load(cli, write_ledger, priority_ledger())
    res = cli("priority", "--year", "2024", "--json")
    assert res.code == 0, res.err
    rows = res.json()
    assert [r["branch"] for r in rows] == sorted(r["branch"] for r in rows)
    return {r["branch"]: r for r in rows}


def test_priority_tiers(priority):
    assert {code: row["tier"] for code, row in priority.items()} == {
        "P1": "five_star",
        "P2": "four_star_or_above",
        "P3": "four_star_or_above",
    }
    for row in priority.values():
        assert set(row) == PRIORITY_KEYS
        assert row["years"] == [2022, 2023, 2024]
        assert row["entitlements"] == ENTITLEMENTS
        assert [s["year"] for s in row["secretaries"]] == [2022, 2023, 2024]


def test_priority_secretaries_and_change(priority):
    p1 = priority["P1"]
    assert p1["secretaries"] == [
        {"year": 2022, "person": "P1书记甲", "civil_servant": False},
        {"year": 2023, "person": "P1书记甲", "civil_servant": False},  # award on 2024-03-15
        {"year": 2024, "person": "P1书记乙", "civil_servant": True},
    ]
    assert p1["secretary_changed"] is True
    for code in ("P2", "P3"):
        assert priority[code]["secretary_changed"] is False
        assert {s["person"] for s in priority[code]["secretaries"]} == {f"{code}书记甲"}


def test_priority_needs_three_years_ending_in_the_year(cli, priority):
    assert cli("priority", "--year", "2023", "--json").json() == []  # no awards for 2021
    assert cli("priority", "--year", "2025", "--json").json() == []
    text = cli("priority", "--year", "2024").out
    assert "连续三年五星" in text and "书记有变动" in text


def test_priority_awards_are_the_ones_in_the_ledger(cli, priority):
    levels: dict[str, dict[int, int]] = {}
    for year in (2022, 2023, 2024):
        for a in cli("awards", "--year", str(year), "--json").json():
            levels.setdefault(a["branch"], {})[year] = a["level"]
    assert {code: tuple(levels[code].get(y) for y in (2022, 2023, 2024)) for code in levels} == (
        PRIORITY
    )
    # the five-star secretary's reward follows the secretary in office on the award date
    rewards = {r["branch"]: r for r in cli("rewards", "--year", "2024", "--json").json()}
    assert rewards["P1"]["secretary"] == {"person": "P1书记乙", "civil_servant": True}
    assert sorted(rewards["P1"]["secretary_benefits"]) == [
        "excellent_assessment",
        "priority_promotion",
    ]
