"""Roles and jurisdictions: who may write which record, and who reads what (ADR 0008)."""

from __future__ import annotations

import pytest

from tests.support.api import Api, assert_problem, sample
from tests.support.builders import rec, village

# The role table, written out independently of api.http.auth.
FACTS = {
    "incident.recorded", "incident.retracted", "meeting.held", "member.developed", "plan.set",
    "branch.secretary_appointed", "metric.reported",
}  # fmt: skip
RECORDER = FACTS | {"rating.declared"}
TOWNSHIP = RECORDER | {
    "criterion.attested", "designation.granted", "designation.revoked",
    "rating.recommended:township",
}  # fmt: skip
COUNTY = TOWNSHIP | {
    "honor.granted", "weakness.designated", "weakness.lifted", "rating.recommended:county",
    "rating.awarded:county",
}  # fmt: skip
EXPECTED = {
    "recorder": RECORDER,
    "township": TOWNSHIP,
    "county": COUNTY,
    "city": {"honor.granted", "rating.recommended:city", "rating.awarded:city"},
    "province": {"honor.granted", "rating.awarded:province"},
    "auditor": set(),
    "service": set(),
    "admin": {"branch.registered"},
}


ALL_KINDS = sorted(set().union(*EXPECTED.values()) | {"rating.recommended:township"})


def test_role_table_for_single_records(lite: Api) -> None:
    lite.register()
    for role, allowed in EXPECTED.items():
        token = lite.token(role)
        for kind in ALL_KINDS:
            response = lite.post(sample(kind), token)
            if kind in allowed:
                assert response.status_code != 403, (role, kind, response.text)
            else:
                body = assert_problem(response, 403)
                assert role in body["detail"], body


def test_role_refusals_inside_an_array_are_207(lite: Api) -> None:
    lite.register()
    auditor = lite.token("auditor")
    response = lite.post([sample("meeting.held"), sample("incident.recorded")], auditor)
    assert response.status_code == 207
    assert {r["status"] for r in response.json()} == {"refused"}
    assert all("role auditor" in r["reason"] for r in response.json())


@pytest.mark.parametrize(
    ("scope", "inside", "outside"),
    [
        ({"county": "清丰县"}, ["V1", "V2", "V3"], ["V4", "C1"]),
        ({"township": "柳格镇"}, ["V1", "V2"], ["V3", "V4"]),
        ({"county": "清丰县", "township": "马庄桥镇"}, ["V3"], ["V1", "V4"]),
        ({"branch": "V2"}, ["V2"], ["V1", "V3"]),
    ],
)
def test_jurisdiction_for_writes_and_reads(lite: Api, scope, inside, outside) -> None:
    lite.register()
    token = lite.token("county", **scope)
    for code in inside:
        meeting = rec("meeting.held", code, "2024-05-01", kind="theme_day")
        assert lite.post(meeting, token).status_code == 201
        assert lite.get(f"/branches/{code}", token).status_code == 200
        assert lite.get(f"/branches/{code}/history", token).status_code == 200
        assert lite.get(f"/branches/{code}/eligibility/2024", token).status_code == 200
    for code in outside:
        meeting = rec("meeting.held", code, "2024-05-01", kind="theme_day")
        # outside looks like unknown (ADR 0013)
        assert_problem(lite.post(meeting, token), 404)
        assert_problem(lite.get(f"/branches/{code}", token), 404)
        assert_problem(lite.get(f"/branches/{code}/history", token), 404)
        assert_problem(lite.get(f"/branches/{code}/eligibility/2024", token), 404)
    lite.svc.catch_up()
    listed = [b["code"] for b in lite.get("/branches", token).json()["items"]]
    assert listed == inside
    assert [e["branch"] for e in lite.get("/eligibility", token, year=2024).json()] == inside
    # a filter outside the jurisdiction finds nothing rather than more
    assert lite.get("/branches", token, county="南乐县").json()["total"] == 0
    assert lite.get("/eligibility", token, year=2024, county="南乐县").json() == []


def test_registration_scope_comes_from_the_record(lite: Api) -> None:
    admin = lite.token("admin", county="清丰县")
    assert lite.post(village("V7", "清丰县", "柳格镇"), admin).status_code == 201
    assert_problem(lite.post(village("V8", "南乐县", "城关镇"), admin), 403)


@pytest.mark.parametrize("role", ["province", "auditor", "admin"])
def test_roles_that_read_everything(lite: Api, role: str) -> None:
    lite.register()
    token = lite.token(role, county="南乐县")  # the scope limits writes only
    assert lite.get("/branches", token).json()["total"] == 5
    assert lite.get("/branches/V1/history", token).status_code == 200


def test_service_reads_but_not_history(lite: Api) -> None:
    lite.register()
    service = lite.token("service")
    for path, params in [
        ("/branches", {}), ("/branches/V1", {}), ("/eligibility", {"year": 2024}),
        ("/branches/V1/eligibility/2024", {}), ("/awards", {"year": 2024}),
        ("/rewards", {"year": 2024}), ("/priority", {"year": 2024}), ("/rulebooks", {}),
    ]:  # fmt: skip
        assert lite.get(path, service, **params).status_code == 200, path
    assert_problem(lite.get("/branches/V1/history", service), 403)
    assert_problem(lite.post(sample("meeting.held"), service), 403)


def test_recompute_and_adoption_rights(lite: Api) -> None:
    lite.register()
    body = {"year": 2024, "rulebook": "puyang-2024-revision"}
    for role in ("recorder", "township", "county", "city", "service"):
        assert_problem(
            lite.client.post("/recompute", json=body, headers=lite.auth(lite.token(role))), 403
        )
    auditor = lite.auth(lite.token("auditor"))
    assert lite.client.post("/recompute", json=body, headers=auditor).status_code == 200
    adopt = {**body, "adopt": True, "reason": "2024 revision"}
    assert_problem(lite.client.post("/recompute", json=adopt, headers=auditor), 403)


def test_token_administration_over_http(lite: Api) -> None:
    lite.register()
    county = lite.auth(lite.token("county"))
    assert_problem(lite.client.get("/tokens", headers=county), 403)
    assert_problem(lite.client.post("/tokens", json={"role": "auditor"}, headers=county), 403)
    admin = lite.auth(lite.admin)
    issued = lite.client.post(
        "/tokens", json={"role": "recorder", "township": "柳格镇", "name": "clerk-7"}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert lite.get("/branches", token).json()["total"] == 2
    assert_problem(lite.client.post("/tokens", json={"role": "recorder", "name": "clerk-7"},
                                    headers=admin), 409)  # fmt: skip
    assert_problem(lite.client.post("/tokens", json={"role": "king"}, headers=admin), 400)
    listed = lite.client.get("/tokens", headers=admin).json()
    assert "clerk-7" in {t["name"] for t in listed}
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert lite.client.delete("/tokens/clerk-7", headers=admin).status_code == 200
    assert_problem(lite.get("/branches", token), 401)
    assert_problem(lite.client.delete("/tokens/nobody", headers=admin), 404)
