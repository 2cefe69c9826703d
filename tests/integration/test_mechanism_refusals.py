"""mechanisms.md §1 through the real stores: `fivestar import` and `POST /records` accept the new
record types and refuse what §1 refuses, on SQLite and PostgreSQL; the registers are rebuilt
from the stream (and from a snapshot) when a branch is loaded again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.application.service import FiveStar
from tests.support.api import Api, assert_problem
from tests.support.builders import community, rec, village

WriteLedger = Callable[..., Path]


def mechanism_ledger() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Records of every §1 type, with the ids that must be refused and the field named."""
    v, c = "V1", "C1"
    linkage = dict(
        households=500,
        households_linked=500,
        members=20,
        members_exempt=2,
        members_linking=18,
        members_contacting_weekly=18,
    )
    grid = dict(households=400, head="王", full_time_workers=1)
    ok = [
        village(v),
        community(c),
        rec("incident.recorded", c, "2024-03-01", id="inc-1", category="major_case"),
        rec("meeting.held", c, "2024-02-01", kind="joint_meeting"),
        rec("activity.held", v, "2024-02-01", kind="emergency_drill"),
        rec("grid.defined", c, "2024-02-01", grid="G1", **grid),
        rec("activity.held", c, "2024-02-02", kind="door_knocking", grid="G1"),
        rec("linkage.reported", v, "2024-03-05", month="2024-02", **linkage),
        rec("partner.joined", c, "2024-02-01", partner="P1", unit="税务局", unit_kind="organ"),
        rec("partner.left", c, "2024-05-01", partner="P1"),
        rec("cooperative.bound", v, "2024-02-01", cooperative="K1", name="社", households=30),
        rec("cooperative.unbound", v, "2024-06-01", cooperative="K1"),
        rec("facility.reported", v, "2024-12-01", year=2024, facility="public_toilets", value=2),
        rec(
            "staffing.reported",
            c,
            "2024-12-01",
            year=2024,
            workers=3,
            lowest_pay=80000,
            social_insurance=True,
            housing_fund=False,
        ),
        rec(
            "case.reported",
            c,
            "2024-04-01",
            case="k1",
            category="dispute",
            occurred_on="2024-04-01",
            grid="G1",
            incident="inc-1",
        ),
        rec("case.assigned", c, "2024-04-01", case="k1", level="township", unit="街道"),
        rec("case.escalated", c, "2024-04-02", case="k1"),
        rec("case.progressed", c, "2024-04-03", case="k1", note="答复"),
        rec("case.resolved", c, "2024-04-04", case="k1", outcome="化解"),
        rec("case.verified", c, "2024-04-05", case="k1", satisfied=True),
        rec(
            "problem.registered",
            v,
            "2024-05-01",
            problem="p1",
            area="industry_thriving",
            summary="s",
            deadline="2024-08-01",
        ),
        rec("problem.resolved", v, "2024-07-01", problem="p1"),
        rec(
            "intervention.started",
            v,
            "2024-05-02",
            intervention="i1",
            measure="work_team",
            people=["a", "b", "c"],
        ),
        rec("intervention.ended", v, "2024-11-02", intervention="i1"),
        rec("grid.retired", c, "2024-12-01", grid="G1"),
    ]
    bad = {
        "x-joint": (
            "kind",
            rec("meeting.held", v, "2024-02-01", id="x-joint", kind="joint_meeting"),
        ),
        "x-knock": (
            "grid",
            rec("activity.held", c, "2024-12-02", id="x-knock", kind="door_knocking", grid="G1"),
        ),
        "x-month": (
            "on",
            rec("linkage.reported", v, "2024-02-28", id="x-month", month="2024-03", **linkage),
        ),
        "x-regrid": (
            "grid",
            rec("grid.defined", c, "2024-12-05", id="x-regrid", grid="G1", **grid),
        ),
        "x-left": ("partner", rec("partner.left", c, "2024-06-01", id="x-left", partner="P1")),
        "x-unbind": (
            "cooperative",
            rec("cooperative.unbound", v, "2024-07-01", id="x-unbind", cooperative="K1"),
        ),
        "x-case": (
            "case",
            rec("case.progressed", c, "2024-04-06", id="x-case", case="k1", note="x"),
        ),
        "x-twice": (
            "problem",
            rec(
                "problem.registered",
                v,
                "2024-05-01",
                id="x-twice",
                problem="p1",
                area="industry_thriving",
                summary="s",
                deadline="2024-08-01",
            ),
        ),
        "x-early": (
            "on",
            rec(
                "intervention.started",
                v,
                "2024-11-01",
                id="x-early",
                intervention="i2",
                measure="first_secretary",
                people=["a"],
            ),
        ),
        "x-people": (
            "people",
            rec(
                "intervention.started",
                v,
                "2024-12-01",
                id="x-people",
                intervention="i3",
                measure="reorganisation",
                people=["a"],
            ),
        ),
    }
    lines = ok + [record for _, record in bad.values()]
    return lines, {rid: field for rid, (field, _) in bad.items()}


def test_import_accepts_and_refuses_per_section_1(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    lines, expected = mechanism_ledger()
    report = service.import_file(write_ledger(lines), "test:mechanisms")
    got = {rid: reason for _, rid, reason in report.refused}
    assert set(got) == set(expected), got
    for rid, field in expected.items():
        assert f"{field}:" in got[rid] and "mechanisms.md §1" in got[rid], got[rid]
    assert report.applied == len(lines) - len(expected)


def test_registers_reload_from_the_store(db: str, write_ledger: WriteLedger) -> None:
    lines, _ = mechanism_ledger()
    with FiveStar(db) as svc:
        svc.import_file(write_ledger(lines), "test:mechanisms")
    with FiveStar(db) as svc:
        # the registers come back from the store: P1 has left, so it may leave no more
        later = [rec("partner.left", "C1", "2024-06-01", id="x2-left", partner="P1")]
        report = svc.import_file(write_ledger(later), "test:mechanisms")
        assert [rid for _, rid, _ in report.refused] == ["x2-left"]
        rejoin = rec(
            "partner.joined", "C1", "2024-07-01", partner="P1", unit="u", unit_kind="organ"
        )
        report = svc.import_file(write_ledger([rejoin]), "test:mechanisms")
        assert report.applied == 1 and not report.refused


def test_post_records_roles(api: Api) -> None:
    api.register([village("V1"), community("C1")])
    recorder = api.token("recorder", county="清丰县")
    county = api.token("county", county="清丰县")
    drill = rec("activity.held", "V1", "2024-02-01", kind="emergency_drill")
    assert api.post(drill, recorder).status_code == 201
    link = rec(
        "linkage.reported", "V1", "2024-03-01", month="2024-03", households=1,
        households_linked=1, members=1, members_exempt=0, members_linking=1,
        members_contacting_weekly=1,
    )  # fmt: skip
    assert api.post(link, recorder).status_code == 201
    case = rec(
        "case.reported", "V1", "2024-03-01", case="k1", category="other", occurred_on="2024-03-01"
    )
    assert_problem(api.post(case, api.token("city")), 403)  # case records: not the city's
    assert api.post(case, county).status_code == 201
    assert api.post(case, api.admin).status_code == 200  # duplicate
    problem = assert_problem(api.post({**case, "id": "k1-again"}, county), 422)
    assert "case:" in problem["detail"]
    # the recorder's scope still applies to mechanism records
    other = rec(
        "grid.defined", "C1", "2024-02-01", grid="G1", households=1, head="x", full_time_workers=1
    )
    assert_problem(api.post(other, recorder), 404)  # outside the scope: as unknown (ADR 0013)
