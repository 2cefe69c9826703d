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
from domain.model.parameters import load_county_parameters
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
    result = c.judge(c.year_of(facts, 2026), date(2026, 1, 4))
    weekly = next(x for x in result.requirements if x.requirement == "briefing_weekly")
    assert (weekly.due, weekly.held, weekly.evidence) == (1, 1, ["b"])
    year_2025 = {
        x.requirement: x for x in c.judge(c.year_of(facts, 2025), date(2026, 1, 2)).requirements
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
