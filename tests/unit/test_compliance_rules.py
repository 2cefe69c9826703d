"""The pure side of mechanisms.md §2: periods, exact arithmetic, the fold and the county
parameters file, with no store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import pytest

from domain.model import compliance as c
from domain.model import records as r
from domain.model.cases import load_case_limits
from domain.model.parameters import (
    SEED_STANDARDS,
    MechanismStandards,
    load_county_parameters,
    load_standards,
)
from domain.model.rulebook import RulebookError, available_rulebooks, rulebook_dir


def test_iso_weeks_of_53_week_years() -> None:
    weeks = c.iso_weeks(2026)
    assert len(weeks) == 53
    assert weeks[0] == ("2026-W01", date(2025, 12, 29), date(2026, 1, 4))
    assert weeks[-1] == ("2026-W53", date(2026, 12, 28), date(2027, 1, 3))
    assert len(c.iso_weeks(2025)) == 52 and len(c.iso_weeks(2020)) == 53


def test_quarters_and_months_end_on_their_last_day() -> None:
    assert c.quarters(2024)[0][2] == date(2024, 3, 31)
    assert c.months(2024)[1][2] == date(2024, 2, 29)  # leap year
    assert c.months(2025)[11] == ("2025-12", date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("workers", "population", "text"),
    [(58, 32223, "18.00"), (29, 16000, "18.13"), (1, 80000, "0.13"), (1, 3, "3333.33")],
)
def test_per_10k_rounds_half_up_in_integers(workers: int, population: int, text: str) -> None:
    assert c.per_10k(workers, population) == text


def test_figures_compare_as_written() -> None:
    assert c.exact(0.1) * 3 == c.exact(0.3)  # 0.1 * 3 != 0.3 in floats
    assert c.exact(600.0) * 100 >= 30 * 2000
    assert not c.exact(599.99) * 100 >= 30 * 2000


def registered(kind: Literal["village", "community"] = "village") -> c.MechanismFacts:
    record = r.BranchRegisteredRecord(
        id="reg", branch="V1", on=date(2020, 1, 1), name="村", kind=kind, county="县",
        township="镇", households=100, population=1001,
    )  # fmt: skip
    return c.new_mechanism_facts(record)


def test_fold_buckets_and_the_slice_judged() -> None:
    facts = registered()
    briefing = r.MeetingHeldRecord(
        id="b", branch="V1", on=date(2025, 12, 29), kind="two_committee_briefing"
    )
    assert set(c.fold_mechanism(facts, briefing, 2)) == {2025, 2026}  # ISO week 2026-W01
    leader = r.MemberDevelopedRecord(
        id="m", branch="V1", on=date(2025, 3, 1), person="甲", wealth_leader=True
    )
    assert set(c.fold_mechanism(facts, leader, 3)) == {2025, 2026}
    plain = r.MemberDevelopedRecord(id="m2", branch="V1", on=date(2025, 3, 1), person="乙")
    assert not c.fold_mechanism(facts, plain, 4)
    toilets = r.FacilityReportedRecord(
        id="f", branch="V1", on=date(2026, 1, 2), year=2025, facility="public_toilets", value=2
    )
    c.fold_mechanism(facts, toilets, 5)
    result = c.judge(c.year_of(facts, 2026), date(2026, 1, 4), SEED_STANDARDS)
    weekly = next(x for x in result.requirements if x.requirement == "briefing_weekly")
    assert (weekly.due, weekly.held, weekly.evidence) == (1, 1, ["b"])
    year_2025 = {
        x.requirement: x
        for x in c.judge(c.year_of(facts, 2025), date(2026, 1, 2), SEED_STANDARDS).requirements
    }
    assert year_2025["public_toilets"].status == "met"  # ceil(1001 / 1000) = 2
    assert year_2025["wealth_leader_biennial"].evidence == ["m"]
    assert [x.requirement for x in result.requirements][:4] == [
        "party_congress_quarterly", "party_lesson_quarterly", "theme_day_monthly",
        "org_life_yearly",
    ]  # fmt: skip


def test_parameter_files_are_not_rulebooks_and_load() -> None:
    assert "county-parameters" not in available_rulebooks()
    assert "case-limits" not in available_rulebooks()
    params = load_county_parameters()
    assert params.for_year("清丰县", 2025).wage_floor == 71600
    assert params.for_year("清丰县", 2026).urban_population is None
    name, limits = load_case_limits(rulebook_dir() / "case-limits.toml").for_county("清丰县")
    assert (limits.resolve_days, limits.report_days, name) == (5, 1, "清丰县")
    assert (
        load_case_limits(rulebook_dir() / "case-limits.toml").for_county("华龙区")[0] == "default"
    )


def test_a_broken_parameters_file_names_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(tmp_path))
    path = tmp_path / "county-parameters.toml"
    path.write_text('["华龙区".2025]\nurban_population = 0\nwage_floor = "lots"\n', "utf-8")
    with pytest.raises(RulebookError) as caught:
        load_county_parameters()
    text = str(caught.value)
    assert str(path) in text and "urban_population" in text and "wage_floor" in text
    path.write_text('["华龙区".2025]\nurban_pop = 1\n', "utf-8")
    with pytest.raises(RulebookError, match="urban_pop"):
        load_county_parameters()
    path.write_text('["华龙区".twenty]\nurban_population = 1\n', "utf-8")
    with pytest.raises(RulebookError, match="twenty"):
        load_county_parameters()
    path.unlink()
    assert load_county_parameters().for_year("华龙区", 2025).wage_floor is None


def test_the_shipped_standards_file_holds_the_seed_figures() -> None:
    assert "mechanism-standards" not in available_rulebooks()
    assert load_standards() == SEED_STANDARDS


def test_a_broken_standards_file_names_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = (rulebook_dir() / "mechanism-standards.toml").read_text("utf-8")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(tmp_path))
    assert load_standards() == SEED_STANDARDS  # no file: the seed's figures
    path = tmp_path / "mechanism-standards.toml"
    for old, new, key in [
        ("theme_day = 5\n", "", "theme_day"),  # every key is required
        ("theme_day = 5\n", "theme_day = 31\n", "theme_day"),
        ("grid_households_min = 300", "grid_households_min = 600", "grid_households_min"),
        ("work_team = 3", "work_team = 5", "open_areas"),
        ("street_leader = 3 ", "street_leader = 0 ", "term_months.street_leader"),
    ]:
        assert old in shipped
        path.write_text(shipped.replace(old, new, 1), "utf-8")
        with pytest.raises(RulebookError, match=key) as caught:
            load_standards()
        assert str(path) in str(caught.value)


def community(households: int = 900) -> c.MechanismFacts:
    record = r.BranchRegisteredRecord(
        id="reg", branch="C1", on=date(2020, 1, 1), name="社区", kind="community", county="区",
        township="街道", households=households, population=3000,
    )  # fmt: skip
    return c.new_mechanism_facts(record)


def judged(facts: c.MechanismFacts, standards: MechanismStandards) -> dict[str, c.Requirement]:
    result = c.judge(c.year_of(facts, 2025), date(2026, 1, 31), standards)
    return {x.requirement: x for x in result.requirements}


def test_requirements_are_judged_against_the_standards_given() -> None:
    facts = community()
    theme = r.MeetingHeldRecord(id="t", branch="C1", on=date(2025, 3, 6), kind="theme_day")
    grid = r.GridDefinedRecord(
        id="g",
        branch="C1",
        on=date(2025, 1, 1),
        grid="G1",
        households=900,
        head="甲",
        full_time_workers=1,
    )
    area = r.FacilityReportedRecord(
        id="f", branch="C1", on=date(2025, 6, 1), year=2025, facility="service_centre_m2",
        value=270,
    )  # fmt: skip
    for seq, record in enumerate([theme, grid, area], start=1):
        c.fold_mechanism(facts, record, seq)
    seed = judged(facts, SEED_STANDARDS)
    assert seed["theme_day_monthly"].warnings == ["2025-03: theme day on 2025-03-06, not the 5th"]
    assert seed["grid_standard"].warnings == ["G1: 900 households, outside 300-500"]
    assert seed["service_centre_area"].status == "met"  # 270 m² >= 30 per 100 of 900
    stretched = SEED_STANDARDS.model_copy(
        update={
            "theme_day": 6,
            "grid_households_max": 1000,
            "grid_full_time_workers": 2,
            "service_centre_m2_per_100_households": 30.5,
        }
    )
    found = judged(facts, stretched)
    assert found["theme_day_monthly"].warnings == []
    assert found["grid_standard"].warnings == []
    assert found["grid_standard"].missing == ["G1: 1 full-time grid workers, 2 needed"]
    assert found["service_centre_area"].status == "missed"  # 274.5 m² needed
    assert c.labels(stretched)["service_centre_area"] == ("服务中心面积", "每百户30.5㎡")


def test_the_staffing_ratio_is_the_standards_figure() -> None:
    facts = community()
    report = r.StaffingReportedRecord(
        id="s", branch="C1", on=date(2025, 6, 1), year=2025, workers=18, lowest_pay=1,
        social_insurance=True, housing_fund=True,
    )  # fmt: skip
    c.fold_mechanism(facts, report, 1)
    communities = [c.year_of(facts, 2025)]

    def figures(county: str) -> tuple[int | None, int | float | None]:
        return 10_000, None

    assert c.staffing(2025, communities, figures, SEED_STANDARDS)[0].meets_ratio is True
    higher = SEED_STANDARDS.model_copy(update={"workers_per_10k": 18.5})
    assert c.staffing(2025, communities, figures, higher)[0].meets_ratio is False


@pytest.mark.parametrize(
    ("workers", "population", "need", "short"),
    [
        (164, 91112, 18, 1),
        (165, 91112, 18, 0),
        (29, 16000, 18, 0),
        (0, 1, 18, 1),
        (10, 10_000, 10.5, 1),
    ],
)
def test_workers_short_is_exact_where_per_10k_rounds(
    workers: int, population: int, need: float, short: int
) -> None:
    assert c.per_10k(164, 91112) == "18.00"  # reads as met, is not: 18 x 91,112 > 1,640,000
    assert c.workers_short(workers, population, need) == short
