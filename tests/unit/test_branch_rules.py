"""The Branch aggregate's rules, one at a time: given its history, when a record comes, then
an event records it or a refusal names the field and the rule (docs/rules.md, docs/records.md).

No store: ``tests/support/rules.py`` folds the given records into the aggregate the way the
ledger does and asks it to decide the next one.
"""

from __future__ import annotations

from typing import Any

from domain.model import events as ev
from tests.support.builders import (
    awarded,
    chain,
    community,
    declared,
    five_star_village_year,
    rec,
    recommended,
    village,
)
from tests.support.rules import given, then_duplicate, then_event, then_refused, when

Y = 2024
ALL_FIVE = [
    "branch_strong",
    "industry_thriving",
    "ecology_livable",
    "safety_rule_of_law",
    "civility_happiness",
]


def eligible_village() -> list[dict[str, Any]]:
    """V1 registered, with the facts that make it eligible for all five stars in Y."""
    return [village("V1"), *five_star_village_year("V1", Y)]


# ---------------------------------------------------------------- registration
def test_registering_a_branch_records_branch_registered() -> None:
    from domain.model.branch import empty_branch

    event = then_event(when(empty_branch("V1"), village("V1")), ev.BranchRegistered)
    assert event.record.branch == "V1" and event.originator_version == 1


def test_a_second_registration_is_refused() -> None:
    then_refused(when(given(village("V1")), village("V1")), "already registered")


def test_a_record_for_an_unregistered_branch_is_refused() -> None:
    from domain.model.branch import empty_branch

    meeting = rec("meeting.held", "V9", f"{Y}-03-05", kind="theme_day")
    then_refused(when(empty_branch("V9"), meeting), "V9 is not registered")


def test_the_same_record_again_is_a_duplicate_and_records_nothing() -> None:
    meeting = rec("meeting.held", "V1", f"{Y}-03-05", kind="theme_day")
    then_duplicate(when(given(village("V1"), meeting), meeting))


def test_the_same_id_with_other_content_is_refused_as_a_clash() -> None:
    meeting = rec("meeting.held", "V1", f"{Y}-03-05", kind="theme_day")
    other = {**meeting, "kind": "party_lesson"}
    then_refused(when(given(village("V1"), meeting), other), meeting["id"], "other content")


# ------------------------------------------------------------------- incidents
def test_an_incident_of_a_rated_category_is_recorded() -> None:
    incident = rec("incident.recorded", "V1", f"{Y}-05-01", category="gambling")
    then_event(when(given(village("V1")), incident), ev.IncidentRecorded)


def test_an_incident_category_not_rated_for_the_kind_is_refused() -> None:
    # 规模性返贫 (large-scale return to poverty) is a village category, not a community's
    incident = rec("incident.recorded", "C1", f"{Y}-05-01", category="large_scale_poverty_return")
    then_refused(when(given(community("C1")), incident), "structural: category", "community")


def test_a_retraction_must_name_an_incident_of_the_branch() -> None:
    retraction = rec("incident.retracted", "V1", f"{Y}-06-01", ref="nothing", reason="错报")
    then_refused(when(given(village("V1")), retraction), "ref: nothing")


def test_an_incident_is_retracted_once() -> None:
    incident = rec("incident.recorded", "V1", f"{Y}-05-01", category="gambling")
    retraction = rec("incident.retracted", "V1", f"{Y}-06-01", ref=incident["id"], reason="错报")
    branch = given(village("V1"), incident)
    then_event(when(branch, retraction), ev.IncidentRetracted)
    again = {**retraction, "id": "second-retraction"}
    then_refused(when(given(village("V1"), incident, retraction), again), "already retracted")


# ---------------------------------------------------------------- weak and lax
def test_a_branch_is_designated_weak_once_until_lifted() -> None:
    designated = rec("weakness.designated", "V1", f"{Y}-03-01")
    branch = given(village("V1"), designated)
    then_refused(when(branch, rec("weakness.designated", "V1", f"{Y}-04-01")), "spell is open")
    then_refused(when(branch, rec("weakness.lifted", "V1", f"{Y}-02-01")), "before the open spell")
    then_event(when(branch, rec("weakness.lifted", "V1", f"{Y}-09-01")), ev.WeaknessLifted)


def test_lifting_with_no_spell_open_is_refused() -> None:
    then_refused(
        when(given(village("V1")), rec("weakness.lifted", "V1", f"{Y}-09-01")), "no weak-and-lax"
    )


# ------------------------------------------------------------ rating workflow
def test_a_declaration_within_its_year_is_recorded() -> None:
    then_event(when(given(village("V1")), declared(["industry_thriving"])), ev.RatingDeclared)


def test_a_declaration_after_its_year_is_refused() -> None:
    late = declared(["industry_thriving"], on=f"{Y + 1}-01-02")
    then_refused(when(given(village("V1")), late), "workflow: on:", f"by {Y}-12-31")


def test_a_weak_and_lax_branch_is_excluded_for_the_year() -> None:
    # 软弱涣散党组织不参与星级评定: designated in Y, lifted in Y — still excluded for Y
    spell = [
        rec("weakness.designated", "V1", f"{Y}-03-01"),
        rec("weakness.lifted", "V1", f"{Y}-08-01"),
    ]
    then_refused(
        when(given(village("V1"), *spell), declared(["industry_thriving"])),
        "workflow:",
        f"excluded for {Y}",
    )


def test_branch_strong_is_declared_only_with_all_five_stars() -> None:
    then_refused(
        when(given(village("V1")), declared(["branch_strong", "industry_thriving"])),
        "structural: stars: branch_strong only with all the other stars",
    )


def test_a_recommendation_needs_a_declaration_that_covers_it() -> None:
    then_refused(
        when(given(village("V1")), recommended("township", ["industry_thriving"])),
        "no declaration",
    )
    branch = given(village("V1"), declared(["industry_thriving"]))
    then_refused(
        when(branch, recommended("township", ["industry_thriving", "ecology_livable"])),
        "not covered by the declaration",
        "ecology_livable",
    )


def test_the_county_recommends_only_four_stars_or_more_to_the_city() -> None:
    stars = ["industry_thriving", "ecology_livable"]
    branch = given(village("V1"), declared(stars), recommended("township", stars))
    then_refused(when(branch, recommended("county", stars)), "four stars or more")


def test_an_award_by_the_wrong_authority_is_refused() -> None:
    # four stars are the city's decision (市委组织部确定“四星”支部), not the county's
    four = ALL_FIVE[1:]
    branch = given(*eligible_village(), declared(four), recommended("township", four))
    then_refused(when(branch, awarded("county", four)), "by: award by county", "need the city")


def test_an_award_needs_the_recommendation_below_it() -> None:
    three = ALL_FIVE[1:4]
    branch = given(*eligible_village(), declared(three))
    then_refused(when(branch, awarded("county", three)), "no township's recommendation")


def test_an_award_for_a_star_the_branch_is_not_eligible_for_is_refused() -> None:
    stars = ["industry_thriving"]
    # registered only: no income figures, so 产业兴旺星 fails its criteria
    branch = given(village("V1"), declared(stars), recommended("township", stars))
    then_refused(
        when(branch, awarded("county", stars)),
        "workflow: not eligible for industry_thriving",
        "rulebook puyang-2022",
    )


def test_an_eligible_covered_award_is_recorded_and_a_second_one_refused() -> None:
    three = ALL_FIVE[1:4]
    history = [*eligible_village(), *chain("V1", Y, three, "county")]
    *before, award = history
    then_event(when(given(*before), award), ev.RatingAwarded)
    again = awarded("county", three, on=f"{Y + 1}-02-01")
    then_refused(when(given(*history), again), "a second award", "one award a year")


def test_an_award_is_judged_under_the_rulebook_adopted_for_its_year() -> None:
    """The 2024 revision adds 三会一课 (org_life_quota) to 支部过硬星: the same five-star
    chain that passes under puyang-2022 is refused under it, naming the criterion."""
    history = [*eligible_village(), *chain("V1", Y, ALL_FIVE, "province")]
    *before, award = history
    revision = {Y: "puyang-2024-revision"}
    then_event(when(given(*before), award), ev.RatingAwarded)
    then_refused(
        when(given(*before, rulebooks=revision), award, rulebooks=revision),
        "not eligible for branch_strong: org_life_quota",
        "rulebook puyang-2024-revision",
    )
