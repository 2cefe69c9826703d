"""Cases and their time limits (mechanisms.md §3), judged by the pure rule with no store.

Each test tells one case the way a township or the county platform lives it; every limit is
tried on both sides of its boundary.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from pathlib import Path

import pytest

from domain.model.cases import (
    DEFAULT_LIMITS,
    CaseLimits,
    CaseLimitsError,
    CaseResult,
    CaseStep,
    IncidentEntry,
    SummaryRow,
    add_to_row,
    case_json,
    incidents_without_case,
    judge_case,
    load_case_limits,
    resolved_in_time,
)
from domain.model.rulebook import rulebook_dir

START = date(2025, 3, 1)
LIMITS = DEFAULT_LIMITS.default
_ids = count(1)


def day(n: int) -> date:
    """Day ``n`` of the case: the report is day 0."""
    return START + timedelta(days=n)


def step(type_: str, n: int, **fields: object) -> CaseStep:
    """A case record; fields the rules do not read (unit, note, outcome ...) are dropped."""
    kept = {k: v for k, v in fields.items() if k in CaseStep.__struct_fields__}
    return CaseStep(id=f"r{next(_ids)}", type=f"case.{type_}", on=day(n), **kept)  # type: ignore[arg-type]


def reported(n: int = 0, occurred: int | None = None, **fields: object) -> CaseStep:
    occurred_on = day(occurred if occurred is not None else n)
    return step("reported", n, category="dispute", occurred_on=occurred_on, **fields)


def judge(
    kind: str, *steps: CaseStep, on: int = 60, limits: CaseLimits = LIMITS, name: str = "default"
) -> CaseResult:
    result = judge_case("B1", "c1", kind, steps, limits, name, day(on))
    assert result is not None
    return result


def village(*steps: CaseStep, on: int = 60, limits: CaseLimits = LIMITS) -> CaseResult:
    return judge("village", reported(), *steps, on=on, limits=limits)


def community(*steps: CaseStep, on: int = 60, limits: CaseLimits = LIMITS) -> CaseResult:
    return judge("community", reported(), *steps, on=on, limits=limits)


def breaches(result: CaseResult) -> list[list[str]]:
    return [s.breaches for s in result.stages]


# --------------------------------------------------------------- village township stage


def test_a_village_case_resolved_by_the_township_on_day_7_is_within_the_target() -> None:
    case = village(step("resolved", 7, outcome="调解成功"))
    assert case.within_target is True
    assert case.state == "closed" and breaches(case) == [[]]


def test_a_village_case_resolved_on_day_8_misses_the_target_but_is_no_breach() -> None:
    case = village(step("resolved", 8))
    assert case.within_target is False
    assert breaches(case) == [[]]
    assert resolved_in_time(case)


def test_the_township_limit_holds_on_day_15_and_is_breached_on_day_16() -> None:
    assert breaches(village(step("resolved", 15))) == [[]]
    late = village(step("resolved", 16))
    assert breaches(late) == [["township_limit_days"]]
    assert not resolved_in_time(late)


def test_a_village_case_is_at_township_level_from_its_report_and_its_stage_ends_at_resolution() -> (
    None
):
    case = village(step("resolved", 3))
    assert case.level == "township"
    assert case.stages[0].level == "township"
    assert case.stages[0].end == day(3)


def test_an_unresolved_village_case_is_overdue_only_after_day_15() -> None:
    assert village(on=15).overdue is False
    assert breaches(village(on=15)) == [[]]
    on_16 = village(on=16)
    assert on_16.overdue is True and on_16.state == "open"
    assert breaches(on_16) == [["township_limit_days"]]
    assert on_16.within_target is False


def test_escalation_before_the_township_limit_is_no_breach_and_after_it_is() -> None:
    early = village(step("escalated", 2), on=3)
    assert breaches(early) == [[], []]
    assert early.level == "county" and early.stages[1].start == day(2)
    late = village(step("escalated", 20), on=21)
    assert breaches(late)[0] == ["township_limit_days"]
    assert late.stages[0].end == day(20)


def test_a_stage_ended_by_escalation_is_judged_then_not_on_d() -> None:
    # the township stage stopped on day 10, so the township limit never passes for it
    case = village(step("escalated", 10), step("assigned", 10, level="county"), on=40)
    assert breaches(case)[0] == []
    assert case.escalated and case.within_target is False


def test_the_county_stage_has_acknowledge_respond_and_resolve_limits_but_no_feedback() -> None:
    esc = 2
    on_time = village(
        step("escalated", esc),
        step("assigned", esc + 1, level="county", unit="县信访局"),
        step("progressed", esc + 3, note="首次答复"),
        step("resolved", esc + 7),
    )
    assert breaches(on_time) == [[], []]
    late = village(
        step("escalated", esc),
        step("assigned", esc + 2, level="county"),
        step("progressed", esc + 4, note="x"),
        step("resolved", esc + 8),
    )
    assert breaches(late) == [[], ["acknowledge_days", "respond_days", "resolve_days"]]
    assert late.state == "closed"


def test_an_open_county_stage_is_overdue_after_its_resolve_limit_from_the_escalation() -> None:
    steps = (step("escalated", 5), step("assigned", 5, level="county"))
    assert village(*steps, on=12).overdue is False  # day 7 of the county stage
    assert village(*steps, on=13).overdue is True  # day 8


def test_a_resolution_counts_as_the_first_response() -> None:
    case = village(step("escalated", 0), step("assigned", 0, level="county"), step("resolved", 3))
    assert breaches(case)[1] == []


# ----------------------------------------------------------------- community "13710"


def test_acknowledged_on_day_1_is_in_time_and_on_day_2_late() -> None:
    done = (
        step("progressed", 2, note="x"),
        step("resolved", 3),
        step("verified", 4, satisfied=True),
    )
    assert breaches(community(step("assigned", 1, level="township"), *done)) == [[]]
    late = community(step("assigned", 2, level="township"), *done)
    assert breaches(late) == [["acknowledge_days"]]


def test_feedback_on_day_10_is_in_time_and_on_day_11_late() -> None:
    base = (step("assigned", 0, level="township"), step("resolved", 3))
    ok = community(*base, step("verified", 10, satisfied=True))
    assert breaches(ok) == [[]] and ok.state == "closed"
    late = community(*base, step("verified", 11, satisfied=True))
    assert breaches(late) == [["feedback_days"]]
    assert resolved_in_time(late)  # feedback is not a resolution limit


def test_resolve_on_day_7_and_day_8_and_respond_on_day_3_and_4() -> None:
    ok = community(step("assigned", 0, level="township"), step("progressed", 3, note="x"))
    assert breaches(ok)[0] == ["resolve_days", "feedback_days"]  # judged on D = day 60
    assert "respond_days" not in breaches(ok)[0]
    slow = community(step("assigned", 0, level="township"), step("progressed", 4, note="x"))
    assert "respond_days" in breaches(slow)[0]
    answered = (step("assigned", 0, level="township"), step("progressed", 1, note="x"))
    on7 = community(*answered, step("resolved", 7), on=7)
    assert breaches(on7) == [[]] and on7.state == "resolved"
    on8 = community(*answered, step("resolved", 8), on=8)
    assert breaches(on8) == [["resolve_days"]]


def test_a_case_awaiting_its_check_is_resolved_not_overdue_and_its_feedback_clock_runs() -> None:
    base = (step("assigned", 0, level="township"), step("resolved", 2))
    assert community(*base, on=10).state == "resolved"
    assert breaches(community(*base, on=10)) == [[]]
    waiting = community(*base, on=11)
    assert breaches(waiting) == [["feedback_days"]]
    assert waiting.overdue is False


def test_a_community_case_has_no_level_until_its_first_assignment_decides_it() -> None:
    assert community(on=0).level is None
    assert community(on=0).stages[0].level is None
    direct = community(step("assigned", 0, level="county", unit="县住建局"))
    assert direct.level == "county" and direct.stages[0].level == "county"
    assert not direct.escalated
    street = community(step("assigned", 0, level="township"), step("assigned", 1, level="county"))
    assert street.level == "township"  # the first assignment decides; later ones participate


def test_an_unacknowledged_community_case_breaches_acknowledge_after_day_1() -> None:
    assert breaches(community(on=1)) == [[]]
    assert breaches(community(on=2)) == [["acknowledge_days"]]


def test_a_street_that_escalates_opens_a_county_stage_with_its_own_clock() -> None:
    case = community(
        step("assigned", 0, level="township"),
        step("escalated", 5, reason="需县级协调"),
        step("assigned", 6, level="county"),
        step("progressed", 7, note="x"),
        step("resolved", 9),
        step("verified", 12, satisfied=True),
    )
    assert [s.level for s in case.stages] == ["township", "county"]
    assert breaches(case) == [["respond_days"], []]  # street stopped on day 5 unanswered
    assert case.state == "closed" and case.stages[1].end == day(9)


def test_a_dissatisfied_check_reopens_the_case_in_its_stage_without_restarting_the_clock() -> None:
    steps = (
        step("assigned", 0, level="township"),
        step("resolved", 3),
        step("verified", 4, satisfied=False),
    )
    reopened = community(*steps, on=7)
    assert reopened.state == "open"
    assert reopened.stages[0].end is None
    assert breaches(reopened) == [[]]
    assert reopened.overdue is False
    later = community(*steps, on=8)
    assert later.overdue is True
    assert breaches(later) == [["resolve_days"]]  # the earlier resolution no longer counts
    again = community(*steps, step("resolved", 9), step("verified", 10, satisfied=True))
    assert again.state == "closed"
    assert breaches(again) == [["resolve_days"]]
    assert again.stages[0].end == day(9)


def test_a_reopened_case_keeps_its_first_response() -> None:
    case = community(
        step("assigned", 0, level="township"),
        step("resolved", 2),
        step("verified", 3, satisfied=False),
        on=5,
    )
    assert "respond_days" not in breaches(case)[0]


# ---------------------------------------------------------------------- D and evidence


def test_records_dated_after_d_do_not_count_and_evidence_lists_those_that_do() -> None:
    report = reported()
    assign = step("assigned", 0, level="township")
    resolve = step("resolved", 5)
    before = judge("village", report, assign, resolve, on=4)
    assert before.state == "open" and before.evidence == [report.id, assign.id]
    on_day = judge("village", report, assign, resolve, on=5)
    assert on_day.state == "closed" and on_day.evidence == [report.id, assign.id, resolve.id]
    assert judge_case("B1", "c1", "village", [report], LIMITS, "default", day(-1)) is None


def test_a_report_later_than_a_day_after_the_event_is_reported_late() -> None:
    assert village_reported(occurred=-1).reported_late is False
    assert village_reported(occurred=-2).reported_late is True


def village_reported(occurred: int) -> CaseResult:
    return judge("village", reported(occurred=occurred), on=1)


def test_the_case_object_is_the_json_of_section_3() -> None:
    result = judge("community", reported(incident="r9"), step("assigned", 0, level="county"), on=3)
    obj = case_json(result)
    assert list(obj) == [
        "branch",
        "case",
        "category",
        "occurred_on",
        "reported_on",
        "reported_late",
        "incident",
        "state",
        "level",
        "stages",
        "within_target",
        "overdue",
        "limits",
        "evidence",
    ]
    assert obj["incident"] == "r9" and obj["within_target"] is None
    assert obj["stages"] == [
        {"level": "county", "start": "2025-03-01", "end": None, "breaches": []}
    ]


# ------------------------------------------------------------------------------ limits


def test_a_county_override_changes_only_its_keys_and_names_the_county(tmp_path: Path) -> None:
    path = tmp_path / "case-limits.toml"
    path.write_text(
        "[default]\n"
        + "".join(f"{k} = {v}\n" for k, v in LIMITS.model_dump().items())
        + '\n[counties."清丰县"]\nresolve_days = 5\n',
        encoding="utf-8",
    )
    limits = load_case_limits(path)
    name, qingfeng = limits.for_county("清丰县")
    assert name == "清丰县" and qingfeng.resolve_days == 5 and qingfeng.acknowledge_days == 1
    assert limits.for_county("华龙区") == ("default", LIMITS)
    steps = (
        step("assigned", 0, level="township"),
        step("progressed", 1, note="x"),
        step("resolved", 6),
        step("verified", 7, satisfied=True),
    )
    assert breaches(community(*steps, limits=qingfeng)) == [["resolve_days"]]
    assert breaches(community(*steps)) == [[]]


def test_the_shipped_limits_file_has_the_defaults_of_section_3() -> None:
    shipped = load_case_limits(rulebook_dir() / "case-limits.toml")
    assert shipped.default == LIMITS


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[default]\nreport_days = 1\n", "default.township_target_days"),
        (
            "[default]\n"
            + "".join(f"{k} = 1\n" for k in LIMITS.model_dump())
            + '[counties."清丰县"]\nresolve_day = 5\n',
            "counties.清丰县.resolve_day",
        ),
        (
            "[default]\n" + "".join(f"{k} = -1\n" for k in LIMITS.model_dump()),
            "default.report_days",
        ),
        ("[default\n", "case-limits.toml"),
    ],
)
def test_a_broken_limits_file_names_the_file_and_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "case-limits.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseLimitsError) as refusal:
        load_case_limits(path)
    assert str(path) in str(refusal.value)
    assert named in str(refusal.value)


# ----------------------------------------------------------------------------- summary


def test_the_summary_counts_are_those_of_the_case_objects() -> None:
    cases = [
        village(step("resolved", 3)),
        village(step("escalated", 20), on=30),
        judge("village", reported(occurred=-3), on=40),
        community(step("assigned", 0, level="township"), step("resolved", 9)),
    ]
    row = SummaryRow(county="清丰县", township="柳格镇")
    for case in cases:
        add_to_row(row, case)
    assert row.reported == 4
    assert row.reported_late == sum(c.reported_late for c in cases) == 1
    assert row.escalated == 1
    assert row.closed == sum(c.state == "closed" for c in cases) == 1
    assert row.resolved_in_time == 1
    assert row.overdue == sum(c.overdue for c in cases) == 2
    assert row.breaches == {
        "township_limit_days": 2,
        "acknowledge_days": 1,
        "respond_days": 2,
        "resolve_days": 2,
        "feedback_days": 1,
    }


def test_incidents_without_a_case_are_those_of_the_year_not_retracted_and_not_named() -> None:
    d = date(2025, 12, 31)
    incidents = [
        IncidentEntry(id="i1", on=date(2025, 2, 1), category="major_case"),
        IncidentEntry(id="i2", on=date(2025, 3, 1), category="safety_accident"),
        IncidentEntry(id="i3", on=date(2025, 4, 1), category="illegal_petition", retracted_on=d),
        IncidentEntry(
            id="i4",
            on=date(2025, 4, 1),
            category="emergency_failure",
            retracted_on=date(2026, 1, 2),
        ),
        IncidentEntry(id="i5", on=date(2024, 4, 1), category="major_case"),
        IncidentEntry(id="i6", on=date(2025, 4, 1), category="environment"),
    ]
    assert incidents_without_case(incidents, {"i2"}, 2025, d) == ["i1", "i4"]
