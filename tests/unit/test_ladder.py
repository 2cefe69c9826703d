"""The problem register and the intervention ladder (mechanisms.md §4), pure, no store.

Each rung is tried for both kinds at its threshold; failures are judged on the day after the
term, and superseded by a higher measure.
"""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from domain.model.ladder import (
    InterventionEntry,
    LadderInput,
    LadderResult,
    ProblemEntry,
    SpellEntry,
    add_months,
    judge_ladder,
    ladder_json,
    listing_reason,
)
from domain.model.parameters import SEED_STANDARDS, LadderStandards
from domain.model.vocabulary import vocabulary

_positions = count(1)
VILLAGE_AREAS = list(vocabulary("village").stars)
COMMUNITY_AREAS = list(vocabulary("community").stars)
JAN = date(2025, 1, 1)


def problem(
    name: str,
    area: str,
    on: date = JAN,
    deadline: date = date(2025, 12, 31),
    resolved_on: date | None = None,
    paralysis: bool = False,
) -> ProblemEntry:
    return ProblemEntry(
        id=f"r-{name}",
        position=next(_positions),
        problem=name,
        area=area,
        on=on,
        deadline=deadline,
        paralysis=paralysis,
        resolved_on=resolved_on,
    )


def intervention(
    name: str, measure: str, on: date, ended_on: date | None = None
) -> InterventionEntry:
    return InterventionEntry(
        id=f"r-{name}",
        position=next(_positions),
        intervention=name,
        measure=measure,
        on=on,
        ended_on=ended_on,
    )


def ladder(
    kind: str,
    *items: ProblemEntry | InterventionEntry | SpellEntry,
    on: date,
    standards: LadderStandards = SEED_STANDARDS.ladder,
) -> LadderResult:
    data = LadderInput(
        problems=[i for i in items if isinstance(i, ProblemEntry)],
        interventions=[i for i in items if isinstance(i, InterventionEntry)],
        spells=[i for i in items if isinstance(i, SpellEntry)],
    )
    return judge_ladder("B1", kind, data, on, vocabulary(kind).stars, standards)


def open_in(kind: str, n: int) -> list[ProblemEntry]:
    areas = VILLAGE_AREAS if kind == "village" else COMMUNITY_AREAS
    return [problem(f"p{i}", areas[i]) for i in range(n)]


# ------------------------------------------------------------------------ month arithmetic


@pytest.mark.parametrize(
    ("start", "months", "until"),
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 1, 15), 3, date(2025, 4, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 3, 31), 60, date(2030, 3, 31)),
        (date(2024, 2, 29), 60, date(2029, 2, 28)),
    ],
)
def test_months_add_by_calendar_with_the_day_clamped(start: date, months: int, until: date) -> None:
    assert add_months(start, months) == until


# ---------------------------------------------------------------------- village rungs


def test_a_village_with_nothing_open_needs_nothing() -> None:
    result = ladder("village", on=JAN)
    assert result.required == "none" and result.reasons == [] and not result.shortfall
    assert result.evidence == [] and result.active is None


def test_one_open_area_in_time_needs_nothing_one_overdue_area_needs_a_first_secretary() -> None:
    p = problem("p1", VILLAGE_AREAS[0], deadline=date(2025, 3, 1))
    assert ladder("village", p, on=date(2025, 3, 1)).required == "none"  # due that day
    late = ladder("village", p, on=date(2025, 3, 2))
    assert late.required == "first_secretary"
    assert late.overdue == ["p1"] and late.reasons == ["1 overdue area"]
    assert late.shortfall and late.evidence == ["r-p1"]


def test_two_open_areas_need_a_first_secretary() -> None:
    result = ladder("village", *open_in("village", 2), on=JAN)
    assert result.required == "first_secretary"
    assert result.reasons == ["2 open areas"]
    assert result.open_areas == VILLAGE_AREAS[:2]


def test_three_open_areas_need_a_work_team_and_four_a_reorganisation() -> None:
    three = ladder("village", *open_in("village", 3), on=JAN)
    assert three.required == "work_team" and three.reasons == ["3 open areas"]
    four = ladder("village", *open_in("village", 4), on=JAN)
    assert four.required == "reorganisation" and four.reasons == ["4 open areas"]
    assert four.listing_required is False  # villages are never listed by the ladder


def test_two_problems_in_one_area_are_one_open_area() -> None:
    area = VILLAGE_AREAS[0]
    result = ladder("village", problem("a", area), problem("b", area), on=JAN)
    assert result.open_areas == [area] and result.required == "none"


def test_an_open_paralysis_problem_needs_a_reorganisation() -> None:
    p = problem("p-2", VILLAGE_AREAS[0], paralysis=True)
    result = ladder("village", p, on=JAN)
    assert result.required == "reorganisation"
    assert result.reasons == ["paralysis: p-2"]
    solved = problem("p-3", VILLAGE_AREAS[0], paralysis=True, resolved_on=date(2025, 2, 1))
    assert ladder("village", solved, on=date(2025, 2, 1)).required == "none"


def test_a_problem_resolved_on_d_is_not_open_on_d_and_one_registered_after_d_does_not_count() -> (
    None
):
    p = problem("p1", VILLAGE_AREAS[0], deadline=JAN, resolved_on=date(2025, 2, 1))
    assert ladder("village", p, on=date(2025, 1, 31)).overdue == ["p1"]
    assert ladder("village", p, on=date(2025, 2, 1)).open_areas == []
    later = problem("p2", VILLAGE_AREAS[0], on=date(2025, 5, 1))
    assert ladder("village", later, on=date(2025, 4, 30)).open_areas == []


def test_a_first_secretary_fails_when_a_problem_open_at_start_is_open_the_day_after_its_term() -> (
    None
):
    p = problem("p1", VILLAGE_AREAS[0], deadline=date(2025, 2, 1))
    fs = intervention("i-1", "first_secretary", date(2025, 3, 1))  # until 2025-09-01
    on_until = ladder("village", p, fs, on=date(2025, 9, 1))
    assert on_until.required == "first_secretary" and not on_until.shortfall
    assert on_until.active is not None and not on_until.active.expired
    day_after = ladder("village", p, fs, on=date(2025, 9, 2))
    assert day_after.required == "work_team"
    assert day_after.reasons == ["first_secretary i-1 failed on 2025-09-02"]
    assert day_after.shortfall
    assert day_after.active is not None and day_after.active.expired
    assert day_after.evidence == ["r-p1", "r-i-1"]


def test_a_first_secretary_whose_problems_are_solved_by_the_day_after_its_term_has_not_failed() -> (
    None
):
    p = problem("p1", VILLAGE_AREAS[0], resolved_on=date(2025, 9, 2))
    fs = intervention("i-1", "first_secretary", date(2025, 3, 1), ended_on=date(2025, 9, 1))
    result = ladder("village", p, fs, on=date(2025, 10, 1))
    assert result.required == "none" and result.active is None


def test_a_problem_registered_after_the_start_does_not_make_the_measure_fail() -> None:
    fs = intervention("i-1", "first_secretary", date(2025, 3, 1))
    p = problem("p1", VILLAGE_AREAS[0], on=date(2025, 3, 2))
    assert ladder("village", fs, p, on=date(2025, 10, 1)).required == "none"


def test_a_failure_is_superseded_by_a_higher_measure_started_after_it() -> None:
    p = problem("p1", VILLAGE_AREAS[0])
    fs = intervention("i-1", "first_secretary", date(2025, 2, 1), ended_on=date(2025, 8, 1))
    before = ladder("village", p, fs, on=date(2025, 9, 1))
    assert before.required == "work_team" and before.shortfall
    wt = intervention("i-2", "work_team", date(2025, 9, 10))
    after = ladder("village", p, fs, wt, on=date(2025, 9, 10))
    assert after.required == "none"  # the failure no longer counts; one area in time
    assert after.active is not None and after.active.measure == "work_team"
    assert not after.shortfall


def test_a_work_team_failure_needs_a_reorganisation() -> None:
    p = problem("p1", VILLAGE_AREAS[0])
    wt = intervention("i-2", "work_team", date(2025, 2, 1))
    result = ladder("village", p, wt, on=date(2025, 8, 2))
    assert result.required == "reorganisation"
    assert result.reasons == ["work_team i-2 failed on 2025-08-02"]
    assert result.shortfall


def test_an_active_measure_lower_than_the_required_one_is_a_shortfall() -> None:
    fs = intervention("i-1", "first_secretary", date(2025, 1, 1))
    result = ladder("village", *open_in("village", 3), fs, on=date(2025, 1, 2))
    assert result.required == "work_team" and result.shortfall
    higher = intervention("i-2", "reorganisation", date(2025, 1, 1))
    assert not ladder("village", *open_in("village", 3), higher, on=date(2025, 1, 2)).shortfall


def test_an_intervention_ended_on_d_is_not_active_on_d() -> None:
    fs = intervention("i-1", "first_secretary", date(2025, 1, 1), ended_on=date(2025, 4, 1))
    assert ladder("village", fs, on=date(2025, 3, 31)).active is not None
    assert ladder("village", fs, on=date(2025, 4, 1)).active is None


def test_a_reorganisation_runs_a_full_term_of_five_years() -> None:
    ro = intervention("i-9", "reorganisation", date(2025, 3, 31))
    active = ladder("village", ro, on=date(2030, 4, 1)).active
    assert active is not None and active.until == date(2030, 3, 31) and active.expired


# -------------------------------------------------------------------- community rungs


def test_community_rungs_street_leader_then_work_group_and_listing() -> None:
    one = problem("p1", COMMUNITY_AREAS[0], deadline=date(2025, 1, 10))
    assert ladder("community", one, on=date(2025, 1, 10)).required == "none"
    overdue = ladder("community", one, on=date(2025, 1, 11))
    assert overdue.required == "street_leader" and overdue.reasons == ["1 overdue area"]
    assert not overdue.listing_required
    two = ladder("community", *open_in("community", 2), on=JAN)
    assert two.required == "street_leader" and two.reasons == ["2 open areas"]
    three = ladder("community", *open_in("community", 3), on=JAN)
    assert three.required == "work_group" and three.reasons == ["3 open areas"]
    assert three.listing_required and not three.listed


def test_two_open_areas_one_overdue_give_two_reasons_in_order() -> None:
    items = [*open_in("community", 1), problem("q", COMMUNITY_AREAS[1], deadline=date(2025, 1, 5))]
    result = ladder("community", *items, on=date(2025, 2, 1))
    assert result.reasons == ["2 open areas", "1 overdue area"]


def test_a_street_leader_failing_after_three_months_lists_the_community() -> None:
    p = problem("p1", COMMUNITY_AREAS[0])
    sl = intervention("i1", "street_leader", date(2025, 5, 15))  # until 2025-08-15
    assert ladder("community", p, sl, on=date(2025, 8, 15)).required == "none"
    failed = ladder("community", p, sl, on=date(2025, 8, 16))
    assert failed.required == "work_group" and failed.listing_required
    assert failed.reasons == ["street_leader i1 failed on 2025-08-16"]
    assert listing_reason(failed) == "整改整顿: street_leader i1 failed on 2025-08-16"


def test_an_active_work_group_keeps_the_listing_required_and_the_reason_names_it() -> None:
    wg = intervention("i1", "work_group", date(2025, 5, 1))
    result = ladder("community", wg, on=date(2025, 6, 1))
    assert result.required == "none" and result.listing_required
    assert "work_group i1" in listing_reason(result)


def test_listed_means_a_weak_and_lax_spell_is_open_on_d() -> None:
    spell = SpellEntry(
        designated_id="w", designated_on=date(2025, 3, 1), lifted_on=date(2025, 6, 1)
    )
    assert not ladder("community", spell, on=date(2025, 2, 28)).listed
    assert ladder("community", spell, on=date(2025, 3, 1)).listed
    assert not ladder("community", spell, on=date(2025, 6, 1)).listed


def test_the_ladder_object_is_the_json_of_section_4() -> None:
    problems = open_in("community", 2)
    sl = intervention("i-1", "street_leader", date(2025, 9, 1))
    obj = ladder_json(ladder("community", *problems, sl, on=date(2025, 10, 1)))
    assert obj["active"] == {
        "intervention": "i-1",
        "measure": "street_leader",
        "until": "2025-12-01",
        "expired": False,
    }
    assert list(obj) == [
        "branch",
        "on",
        "open_areas",
        "overdue",
        "required",
        "reasons",
        "active",
        "shortfall",
        "listing_required",
        "listed",
        "evidence",
    ]
    assert obj["evidence"] == ["r-p0", "r-p1", "r-i-1"]


def stretched(**changes: dict[str, int] | int) -> LadderStandards:
    figures = SEED_STANDARDS.ladder.model_dump()
    for table, value in changes.items():
        figures[table] = {**figures[table], **value} if isinstance(value, dict) else value
    return LadderStandards.model_validate(figures)


def test_the_thresholds_and_terms_are_the_standards_given() -> None:
    on = date(2025, 3, 1)
    two = open_in("village", 2)
    assert ladder("village", *two, on=on).required == "first_secretary"
    higher = stretched(open_areas={"first_secretary": 3, "work_team": 4, "reorganisation": 5})
    assert ladder("village", *two, on=on, standards=higher).required == "none"
    assert ladder("village", *open_in("village", 5), on=on, standards=higher).reasons == [
        "5 open areas"
    ]
    assert ladder("community", *open_in("community", 2), on=on).required == "street_leader"
    lower = stretched(open_areas={"street_leader": 1, "work_group": 2})
    found = ladder("community", *open_in("community", 2), on=on, standards=lower)
    assert (found.required, found.listing_required) == ("work_group", True)
    started = intervention("i1", "street_leader", JAN)
    seed = ladder("community", started, on=on)
    assert seed.active is not None and seed.active.until == date(2025, 4, 1)
    longer = ladder(
        "community", started, on=on, standards=stretched(term_months={"street_leader": 1})
    )
    assert longer.active is not None and longer.active.until == date(2025, 2, 1)
    assert longer.active.expired


def test_ladder_standards_need_every_measure_and_rising_thresholds() -> None:
    figures = SEED_STANDARDS.ladder.model_dump()
    del figures["term_months"]["work_group"]
    with pytest.raises(ValueError, match="work_group"):
        LadderStandards.model_validate(figures)
    with pytest.raises(ValueError, match="rung by rung"):
        stretched(open_areas={"work_team": 2})
