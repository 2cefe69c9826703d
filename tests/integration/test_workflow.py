"""The rating workflow (rules.md §5-6, interchange.md "Workflow") through ``fivestar import``.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.builders import (
    ALL_VILLAGE,
    awarded,
    chain,
    declared,
    five_star_village_year,
    rec,
    recommended,
    village,
)

THREE = ["industry_thriving", "ecology_livable", "safety_rule_of_law"]
FOUR = ALL_VILLAGE[1:]
Y = 2024
LINE = re.compile(r"^line (\d+): (\S+): (.*)$")


def submit(
    cli: Callable[..., Any], write_ledger: Callable[..., Any], records: list[dict]
) -> dict[str, str]:
    """Import ``records``; the refused ones as {id: reason}. Exit 1 exactly when refused."""
    res = cli("import", str(write_ledger(records)))
    refused = {}
    for line in res.out.splitlines():
        m = LINE.match(line)
        if m:
            refused[m.group(2)] = m.group(3)
    assert res.code == (1 if refused else 0), res.out
    return refused


def base(code: str = "V1", year: int = Y) -> list[dict[str, Any]]:
    return [village(code), *five_star_village_year(code, year)]


def awards(cli: Callable[..., Any], year: int = Y) -> list[dict[str, Any]]:
    res = cli("awards", "--year", str(year), "--json")
    assert res.code == 0
    return res.json()


# ------------------------------------------------------------- whole chain
@pytest.mark.parametrize(
    ("final", "stars", "on"),
    [("county", THREE, "2025-01-25"), ("city", FOUR, "2025-02-20"),
     ("province", ALL_VILLAGE, "2025-03-15")],
)  # fmt: skip
def test_whole_chain(cli, write_ledger, final: str, stars: list[str], on: str):
    assert submit(cli, write_ledger, [*base(), *chain("V1", Y, stars, final)]) == {}
    got = awards(cli)
    assert len(got) == 1
    a = got[0]
    assert (a["branch"], a["year"], a["stars"], a["level"], a["by"], a["on"]) == (
        "V1",
        Y,
        stars,
        len(stars),
        final,
        on,
    )
    assert a["stale"] is False and a["now_failing"] == []
    assert {"branch", "year", "stars", "level", "by", "on", "stale", "now_failing"} <= set(a)
    assert awards(cli, Y - 1) == []


def test_county_records_one_and_two_stars(cli, write_ledger):
    two = ["industry_thriving", "civility_happiness"]
    assert submit(cli, write_ledger, [*base(), *chain("V1", Y, two, "county")]) == {}
    assert [(a["level"], a["by"]) for a in awards(cli)] == [(2, "county")]


# -------------------------------------------------------- declaration date
def test_declaration_deadline(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(THREE, on="2025-01-01", id="late"),
            declared(THREE, on="2023-12-31", id="early"),
            declared(THREE, on="2024-01-01", id="first-day"),
            declared(THREE, on="2024-12-31", id="last-day"),
        ],
    )
    assert set(refused) == {"late", "early"}
    assert refused["late"].startswith("workflow: on:")
    assert "2024-12-31" in refused["late"] and "2025-01-01" in refused["late"]
    assert "2023-12-31" in refused["early"]


def test_declaration_dated_dec_31_goes_through_to_an_award(cli, write_ledger):
    records = [
        *base(),
        declared(THREE, on="2024-12-31"),
        recommended("township", THREE),
        awarded("county", THREE),
    ]
    assert submit(cli, write_ledger, records) == {}
    assert [a["level"] for a in awards(cli)] == [3]


# ---------------------------------------------------------------- authority
def _fully_recommended() -> list[dict[str, Any]]:
    return [
        *base(),
        declared(ALL_VILLAGE),
        recommended("township", ALL_VILLAGE),
        recommended("county", ALL_VILLAGE, on="2025-01-20"),
        recommended("city", ALL_VILLAGE, on="2025-02-10"),
    ]


@pytest.mark.parametrize(
    ("by", "stars", "needs", "rule"),
    [
        ("county", FOUR, "city", "county decides up to 3"),
        ("city", THREE, "county", "city decides exactly 4"),
        ("city", ALL_VILLAGE, "province", "city decides exactly 4"),
        ("province", FOUR, "city", "province decides exactly 5"),
    ],
)
def test_award_by_the_wrong_authority(cli, write_ledger, by, stars, needs, rule):
    records = [*_fully_recommended(), awarded(by, stars, id="bad-award")]
    refused = submit(cli, write_ledger, records)
    assert list(refused) == ["bad-award"]
    reason = refused["bad-award"]
    assert reason.startswith("workflow: by:")
    assert f"{len(stars)} stars need the {needs}" in reason
    assert rule in reason
    assert awards(cli) == []


# -------------------------------------------------------------- covered by
def test_township_recommendation_must_be_covered_by_the_declaration(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            recommended("township", THREE, id="no-decl"),
            declared(["industry_thriving", "ecology_livable"]),
            recommended("township", THREE, id="extra-star"),
            recommended("township", ["industry_thriving"], id="subset"),
        ],
    )
    assert set(refused) == {"no-decl", "extra-star"}
    assert "no declaration for 2024" in refused["no-decl"]
    assert "not covered by the declaration" in refused["extra-star"]
    assert "safety_rule_of_law not in it" in refused["extra-star"]


def test_county_recommendation_must_be_covered_by_the_township(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(ALL_VILLAGE),
            recommended("county", FOUR, id="no-township"),
            recommended("township", FOUR),
            recommended("county", ALL_VILLAGE, id="not-covered"),
            recommended("county", FOUR, id="covered"),
        ],
    )
    assert set(refused) == {"no-township", "not-covered"}
    assert "no township's recommendation" in refused["no-township"]
    assert "not covered by the township's recommendation" in refused["not-covered"]
    assert "branch_strong not in it" in refused["not-covered"]


def test_city_recommendation_must_be_covered_by_the_county(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(ALL_VILLAGE),
            recommended("township", ALL_VILLAGE),
            recommended("county", FOUR),
            recommended("city", ALL_VILLAGE, id="not-covered"),
        ],
    )
    assert list(refused) == ["not-covered"]
    assert "not covered by the county's recommendation" in refused["not-covered"]


def test_county_recommends_four_or_more_city_five(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(ALL_VILLAGE),
            recommended("township", ALL_VILLAGE),
            recommended("county", THREE, id="county-3"),
            recommended("county", FOUR, id="county-4"),
            recommended("city", FOUR, id="city-4"),
        ],
    )
    assert set(refused) == {"county-3", "city-4"}
    assert refused["county-3"].startswith("workflow: stars:")
    assert "3 stars" in refused["county-3"] and "§6.3" in refused["county-3"]
    assert "4 stars" in refused["city-4"] and "§6.4" in refused["city-4"]


def test_county_award_not_covered_by_the_township(cli, write_ledger):
    records = [
        *base(),
        declared(THREE),
        recommended("township", THREE[:2]),
        awarded("county", THREE, id="aw"),
    ]
    refused = submit(cli, write_ledger, records)
    assert list(refused) == ["aw"]
    assert "not covered by the township's recommendation" in refused["aw"]
    assert "safety_rule_of_law not in it" in refused["aw"]
    assert awards(cli) == []


def test_city_and_province_awards_need_the_level_below(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(ALL_VILLAGE),
            recommended("township", ALL_VILLAGE),
            awarded("city", FOUR, id="city-no-county"),
            recommended("county", ALL_VILLAGE, on="2025-01-20"),
            awarded("province", ALL_VILLAGE, id="prov-no-city"),
            # the county's latest recommendation narrows to four: the city cannot go on
            recommended("county", FOUR, on="2025-01-21"),
            recommended("city", ALL_VILLAGE, on="2025-02-10", id="city-rec"),
            awarded("city", FOUR, id="city-ok"),
        ],
    )
    assert set(refused) == {"city-no-county", "prov-no-city", "city-rec"}
    assert "no county's recommendation for 2024" in refused["city-no-county"]
    assert "no city's recommendation for 2024" in refused["prov-no-city"]
    assert "not covered by the county's recommendation" in refused["city-rec"]
    assert [(a["level"], a["by"]) for a in awards(cli)] == [(4, "city")]


def test_second_award_refused(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            *chain("V1", Y, THREE, "county"),
            awarded("county", THREE[:2], id="again"),
        ],
    )
    assert list(refused) == ["again"]
    assert "a second award for 2024" in refused["again"]
    assert "one award a year" in refused["again"]
    got = awards(cli)
    assert [(a["level"], a["stars"]) for a in got] == [(3, THREE)]


# ---------------------------------------------------------- weak and lax
def test_rating_refused_while_weak_and_accepted_after_the_lift(cli, write_ledger):
    """Designated in January of Y+1: Y is not excluded, but a review dated in the spell is."""
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(THREE, on="2024-12-20"),
            rec("weakness.designated", "V1", "2025-01-05", reason="软弱涣散", id="weak"),
            recommended("township", THREE, on="2025-01-10", id="during"),
            rec("weakness.lifted", "V1", "2025-01-20", id="lift"),
            recommended("township", THREE, on="2025-01-20", id="on-lift-day"),
            awarded("county", THREE, on="2025-01-25", id="award"),
        ],
    )
    assert list(refused) == ["during"]
    assert "weak and lax on 2025-01-10" in refused["during"]
    assert "weak" in refused["during"] and "rules.md §5" in refused["during"]
    assert [a["level"] for a in awards(cli)] == [3]


def test_excluded_year_refused_later_year_accepted(cli, write_ledger):
    records = [
        village("V1"),
        *five_star_village_year("V1", 2024),
        rec("weakness.designated", "V1", "2024-03-01", id="weak"),
        rec("weakness.lifted", "V1", "2024-06-01", id="lift"),
        declared(THREE, on="2024-12-20", id="decl-2024"),
        # a record for 2024 dated after the lift is still refused: the year is excluded
        recommended("township", THREE, on="2025-01-10", id="rec-2024"),
        awarded("county", THREE, on="2025-01-20", id="award-2024"),
    ]
    refused = submit(cli, write_ledger, records)
    assert set(refused) == {"decl-2024", "rec-2024", "award-2024"}
    for reason in refused.values():
        assert "excluded for 2024" in reason
        assert "软弱涣散党组织不参与星级评定" in reason
    # 2025: the spell is over, the chain goes through
    later = [*five_star_village_year("V1", 2025), *chain("V1", 2025, THREE, "county")]
    assert submit(cli, write_ledger, later) == {}
    assert [a["level"] for a in awards(cli, 2025)] == [3]
    assert awards(cli, 2024) == []


def test_exclusion_judged_on_the_records_known_when_recorded(cli, write_ledger):
    records = [
        *base(),
        declared(THREE, on="2024-12-01", id="decl"),
        rec("weakness.designated", "V1", "2024-12-31", id="weak"),
        rec("weakness.lifted", "V1", "2025-01-02", id="lift"),
        recommended("township", THREE, on="2025-01-10", id="rec"),
    ]
    refused = submit(cli, write_ledger, records)
    assert list(refused) == ["rec"]  # the declaration was accepted before the designation
    assert "excluded for 2024" in refused["rec"]


# ------------------------------------------------------------ eligibility
def test_over_claimed_star_refused_at_the_award(cli, write_ledger):
    low = rec("metric.reported", "V1", "2024-12-28", year=Y, metric="sanitary_toilet_ratio",
              value=0.78, id="r-0042")  # fmt: skip
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            low,
            declared(THREE, id="decl"),
            recommended("township", THREE, id="rec"),
            awarded("county", THREE, id="aw"),
        ],
    )
    assert list(refused) == ["aw"]  # declaring and recommending are not judged
    assert refused["aw"].startswith(
        "workflow: not eligible for ecology_livable: sanitary_toilet_ratio 0.78 < 0.80 (r-0042)"
    )
    assert "puyang-2022" in refused["aw"]
    # without the over-claimed star the county can award
    two = ["industry_thriving", "safety_rule_of_law"]
    assert submit(cli, write_ledger, [awarded("county", two, id="aw2")]) == {}
    assert [a["stars"] for a in awards(cli)] == [two]


def test_award_judged_under_the_rulebook_adopted_for_the_year(cli, write_ledger):
    assert submit(cli, write_ledger, [*base(), *chain("V1", Y, ALL_VILLAGE, "province")[:-1]]) == {}
    res = cli("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision", "--adopt",
              "--reason", "修订")  # fmt: skip
    assert res.code == 0
    refused = submit(cli, write_ledger, [awarded("province", ALL_VILLAGE, id="aw")])
    assert "not eligible for branch_strong: org_life_quota" in refused["aw"]
    assert "puyang-2024-revision" in refused["aw"]


# ------------------------------------------------------------- latest basis
def test_covered_by_uses_the_latest_record_in_ledger_order(cli, write_ledger):
    refused = submit(
        cli,
        write_ledger,
        [
            *base(),
            declared(THREE, on="2024-11-01"),
            declared(THREE[:2], on="2024-12-01"),  # latest: two stars
            recommended("township", THREE, id="t-3"),
            # a later declaration with an earlier date still is the latest
            declared(THREE, on="2024-02-01"),
            recommended("township", THREE, id="t-3-again"),
            recommended("township", THREE[:1], id="t-1"),  # the township's latest: one star
            awarded("county", THREE[:2], id="aw-2"),
            awarded("county", THREE[:1], id="aw-1"),
        ],
    )
    assert set(refused) == {"t-3", "aw-2"}
    assert "safety_rule_of_law not in it" in refused["t-3"]
    assert "not covered by the township's recommendation" in refused["aw-2"]
    assert "ecology_livable not in it" in refused["aw-2"]
    assert [a["stars"] for a in awards(cli)] == [THREE[:1]]


# --------------------------------------------------------- late evidence
def _history_entry(cli: Callable[..., Any], rid: str) -> dict[str, Any]:
    entries = [h for h in cli("history", "V1", "--json").json() if h["record"].get("id") == rid]
    assert len(entries) == 1
    return entries[0]


def test_late_incident_leaves_the_award_standing_but_stale(cli, write_ledger):
    records = [*base(), *chain("V1", Y, ALL_VILLAGE, "province")]
    award_id = records[-1]["id"]
    assert submit(cli, write_ledger, records) == {}
    assert awards(cli)[0]["stale"] is False
    late = rec("incident.recorded", "V1", "2024-12-31", category="gambling", id="late-inc")
    assert submit(cli, write_ledger, [late]) == {}

    a = awards(cli)[0]
    assert (a["level"], a["by"], a["stars"]) == (5, "province", ALL_VILLAGE)
    assert a["stale"] is True
    failing = {(c["star"], c["criterion"]): c for c in a["now_failing"]}
    assert set(failing) == {
        ("safety_rule_of_law", "no_incident"),
        ("branch_strong", "other_four_stars"),
    }
    assert failing[("safety_rule_of_law", "no_incident")]["evidence"] == ["late-inc"]
    assert failing[("safety_rule_of_law", "no_incident")]["met"] is False

    at = _history_entry(cli, award_id)["recorded_at"]
    then = cli("eligibility", "--year", "2024", "--as-of", at, "--json").json()
    assert then[0]["eligible"] == ALL_VILLAGE
    now = cli("eligibility", "--year", "2024", "--json").json()
    assert "safety_rule_of_law" not in now[0]["eligible"]
    # a retraction makes it current again
    fix = rec("incident.retracted", "V1", "2025-04-01", ref="late-inc", reason="误报")
    assert submit(cli, write_ledger, [fix]) == {}
    assert awards(cli)[0]["stale"] is False
    assert awards(cli)[0]["now_failing"] == []


def test_incident_of_the_next_year_does_not_make_it_stale(cli, write_ledger):
    records = [*base(), *chain("V1", Y, ALL_VILLAGE, "province")]
    records.append(rec("incident.recorded", "V1", "2025-01-01", category="gambling"))
    assert submit(cli, write_ledger, records) == {}
    assert awards(cli)[0]["stale"] is False


def test_adopted_rulebook_after_the_award_makes_it_stale(cli, write_ledger):
    assert submit(cli, write_ledger, [*base(), *chain("V1", Y, ALL_VILLAGE, "province")]) == {}
    assert awards(cli)[0]["stale"] is False
    res = cli("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision", "--adopt",
              "--reason", "修订")  # fmt: skip
    assert res.code == 0
    a = awards(cli)[0]
    assert a["level"] == 5
    assert a["stale"] is True
    failing = {(c["star"], c["criterion"]) for c in a["now_failing"]}
    assert ("branch_strong", "org_life_quota") in failing
    assert all(c["star"] == "branch_strong" for c in a["now_failing"])
