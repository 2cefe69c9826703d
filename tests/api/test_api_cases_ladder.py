"""Cases and the ladder over HTTP: who may write which case, problem and intervention record
(role × scope, with a township's rights depending on the level the case is at), the reads
narrowed to a token's jurisdiction, and ``POST /ladder/apply``."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.support.api import Api, assert_problem
from tests.support.builders import rec

_n = itertools.count(1)


def case(kind: str, code: str, name: str, on: str = "2025-03-02", **fields: Any) -> dict[str, Any]:
    return rec(f"case.{kind}", code, on, id=f"k{next(_n)}", case=name, **fields)


def reported(code: str, name: str, on: str = "2025-03-01") -> dict[str, Any]:
    return case("reported", code, name, on, category="dispute", occurred_on=on)


def problem(code: str, name: str, area: str = "industry_thriving") -> dict[str, Any]:
    return rec(
        "problem.registered",
        code,
        "2025-03-01",
        id=f"p{next(_n)}",
        problem=name,
        area=area,
        summary="群众反复反映",
        deadline="2025-04-01",
    )


def started(code: str, name: str) -> dict[str, Any]:
    return rec(
        "intervention.started",
        code,
        "2025-03-05",
        id=f"i{next(_n)}",
        intervention=name,
        measure="first_secretary",
        people=["张三"],
    )


# The table, written out independently of api.http.auth.
# (record maker, roles that may write it for a branch in scope)
def _role_cases() -> list[tuple[str, Any, set[str]]]:
    return [
        (
            "case.reported",
            lambda: reported("V1", f"c{next(_n)}"),
            {"recorder", "township", "county"},
        ),
        (
            "case.progressed",
            lambda: case("progressed", "V1", "open", note="首次答复"),
            {"recorder", "township", "county"},
        ),
        (
            "case.assigned township",
            lambda: case("assigned", "V1", "open", level="township", unit="乡综治中心"),
            {"township", "county"},
        ),
        (
            "case.escalated at township",
            lambda: case("escalated", "V1", f"e{next(_n)}"),
            {"township", "county"},
        ),
        (
            "case.resolved at township",
            lambda: case("resolved", "V1", f"r{next(_n)}", outcome="化解"),
            {"township", "county"},
        ),
        (
            "case.resolved at county",
            lambda: case("resolved", "V1", f"cr{next(_n)}", outcome="化解"),
            {"county"},
        ),
        (
            "case.assigned county",
            lambda: case("assigned", "V1", f"ca{next(_n)}", level="county", unit="县信访局"),
            {"county"},
        ),
        ("problem.registered", lambda: problem("V1", f"q{next(_n)}"), {"township", "county"}),
        ("intervention.started", lambda: started("V1", f"i{next(_n)}"), {"county"}),
    ]


def _prepare(api: Api, label: str, record: dict[str, Any]) -> None:
    """Put the record's case where the row of the table needs it (as admin)."""
    name = record.get("case")
    if name is None or label.startswith("case.reported"):
        return
    if name == "open":
        return
    setup = [reported("V1", name)]
    if label in ("case.resolved at county", "case.assigned county"):
        setup.append(case("escalated", "V1", name))
    api.write(setup)


def test_role_table_for_case_problem_and_intervention_records(lite: Api) -> None:
    lite.register()
    lite.write([reported("V1", "open")])
    tokens = {
        role: lite.token(role, county="清丰县", township="柳格镇")
        if role != "county"
        else lite.token(role, county="清丰县")
        for role in ("recorder", "township", "county", "city", "auditor")
    }
    for label, make, allowed in _role_cases():
        for role, token in tokens.items():
            record = make()
            _prepare(lite, label, record)
            response = lite.post(record, token)
            if role in allowed:
                assert response.status_code in (200, 201), (label, role, response.text)
            else:
                body = assert_problem(response, 403)
                assert "access" in body["detail"], body


def test_a_township_escalates_then_the_case_is_the_countys(api: Api) -> None:
    api.register()
    township = api.token("township", county="清丰县", township="柳格镇")
    county = api.token("county", county="清丰县")
    assert api.post(reported("V1", "k1"), township).status_code == 201
    assert (
        api.post(case("assigned", "V1", "k1", level="township", unit="乡"), township).status_code
        == 201
    )
    assert_problem(api.post(case("assigned", "V1", "k1", level="county", unit="县"), township), 403)
    assert api.post(case("escalated", "V1", "k1"), township).status_code == 201
    body = assert_problem(api.post(case("resolved", "V1", "k1", outcome="x"), township), 403)
    assert "case.resolved:county" in body["detail"]
    assert api.post(case("resolved", "V1", "k1", outcome="x"), county).status_code == 201


def test_a_batch_that_escalates_then_resolves_is_judged_at_the_moved_level(lite: Api) -> None:
    lite.register()
    township = lite.token("township", county="清丰县", township="柳格镇")
    lite.write([reported("V1", "k1")])
    batch = [case("escalated", "V1", "k1"), case("resolved", "V1", "k1", outcome="x")]
    results = lite.post(batch, township).json()
    assert [r["status"] for r in results] == ["applied", "refused"]
    assert "case.resolved:county" in results[1]["reason"]


def test_case_writes_outside_the_scope_are_refused_as_unknown(api: Api) -> None:
    api.register()
    recorder = api.token("recorder", county="清丰县", township="柳格镇")
    township = api.token("township", county="清丰县", township="柳格镇")
    county = api.token("county", county="南乐县")
    assert_problem(api.post(reported("V3", "k1"), recorder), 404)  # 马庄桥镇
    assert_problem(api.post(problem("V3", "q1"), township), 404)
    assert_problem(api.post(started("V1", "i1"), county), 404)
    assert api.post(started("V4", "i1"), county).status_code == 201


def test_case_reads_follow_the_jurisdiction(api: Api) -> None:
    api.register()
    api.write([reported("V1", "k1"), reported("V3", "k1"), reported("V4", "k1")])
    township = api.token("township", county="清丰县", township="柳格镇")
    got = api.get("/cases", township, on="2025-03-02").json()
    assert [(c["branch"], c["case"]) for c in got] == [("V1", "k1")]
    everything = api.get("/cases", api.admin, on="2025-03-20", overdue="true").json()
    assert [(c["branch"], c["overdue"]) for c in everything] == [
        ("V1", True),
        ("V3", True),
        ("V4", True),
    ]
    assert api.get("/cases", api.admin, on="2025-02-01").json() == []
    one = api.get("/branches/V1/cases/k1", township, on="2025-03-02")
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["state"] == "open" and [e["record"]["type"] for e in body["records"]] == [
        "case.reported"
    ]
    assert_problem(api.get("/branches/V3/cases/k1", township), 404)
    assert_problem(api.get("/branches/V1/cases/nope", township), 404)
    summary = api.get("/cases/summary", township, year=2025, on="2025-03-31").json()
    assert summary == [
        {
            "county": "清丰县",
            "township": "柳格镇",
            "reported": 1,
            "reported_late": 0,
            "escalated": 0,
            "closed": 0,
            "resolved_in_time": 0,
            "overdue": 1,
            "breaches": {"township_limit_days": 1},
            "incidents_without_case": [],
        }
    ]
    assert_problem(api.get("/cases", township, on="not-a-date"), 400)


def _weak_community(api: Api) -> None:
    areas = ["branch_strong", "co_build_share", "happiness_harmony"]
    api.write([problem("C1", f"q{i}", area) for i, area in enumerate(areas)])


def test_ladder_reads(api: Api) -> None:
    api.register()
    _weak_community(api)
    api.write([problem("V1", "q1"), problem("V3", "q2", "ecology_livable")])
    county = api.token("county", county="清丰县")
    got = api.get("/ladder", county, on="2025-04-02", shortfall="true").json()
    assert [(o["branch"], o["required"]) for o in got] == [
        ("V1", "first_secretary"),
        ("V3", "first_secretary"),
    ]
    listed = api.get("/ladder", api.admin, on="2025-03-02", required="work_group").json()
    assert [o["branch"] for o in listed] == ["C1"]
    one = api.get("/branches/C1/ladder", api.admin, on="2025-03-02").json()
    assert one["listing_required"] is True and one["listed"] is False
    assert_problem(api.get("/branches/C1/ladder", county), 404)


@pytest.mark.parametrize("role", ["recorder", "township", "city", "auditor"])
def test_only_county_or_admin_may_apply_the_ladder(lite: Api, role: str) -> None:
    lite.register()
    token = lite.token(role)
    response = lite.client.post(
        "/ladder/apply", json={"on": "2025-03-02"}, headers=lite.auth(token)
    )
    assert_problem(response, 403)


def test_apply_within_the_county_and_twice_adds_nothing(api: Api) -> None:
    api.register()
    _weak_community(api)
    elsewhere = api.token("county", county="清丰县")
    own = api.token("county", county="华龙区")
    post = api.client.post
    nothing = post("/ladder/apply", json={"on": "2025-03-02"}, headers=api.auth(elsewhere))
    assert nothing.status_code == 200 and nothing.json()["outcomes"] == []
    outside = post(
        "/ladder/apply", json={"on": "2025-03-02", "county": "华龙区"}, headers=api.auth(elsewhere)
    )
    assert_problem(outside, 403)
    first = post("/ladder/apply", json={"on": "2025-03-02"}, headers=api.auth(own)).json()
    assert [(o["branch"], o["outcome"]) for o in first["outcomes"]] == [("C1", "recorded")]
    assert first["outcomes"][0]["record"]["id"] == "ladder-2025-03-02"
    again = post("/ladder/apply", json={"on": "2025-03-02"}, headers=api.auth(api.admin)).json()
    assert again["outcomes"] == [
        {"branch": "C1", "outcome": "already listed", "since": "2025-03-02"}
    ]
    assert_problem(post("/ladder/apply", json={"on": "x"}, headers=api.auth(own)), 400)
    assert_problem(
        post("/ladder/apply", json={"on": "2025-03-02", "x": 1}, headers=api.auth(own)), 400
    )
