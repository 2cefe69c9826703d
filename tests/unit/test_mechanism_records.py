"""The working-mechanism records of mechanisms.md §1 on the Branch aggregate, with no store.

Every record type is accepted on a branch of the right kind, and every structural and ledger
refusal of §1 is decided by ``Branch.decide`` on the registers in the aggregate's state (grids,
partners, cooperatives, cases, problems, interventions), naming the field and the rule.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from domain.model import records as r
from domain.model.branch import BranchSnapshot
from tests.support.aggregates import Ledger


@pytest.fixture
def ledger() -> Ledger:
    led = Ledger()
    for code, kind in (("V1", "village"), ("C1", "community")):
        led.ok(
            "branch.registered",
            code,
            "2024-01-01",
            name=code,
            kind=kind,
            county="清丰县",
            township="柳格镇",
            households=800,
            population=2000,
        )
    led.ok("incident.recorded", "C1", "2024-03-01", id="inc-1", category="major_case")
    return led


def grid(led: Ledger, code: str, on: str, g: str = "G1", households: int = 400) -> None:
    led.ok("grid.defined", code, on, grid=g, households=households, head="王", full_time_workers=1)


LINKAGE = dict(
    households=10,
    households_linked=10,
    members=5,
    members_exempt=1,
    members_linking=4,
    members_contacting_weekly=4,
)


# ------------------------------------------------------------------- accepted
def test_every_record_type_is_accepted_on_its_kind(ledger: Ledger) -> None:
    v, c = "V1", "C1"
    ledger.ok("meeting.held", c, "2024-02-01", kind="joint_meeting")
    ledger.ok("activity.held", v, "2024-02-01", kind="emergency_drill")
    grid(ledger, c, "2024-02-01")
    ledger.ok("activity.held", c, "2024-02-02", kind="door_knocking", grid="G1")
    ledger.ok("linkage.reported", v, "2024-03-05", month="2024-02", **LINKAGE)
    ledger.ok("partner.joined", c, "2024-02-01", partner="P1", unit="税务局", unit_kind="organ")
    ledger.ok("partner.left", c, "2024-05-01", partner="P1")
    ledger.ok("cooperative.bound", v, "2024-02-01", cooperative="K1", name="合作社", households=30)
    ledger.ok("cooperative.unbound", v, "2024-06-01", cooperative="K1")
    ledger.ok("facility.reported", v, "2024-12-01", year=2024, facility="public_toilets", value=2)
    ledger.ok(
        "facility.reported", c, "2024-12-01", year=2024, facility="service_centre_m2", value=300.5
    )
    ledger.ok(
        "staffing.reported",
        c,
        "2024-12-01",
        year=2024,
        workers=12,
        lowest_pay=80000,
        social_insurance=True,
        housing_fund=True,
    )
    ledger.ok(
        "case.reported",
        c,
        "2024-04-01",
        case="k1",
        category="dispute",
        occurred_on="2024-03-31",
        grid="G1",
        incident="inc-1",
    )
    ledger.ok("case.assigned", c, "2024-04-01", case="k1", level="township", unit="街道")
    ledger.ok("case.escalated", c, "2024-04-03", case="k1")
    ledger.ok("case.progressed", c, "2024-04-04", case="k1", note="答复")
    ledger.ok("case.resolved", c, "2024-04-05", case="k1", outcome="化解")
    ledger.ok("case.verified", c, "2024-04-06", case="k1", satisfied=True)
    ledger.ok(
        "problem.registered",
        v,
        "2024-05-01",
        problem="p1",
        area="industry_thriving",
        summary="产业弱",
        deadline="2024-08-01",
        paralysis=True,
    )
    ledger.ok("problem.resolved", v, "2024-07-01", problem="p1")
    ledger.ok(
        "intervention.started", v, "2024-05-02", intervention="i1", measure="first_secretary",
        people=["赵"],
    )  # fmt: skip
    ledger.ok("intervention.ended", v, "2024-11-02", intervention="i1")
    ledger.ok("grid.retired", c, "2024-12-01", grid="G1")
    regs = ledger.branches[c].registers
    assert regs.grids["G1"].retired_on is not None
    assert regs.cases["k1"].closed and regs.cases["k1"].level == "county"
    assert ledger.branches[v].registers.problems["p1"].resolved_on is not None


def test_registers_survive_a_snapshot(ledger: Ledger) -> None:
    grid(ledger, "C1", "2024-02-01")
    ledger.ok(
        "case.reported", "C1", "2024-04-01", case="k1", category="other", occurred_on="2024-04-01"
    )
    snap = BranchSnapshot.take(ledger.branches["C1"])
    back = msgspec.json.decode(msgspec.json.encode(snap), type=BranchSnapshot)
    assert back.state.registers == ledger.branches["C1"].registers
    assert "G1" in back.state.registers.grids and "k1" in back.state.registers.cases


# ----------------------------------------------------------------- structural
@pytest.mark.parametrize(
    ("field", "type_", "branch", "fields"),
    [
        ("kind", "meeting.held", "V1", {"kind": "joint_meeting"}),
        ("kind", "activity.held", "V1", {"kind": "door_knocking", "grid": "G1"}),
        ("kind", "activity.held", "C1", {"kind": "parade"}),
        ("grid", "activity.held", "C1", {"kind": "door_knocking"}),
        ("type", "linkage.reported", "C1", {"month": "2024-01", **LINKAGE}),
        ("month", "linkage.reported", "V1", {**LINKAGE, "month": "2024-13"}),
        (
            "households_linked",
            "linkage.reported",
            "V1",
            {**LINKAGE, "month": "2024-01", "households_linked": 11},
        ),
        (
            "members_exempt",
            "linkage.reported",
            "V1",
            {**LINKAGE, "month": "2024-01", "members_exempt": 6},
        ),
        (
            "members_linking",
            "linkage.reported",
            "V1",
            {**LINKAGE, "month": "2024-01", "members_linking": 6},
        ),
        (
            "members_contacting_weekly",
            "linkage.reported",
            "V1",
            {**LINKAGE, "month": "2024-01", "members_contacting_weekly": 5},
        ),
        ("households", "linkage.reported", "V1", {**LINKAGE, "month": "2024-01", "households": -1}),
        (
            "type",
            "grid.defined",
            "V1",
            {"grid": "G1", "households": 1, "head": "x", "full_time_workers": 1},
        ),
        (
            "full_time_workers",
            "grid.defined",
            "C1",
            {"grid": "G1", "households": 1, "head": "x", "full_time_workers": -1},
        ),
        (
            "grid",
            "grid.defined",
            "C1",
            {"grid": "G 1", "households": 1, "head": "x", "full_time_workers": 1},
        ),
        ("type", "partner.joined", "V1", {"partner": "P", "unit": "u", "unit_kind": "organ"}),
        ("unit_kind", "partner.joined", "C1", {"partner": "P", "unit": "u", "unit_kind": "ngo"}),
        ("type", "cooperative.bound", "C1", {"cooperative": "K", "name": "n", "households": 1}),
        (
            "households",
            "cooperative.bound",
            "V1",
            {"cooperative": "K", "name": "n", "households": 0},
        ),
        (
            "facility",
            "facility.reported",
            "C1",
            {"year": 2024, "facility": "public_toilets", "value": 1},
        ),
        (
            "facility",
            "facility.reported",
            "V1",
            {"year": 2024, "facility": "service_centre_m2", "value": 1},
        ),
        (
            "value",
            "facility.reported",
            "V1",
            {"year": 2024, "facility": "public_toilets", "value": -1},
        ),
        (
            "year",
            "facility.reported",
            "V1",
            {"year": 1999, "facility": "public_toilets", "value": 1},
        ),
        (
            "type",
            "staffing.reported",
            "V1",
            {
                "year": 2024,
                "workers": 1,
                "lowest_pay": 1,
                "social_insurance": True,
                "housing_fund": True,
            },
        ),
        (
            "lowest_pay",
            "staffing.reported",
            "C1",
            {
                "year": 2024,
                "workers": 1,
                "lowest_pay": -5,
                "social_insurance": True,
                "housing_fund": True,
            },
        ),
        (
            "category",
            "case.reported",
            "V1",
            {"case": "k", "category": "fight", "occurred_on": "2024-01-01"},
        ),
        (
            "occurred_on",
            "case.reported",
            "V1",
            {"case": "k", "category": "other", "occurred_on": "2024-06-02"},
        ),
        ("level", "case.assigned", "V1", {"case": "k", "level": "city", "unit": "u"}),
        ("type", "case.verified", "V1", {"case": "k", "satisfied": True}),
        (
            "area",
            "problem.registered",
            "V1",
            {"problem": "p", "area": "co_build_share", "summary": "s", "deadline": "2024-07-01"},
        ),
        (
            "deadline",
            "problem.registered",
            "V1",
            {"problem": "p", "area": "industry_thriving", "summary": "s", "deadline": "2024-05-01"},
        ),
        (
            "paralysis",
            "problem.registered",
            "C1",
            {
                "problem": "p",
                "area": "co_build_share",
                "summary": "s",
                "deadline": "2024-07-01",
                "paralysis": True,
            },
        ),
        (
            "measure",
            "intervention.started",
            "C1",
            {"intervention": "i", "measure": "work_team", "people": ["a", "b", "c"]},
        ),
        (
            "measure",
            "intervention.started",
            "V1",
            {"intervention": "i", "measure": "street_leader", "people": ["a"]},
        ),
        (
            "people",
            "intervention.started",
            "V1",
            {"intervention": "i", "measure": "first_secretary", "people": ["a", "b"]},
        ),
        (
            "people",
            "intervention.started",
            "V1",
            {"intervention": "i", "measure": "work_team", "people": ["a", "b"]},
        ),
        (
            "people",
            "intervention.started",
            "V1",
            {"intervention": "i", "measure": "reorganisation", "people": ["a"] * 6},
        ),
        (
            "people",
            "intervention.started",
            "C1",
            {"intervention": "i", "measure": "work_group", "people": []},
        ),
        (
            "people",
            "intervention.started",
            "C1",
            {"intervention": "i", "measure": "street_leader", "people": ["a", "b"]},
        ),
    ],
)
def test_structural_refusals(
    ledger: Ledger, field: str, type_: str, branch: str, fields: dict[str, Any]
) -> None:
    reason = ledger.refused(field, type_, branch, "2024-06-01", **fields)
    assert reason.startswith("structural:")


# -------------------------------------------------------------------- ledger
def test_linkage_dated_before_its_month_is_refused(ledger: Ledger) -> None:
    ledger.refused("on", "linkage.reported", "V1", "2024-02-29", month="2024-03", **LINKAGE)
    ledger.ok("linkage.reported", "V1", "2024-03-01", month="2024-03", **LINKAGE)


def test_grid_register(ledger: Ledger) -> None:
    ledger.refused("grid", "grid.retired", "C1", "2024-03-01", grid="G9")
    grid(ledger, "C1", "2024-03-01")
    grid(ledger, "C1", "2024-05-01", households=450)  # a redefinition
    ledger.refused("on", "grid.retired", "C1", "2024-02-28", grid="G1")
    # door knocking needs the grid active on its date
    ledger.refused("grid", "activity.held", "C1", "2024-02-28", kind="door_knocking", grid="G1")
    ledger.refused("grid", "activity.held", "C1", "2024-03-01", kind="door_knocking", grid="G2")
    ledger.ok("grid.retired", "C1", "2024-06-01", grid="G1")
    ledger.ok("activity.held", "C1", "2024-05-31", kind="door_knocking", grid="G1")
    ledger.refused("grid", "activity.held", "C1", "2024-06-01", kind="door_knocking", grid="G1")
    ledger.refused("grid", "grid.retired", "C1", "2024-07-01", grid="G1")
    reason = ledger.refused(
        "grid", "grid.defined", "C1", "2024-07-01", grid="G1", households=1, head="x",
        full_time_workers=1,
    )  # fmt: skip
    assert "retired" in reason and "mechanisms.md §1" in reason
    state = ledger.branches["C1"].registers.grids["G1"]
    assert state.state_on(r.date(2024, 5, 31)).households == 450
    assert state.state_on(r.date(2024, 6, 1)) is None


def test_partner_register(ledger: Ledger) -> None:
    joined = dict(unit="税务局", unit_kind="organ")
    ledger.refused("partner", "partner.left", "C1", "2024-03-01", partner="P1")
    ledger.ok("partner.joined", "C1", "2024-03-01", partner="P1", **joined)
    ledger.refused("partner", "partner.joined", "C1", "2024-04-01", partner="P1", **joined)
    ledger.refused("on", "partner.left", "C1", "2024-02-01", partner="P1")
    ledger.ok("partner.left", "C1", "2024-05-01", partner="P1")
    ledger.refused("partner", "partner.left", "C1", "2024-06-01", partner="P1")
    ledger.ok("partner.joined", "C1", "2024-07-01", partner="P1", **joined)  # joins again


def test_cooperative_register(ledger: Ledger) -> None:
    bound = dict(name="合作社", households=30)
    ledger.refused("cooperative", "cooperative.unbound", "V1", "2024-03-01", cooperative="K1")
    ledger.ok("cooperative.bound", "V1", "2024-03-01", cooperative="K1", **bound)
    ledger.ok("cooperative.bound", "V1", "2024-04-01", cooperative="K1", enterprise="龙头", **bound)
    ledger.refused("on", "cooperative.unbound", "V1", "2024-02-01", cooperative="K1")
    ledger.ok("cooperative.unbound", "V1", "2024-05-01", cooperative="K1")
    ledger.refused("cooperative", "cooperative.unbound", "V1", "2024-06-01", cooperative="K1")
    coop = ledger.branches["V1"].registers.cooperatives["K1"]
    assert coop.state_on(r.date(2024, 4, 15)).enterprise == "龙头"
    assert coop.state_on(r.date(2024, 5, 1)) is None


def report(led: Ledger, code: str, case: str, on: str = "2024-04-01", **fields: Any) -> None:
    led.ok("case.reported", code, on, case=case, category="dispute", occurred_on=on, **fields)


def test_case_report_refusals(ledger: Ledger) -> None:
    report(ledger, "C1", "k1")
    ledger.refused(
        "case", "case.reported", "C1", "2024-04-02", case="k1", category="other",
        occurred_on="2024-04-01",
    )  # fmt: skip
    ledger.refused(
        "grid", "case.reported", "C1", "2024-04-02", case="k2", category="other",
        occurred_on="2024-04-01", grid="G1",
    )  # fmt: skip
    ledger.refused(
        "incident", "case.reported", "C1", "2024-04-02", case="k3", category="other",
        occurred_on="2024-04-01", incident="nope",
    )  # fmt: skip
    ledger.refused(
        "grid", "case.reported", "V1", "2024-04-02", case="k4", category="other",
        occurred_on="2024-04-01", grid="G1",
    )  # fmt: skip


def test_case_order_refusals(ledger: Ledger) -> None:
    ledger.refused("case", "case.progressed", "C1", "2024-04-02", case="nope", note="x")
    report(ledger, "C1", "k1")
    ledger.refused("on", "case.assigned", "C1", "2024-03-31", case="k1", level="county", unit="u")
    # a community case may go to a county unit directly, and then not be escalated
    ledger.ok("case.assigned", "C1", "2024-04-01", case="k1", level="county", unit="u")
    ledger.refused("case", "case.escalated", "C1", "2024-04-02", case="k1")
    ledger.refused("case", "case.verified", "C1", "2024-04-02", case="k1", satisfied=True)
    ledger.ok("case.resolved", "C1", "2024-04-03", case="k1", outcome="ok")
    ledger.refused("case", "case.progressed", "C1", "2024-04-04", case="k1", note="x")
    ledger.ok("case.verified", "C1", "2024-04-05", case="k1", satisfied=False)  # reopens
    ledger.ok("case.progressed", "C1", "2024-04-06", case="k1", note="again")
    ledger.ok("case.resolved", "C1", "2024-04-07", case="k1", outcome="ok")
    ledger.ok("case.verified", "C1", "2024-04-08", case="k1", satisfied=True)
    ledger.refused("case", "case.verified", "C1", "2024-04-09", case="k1", satisfied=True)
    ledger.refused("case", "case.progressed", "C1", "2024-04-09", case="k1", note="x")


def test_village_case_goes_to_the_county_only_after_escalation(ledger: Ledger) -> None:
    report(ledger, "V1", "k1")
    ledger.refused(
        "level", "case.assigned", "V1", "2024-04-01", case="k1", level="county", unit="u"
    )
    ledger.ok("case.assigned", "V1", "2024-04-01", case="k1", level="township", unit="乡")
    ledger.ok("case.escalated", "V1", "2024-04-02", case="k1")
    ledger.refused("case", "case.escalated", "V1", "2024-04-03", case="k1")
    ledger.ok("case.assigned", "V1", "2024-04-03", case="k1", level="county", unit="县")
    ledger.ok("case.resolved", "V1", "2024-04-04", case="k1", outcome="ok")
    ledger.refused("case", "case.progressed", "V1", "2024-04-05", case="k1", note="x")


def test_problem_register(ledger: Ledger) -> None:
    p = dict(area="industry_thriving", summary="s", deadline="2024-09-01")
    ledger.refused("problem", "problem.resolved", "V1", "2024-04-01", problem="p1")
    ledger.ok("problem.registered", "V1", "2024-04-01", problem="p1", **p)
    ledger.refused("problem", "problem.registered", "V1", "2024-04-02", problem="p1", **p)
    ledger.refused("on", "problem.resolved", "V1", "2024-03-31", problem="p1")
    ledger.ok("problem.resolved", "V1", "2024-04-01", problem="p1")
    ledger.refused("problem", "problem.resolved", "V1", "2024-04-02", problem="p1")


def test_interventions_one_at_a_time_in_date_order(ledger: Ledger) -> None:
    one = dict(measure="first_secretary", people=["赵"])
    ledger.refused("intervention", "intervention.ended", "V1", "2024-04-01", intervention="i1")
    ledger.ok("intervention.started", "V1", "2024-04-01", intervention="i1", **one)
    ledger.refused(
        "intervention", "intervention.started", "V1", "2024-05-01", intervention="i2", **one
    )
    ledger.refused("on", "intervention.ended", "V1", "2024-03-01", intervention="i1")
    ledger.ok("intervention.ended", "V1", "2024-10-01", intervention="i1")
    ledger.refused("intervention", "intervention.ended", "V1", "2024-10-02", intervention="i1")
    ledger.refused(
        "intervention", "intervention.started", "V1", "2024-11-01", intervention="i1", **one
    )
    ledger.refused("on", "intervention.started", "V1", "2024-09-30", intervention="i2", **one)
    ledger.ok("intervention.started", "V1", "2024-10-01", intervention="i2", **one)


def test_a_partner_does_not_join_again_on_a_day_it_is_active(ledger: Ledger) -> None:
    # given P1 active from 2024-03-01 up to the day before 2024-05-01 (§1 Dates)
    joined = dict(unit="税务局", unit_kind="organ")
    ledger.ok("partner.joined", "C1", "2024-03-01", partner="P1", id="j1", **joined)
    ledger.ok("partner.left", "C1", "2024-05-01", partner="P1")
    # when it joins again dated inside that spell, then it is refused (joined while active)
    reason = ledger.refused("partner", "partner.joined", "C1", "2024-04-30", partner="P1", **joined)
    assert "j1" in reason and "2024-04-30" in reason
    ledger.refused("partner", "partner.joined", "C1", "2024-03-01", partner="P1", **joined)
    # the day it left it is no longer active: joining again then, or later, is accepted
    ledger.ok("partner.joined", "C1", "2024-05-01", partner="P1", **joined)
    spells = ledger.branches["C1"].registers.partners["P1"].spells
    assert [(s.joined_on.isoformat(), s.left_on) for s in spells][1] == ("2024-05-01", None)
