"""Cases (mechanisms.md §3) and the ladder (§4) through the real stores, SQLite and PostgreSQL:
the read models kept by the projection and by ``fivestar rebuild``, the indexed county
queries, the case refusals of §1, and ``ladder --apply`` changing eligibility.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.application import case_reads as cases
from domain.application import case_reads as ladder
from domain.application.service import FiveStar, rebuild_views
from domain.model.cases import case_json, summary_json
from domain.model.ladder import ladder_json
from tests.support.builders import community, rec, village
from tests.support.ledgers import FIXTURES, SHARED

WriteLedger = Callable[..., Path]
# The mechanisms example: the shared one beside the checkout when it is there (as in CI),
# else the tests' own copy of it (tests/fixtures/), so a bare clone runs these tests too.
_SHARED = SHARED / "examples"
EXAMPLES = _SHARED if (_SHARED / "ledger-mechanisms.jsonl").is_file() else FIXTURES
LEDGER = EXAMPLES / "ledger-mechanisms.jsonl"
EXPECTED = EXAMPLES / "ledger-mechanisms.expected.json"


def _expected() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def _answers(svc: FiveStar) -> dict[str, Any]:
    return {
        "cases": [case_json(c) for c in cases.judged_cases(svc, date(2025, 6, 30))],
        "summary": [summary_json(r) for r in cases.case_summary(svc, 2025, date(2025, 12, 31))],
        "ladder": [ladder_json(r) for r in ladder.judged_ladder(svc, date(2025, 10, 1))],
    }


def test_the_example_ledger_gives_the_expected_cases_summary_and_ladder_also_after_rebuild(
    service: FiveStar,
) -> None:
    service.import_file(LEDGER, "test:mechanisms")
    want = _expected()
    ladder_want = want["ladder"]["2025-10-01"]
    got = _answers(service)
    assert got["cases"] == want["cases"]["2025-06-30"]
    assert got["summary"] == want["cases_summary"]["2025"]["2025-12-31"]
    assert [{**o, "reasons": len(o["reasons"])} for o in got["ladder"]] == [
        {**o, "reasons": len(o["reasons"])} for o in ladder_want
    ]
    rebuild_views(service)
    assert _answers(service) == got


def test_the_summary_counts_are_the_case_objects_counts(service: FiveStar) -> None:
    service.import_file(LEDGER, "test:mechanisms")
    on = date(2025, 12, 31)
    judged = [c for c in cases.judged_cases(service, on) if c.reported_on.year == 2025]
    rows = cases.case_summary(service, 2025, on)
    assert sum(r.reported for r in rows) == len(judged)
    assert sum(r.overdue for r in rows) == sum(c.overdue for c in judged)
    assert sum(r.closed for r in rows) == sum(c.state == "closed" for c in judged)
    assert sum(r.escalated for r in rows) == sum(len(c.stages) > 1 for c in judged)
    stages = sum(len(s.breaches) for c in judged for s in c.stages)
    assert sum(sum(r.breaches.values()) for r in rows) == stages


def case(kind: str, code: str, on: str, name: str, **fields: Any) -> dict[str, Any]:
    return rec(f"case.{kind}", code, on, case=name, **fields)


def reported(code: str, on: str, name: str) -> dict[str, Any]:
    return case("reported", code, on, name, category="dispute", occurred_on=on)


def test_a_countys_overdue_cases_on_d_come_from_the_read_model(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    lines = [
        village("V1", "清丰县", "柳格镇"),
        village("V2", "南乐县", "城关镇"),
        community("C1", "清丰县", "城关镇"),
        reported("V1", "2025-03-01", "k1"),
        reported("V1", "2025-03-01", "k2"),
        case("resolved", "V1", "2025-03-05", "k2", outcome="调解"),
        reported("V2", "2025-03-01", "k1"),
        reported("C1", "2025-03-01", "k1"),
        case("assigned", "C1", "2025-03-01", "k1", level="township", unit="街道"),
    ]
    report = service.import_file(write_ledger(lines), "test")
    assert report.ok, report.refused

    def overdue(on: str, county: str = "清丰县") -> list[tuple[str, str]]:
        judged = cases.judged_cases(service, date.fromisoformat(on), county=county)
        return [(c.branch, c.case) for c in judged if c.overdue]

    # 清丰县 overrides: township limit 12 days, resolve 5 days
    assert overdue("2025-03-06") == []
    assert overdue("2025-03-07") == [("C1", "k1")]
    assert overdue("2025-03-13") == [("C1", "k1")]
    assert overdue("2025-03-14") == [("C1", "k1"), ("V1", "k1")]
    assert overdue("2025-03-16", "南乐县") == []
    assert overdue("2025-03-17", "南乐县") == [("V2", "k1")]
    assert cases.judged_cases(service, date(2025, 2, 28), county="清丰县") == []
    assert cases.judged_cases(service, date(2025, 3, 1), branch="V1")[0].limits == "清丰县"


CASE_REFUSALS = [
    # (record, the rule the refusal names)
    (case("progressed", "V1", "2025-03-06", "k1", note="x"), "closed"),
    (case("escalated", "V1", "2025-03-03", "k2"), "already at county"),
    (case("assigned", "V1", "2025-03-03", "k3", level="county", unit="县"), "escalated"),
    (case("verified", "C1", "2025-03-03", "k1", satisfied=True), "not resolved"),
    (case("progressed", "C1", "2025-03-06", "k2", note="x"), "resolved"),
    (case("progressed", "C1", "2025-03-09", "k3", note="x"), "closed"),
    (case("progressed", "C1", "2025-02-28", "k1", note="x"), "on"),
    (case("progressed", "C1", "2025-03-05", "nope", note="x"), "case"),
    (reported("V1", "2025-03-01", "k1"), "already reported"),
]


def test_case_stage_transitions_and_the_refusals_of_section_1(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    ok = [
        village("V1"),
        community("C1"),
        reported("V1", "2025-03-01", "k1"),
        case("resolved", "V1", "2025-03-05", "k1", outcome="调解"),
        reported("V1", "2025-03-01", "k2"),
        case("escalated", "V1", "2025-03-02", "k2"),
        case("assigned", "V1", "2025-03-02", "k2", level="county", unit="县信访局"),
        reported("V1", "2025-03-01", "k3"),
        reported("C1", "2025-03-01", "k1"),
        reported("C1", "2025-03-01", "k2"),
        case("assigned", "C1", "2025-03-01", "k2", level="county", unit="县住建局"),
        case("resolved", "C1", "2025-03-04", "k2", outcome="修复"),
        reported("C1", "2025-03-01", "k3"),
        case("assigned", "C1", "2025-03-01", "k3", level="township", unit="街道"),
        case("resolved", "C1", "2025-03-04", "k3", outcome="x"),
        case("verified", "C1", "2025-03-05", "k3", satisfied=False),
        case("resolved", "C1", "2025-03-07", "k3", outcome="再次处理"),
        case("verified", "C1", "2025-03-08", "k3", satisfied=True),
    ]
    report = service.import_file(write_ledger(ok + [r for r, _ in CASE_REFUSALS]), "test")
    refused = {rid: reason for _, rid, reason in report.refused}
    assert set(refused) == {r["id"] for r, _ in CASE_REFUSALS}
    for record, rule in CASE_REFUSALS:
        assert rule in refused[record["id"]], refused[record["id"]]
    judged = {(c.branch, c.case): c for c in cases.judged_cases(service, date(2025, 3, 10))}
    assert judged[("V1", "k1")].state == "closed" and judged[("V1", "k1")].within_target
    assert [s.level for s in judged[("V1", "k2")].stages] == ["township", "county"]
    assert judged[("C1", "k1")].level is None
    assert judged[("C1", "k2")].state == "resolved" and judged[("C1", "k2")].level == "county"
    reopened = judged[("C1", "k3")]
    assert reopened.state == "closed" and reopened.stages[0].end == date(2025, 3, 7)
    assert len(reopened.evidence) == 6


def problem(code: str, on: str, name: str, area: str, deadline: str, **kw: Any) -> dict[str, Any]:
    return rec(
        "problem.registered",
        code,
        on,
        problem=name,
        area=area,
        summary="群众反映",
        deadline=deadline,
        **kw,
    )


COMMUNITY_AREAS = ["branch_strong", "co_build_share", "happiness_harmony"]


def test_ladder_apply_lists_once_and_excludes_the_community_from_rating(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    lines = [
        community("C1", "华龙区", "胜利路街道"),
        community("C2", "华龙区", "胜利路街道"),
        community("C3", "清丰县", "城关镇"),
        village("V1", "华龙区", "岳村镇"),
        *[
            problem("C1", "2025-03-01", f"p{i}", a, "2025-06-30")
            for i, a in enumerate(COMMUNITY_AREAS)
        ],
        problem("C2", "2025-03-01", "p1", "branch_strong", "2025-04-30"),
        *[
            problem("C3", "2025-03-01", f"p{i}", a, "2025-06-30")
            for i, a in enumerate(COMMUNITY_AREAS)
        ],
        *[
            problem("V1", "2025-03-01", f"p{i}", a, "2025-06-30")
            for i, a in enumerate(["industry_thriving", "ecology_livable", "civility_happiness"])
        ],
    ]
    assert service.import_file(write_ledger(lines), "test").ok
    on = date(2025, 5, 1)
    before = service.eligibility(2025, branch="C1")[0]
    assert not before.excluded
    shortfall = ladder.judged_ladder(service, on, county="华龙区", shortfall=True)
    assert [(r.branch, r.required) for r in shortfall] == [
        ("C1", "work_group"),
        ("C2", "street_leader"),
        ("V1", "work_team"),
    ]
    first = ladder.apply_listing(service, on, "test", county="华龙区")
    assert [(o.branch, o.outcome) for o in first] == [("C1", "recorded")]
    assert first[0].record is not None and first[0].record["id"] == "ladder-2025-05-01"
    assert first[0].record["reason"] == "整改整顿: 3 open areas"
    again = ladder.apply_listing(service, on, "test", county="华龙区")
    assert [(o.branch, o.outcome, o.since) for o in again] == [
        ("C1", "already listed", "2025-05-01")
    ]
    assert sum(1 for e in service.history("C1") if e.record["type"] == "weakness.designated") == 1
    assert ladder.judged_ladder(service, on, branch="C1")[0].listed
    assert service.eligibility(2025, branch="C1")[0].excluded
    assert not service.eligibility(2025, branch="C3")[0].excluded  # other county


def test_apply_says_the_id_is_used_when_a_lifted_listing_took_it(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    lines = [
        community("C1"),
        *[
            problem("C1", "2025-03-01", f"p{i}", a, "2025-06-30")
            for i, a in enumerate(COMMUNITY_AREAS)
        ],
        rec(
            "weakness.designated", "C1", "2025-04-01", id="ladder-2025-05-01", reason="县委研究决定"
        ),
        rec("weakness.lifted", "C1", "2025-04-20", reason="整顿到位"),
    ]
    assert service.import_file(write_ledger(lines), "test").ok
    outcomes = ladder.apply_listing(service, date(2025, 5, 1), "test")
    assert [(o.branch, o.outcome) for o in outcomes] == [("C1", "id already used")]


@pytest.mark.parametrize("measure", ["first_secretary", "work_team"])
def test_a_measure_failing_the_day_after_its_term_moves_the_village_up_the_ladder(
    service: FiveStar, write_ledger: WriteLedger, measure: str
) -> None:
    people = ["甲"] if measure == "first_secretary" else ["甲", "乙", "丙"]
    lines = [
        village("V1"),
        problem("V1", "2025-01-10", "p1", "industry_thriving", "2025-12-31"),
        rec(
            "intervention.started",
            "V1",
            "2025-02-28",
            intervention="i1",
            measure=measure,
            people=people,
        ),
    ]
    assert service.import_file(write_ledger(lines), "test").ok
    on_until = ladder.judged_ladder(service, date(2025, 8, 28), branch="V1")[0]
    assert on_until.required == "none"
    after = ladder.judged_ladder(service, date(2025, 8, 29), branch="V1")[0]
    higher = {"first_secretary": "work_team", "work_team": "reorganisation"}[measure]
    assert after.required == higher and after.shortfall
    assert after.reasons == [f"{measure} i1 failed on 2025-08-29"]
