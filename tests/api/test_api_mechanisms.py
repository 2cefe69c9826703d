"""The compliance and staffing endpoints (mechanisms.md §2) and the mechanism write rights
(ADR 0008's table as extended by ADR 0015), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api, assert_problem
from tests.support.builders import community, rec, village

BRANCHES = [
    village("V1", "清丰县", "柳格镇"),
    village("V2", "清丰县", "城关镇"),
    community("C1", "华龙区", "胜利路街道"),
]


def congress(code: str, on: str) -> dict[str, Any]:
    return rec("meeting.held", code, on, kind="party_congress")


def test_compliance_reads_follow_the_scope(api: Api) -> None:
    api.register(BRANCHES)
    recorder = api.token("recorder", county="清丰县", township="柳格镇")
    assert api.post(congress("V1", "2025-01-10"), recorder).status_code == 201
    assert_problem(api.post(congress("V2", "2025-01-10"), recorder), 404)  # outside: as unknown
    api.svc.catch_up()

    service = api.token("service")
    everything = api.get("/compliance", service, year=2025, on="2025-06-30").json()
    assert [o["branch"] for o in everything] == ["C1", "V1", "V2"]
    v1 = everything[1]["requirements"][0]
    assert v1["requirement"] == "party_congress_quarterly"
    assert (v1["status"], v1["due"], v1["held"], v1["missing"]) == ("missed", 2, 1, ["2025-Q2"])

    township = api.token("township", county="清丰县", township="柳格镇")
    mine = api.get("/compliance", township, year=2025, on="2025-06-30").json()
    assert [o["branch"] for o in mine] == ["V1"]
    assert api.get("/compliance", township, year=2025, township="城关镇").json() == []

    only = api.get(
        "/compliance",
        service,
        year=2025,
        on="2025-06-30",
        county="清丰县",
        requirement="party_congress_quarterly",
        status="missed",
    ).json()
    assert [o["branch"] for o in only] == ["V1", "V2"]
    assert all(len(o["requirements"]) == 1 for o in only)
    assert_problem(api.get("/compliance", service, year=2025, requirement="nope"), 400)
    assert_problem(api.get("/compliance", service, year=2025, on="2025-13-01"), 400)

    one = api.get("/branches/V1/compliance/2025", township, on="2025-03-31")
    assert one.status_code == 200 and one.json()["on"] == "2025-03-31"
    assert one.json()["requirements"][0]["status"] == "pending"
    assert_problem(api.get("/branches/V2/compliance/2025", township), 404)  # as unknown
    assert_problem(api.get("/branches/NOPE/compliance/2025", service), 404)


def test_staffing_is_county_wide(api: Api) -> None:
    api.register(BRANCHES)
    recorder = api.token("recorder", county="华龙区")
    report = rec(
        "staffing.reported", "C1", "2025-12-01", year=2025, workers=20, lowest_pay=85000,
        social_insurance=True, housing_fund=True,
    )  # fmt: skip
    assert api.post(report, recorder).status_code == 201
    api.svc.catch_up()
    rows = api.get("/staffing", api.token("service"), year=2025).json()
    assert [r["county"] for r in rows] == ["华龙区"]  # the only county with communities
    assert rows[0]["workers"] == 20 and rows[0]["wage_floor"] == 80000
    county = api.get("/staffing", api.token("county", county="清丰县"), year=2025).json()
    assert county == []
    narrow = api.token("township", county="华龙区", township="胜利路街道")
    assert_problem(api.get("/staffing", narrow, year=2025), 403)


def test_recorders_write_mechanisms_counties_write_cases(api: Api) -> None:
    api.register(BRANCHES)
    recorder = api.token("recorder", county="华龙区")
    township = api.token("township", county="华龙区")
    county = api.token("county", county="华龙区")
    grid = rec(
        "grid.defined", "C1", "2025-01-01", grid="G1", households=2000, head="王",
        full_time_workers=2,
    )  # fmt: skip
    assert api.post(grid, recorder).status_code == 201
    partner = rec("partner.joined", "C1", "2025-01-01", partner="P1", unit="局", unit_kind="organ")
    assert api.post(partner, township).status_code == 201
    case = rec(
        "case.reported", "C1", "2025-02-01", case="k1", category="dispute",
        occurred_on="2025-02-01", grid="G1",
    )  # fmt: skip
    # a county-level assignment is the county's alone (township and recorder rights: ADR 0018)
    to_county = rec("case.assigned", "C1", "2025-02-01", case="k1", level="county", unit="县")
    assert_problem(api.post(to_county, recorder), 403)
    assert_problem(api.post(to_county, township), 403)
    assert api.post(case, county).status_code == 201
    problem = rec(
        "problem.registered", "C1", "2025-02-01", problem="p1", area="co_build_share",
        summary="s", deadline="2025-05-01",
    )  # fmt: skip
    assert api.post(problem, api.admin).status_code == 201
