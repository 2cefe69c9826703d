"""POST /records: status rules for one object and for arrays, each record on its own."""

from __future__ import annotations

import json

from tests.support.api import Api, api_for, assert_problem
from tests.support.builders import rec, village


def incident(branch: str = "V1", **fields: object) -> dict[str, object]:
    return rec("incident.recorded", branch, "2024-03-01", **{"category": "gambling", **fields})


# ------------------------------------------------------------ one object
def test_single_record_applied_duplicate_clash_unknown_refused(api: Api) -> None:
    api.register()
    recorder = api.token("recorder", name="clerk")
    record = incident(id="inc-1")

    applied = api.post(record, recorder)
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert body["id"] == "inc-1" and body["status"] == "applied" and body["position"] > 0

    again = api.post(record, recorder)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"

    clash = assert_problem(api.post({**record, "note": "changed"}, recorder), 409)
    assert clash["id"] == "inc-1" and "other content" in clash["detail"]

    unknown = assert_problem(api.post(incident("NOPE"), recorder), 404)
    assert "not registered" in unknown["detail"]

    rule = assert_problem(
        api.post(incident(category="illegal_construction"), recorder), 422
    )  # rated for communities only
    assert "category" in rule["detail"]

    # the audit trail names the token as the recorder
    history = api.get("/branches/V1/history", api.admin).json()
    assert [e["record"]["id"] for e in history][-1] == "inc-1"
    assert history[-1]["recorder"] == "api:clerk"


def test_single_record_structural_refusals_are_422(lite: Api) -> None:
    lite.register()
    admin = lite.admin
    county = lite.token("county")
    for bad in (
        {**incident(), "colour": "red"},  # unknown field
        {**incident(), "type": "incident.invented"},
        {**incident(), "on": "2024-02-30"},
        {"id": "x y", "type": "meeting.held", "branch": "V1", "on": "2024-01-01"},
        {"type": "plan.set", "branch": "V1", "on": "2024-01-01", "year": 2024, "target": 10**30},
        {**incident(), "note": "a\u0000b"},
    ):
        assert_problem(lite.post(bad, county), 422)
    # a second registration is a ledger rule
    assert_problem(lite.post(village("V1"), admin), 422)


def test_record_outside_role_is_403_outside_scope_404(lite: Api) -> None:
    lite.register()
    recorder = lite.token("recorder", county="清丰县")
    honor = rec(
        "honor.granted",
        "V1",
        "2024-07-01",
        kind="other",
        level="county",
        recipient="branch",
        title="t",
    )
    body = assert_problem(lite.post(honor, recorder), 403)
    assert "honor.granted" in body["detail"]
    outside = assert_problem(lite.post(incident("V4"), recorder), 404)
    assert "南乐县" not in outside["detail"]
    assert lite.post(incident("V3"), recorder).status_code == 201
    # a scoped token cannot tell an unknown branch from one outside its scope (ADR 0013)
    unknown = assert_problem(lite.post(incident("V99"), recorder), 404)
    assert unknown["detail"] == outside["detail"].replace("V4", "V99")


# ---------------------------------------------------------------- arrays
def test_array_all_ok_is_200_and_mixed_is_207_in_order(api: Api) -> None:
    api.register()
    token = api.token("township", township="柳格镇")
    first = [incident(id="a1"), incident("V2", id="a2")]
    response = api.post(first, token)
    assert response.status_code == 200
    assert [(r["id"], r["status"]) for r in response.json()] == [
        ("a1", "applied"),
        ("a2", "applied"),
    ]
    assert all(r["position"] for r in response.json())

    mixed = [
        incident(id="a1"),  # duplicate
        {**incident(id="a3"), "extra": 1},  # unknown field: refused alone
        incident("V4", id="a4"),  # outside the township
        incident(id="a5"),  # applied
        42,  # not an object
        rec(
            "rating.awarded",
            "V1",
            "2025-01-20",
            year=2024,
            stars=["industry_thriving"],
            by="county",
        ),  # beyond a township's role
    ]
    response = api.post(mixed, token)
    assert response.status_code == 207, response.text
    results = response.json()
    assert [r["status"] for r in results] == [
        "duplicate",
        "refused",
        "refused",
        "applied",
        "refused",
        "refused",
    ]
    assert [r["id"] for r in results] == ["a1", "a3", "a4", "a5", "-", results[5]["id"]]
    assert "extra" in results[1]["reason"]
    assert "jurisdiction" in results[2]["reason"]
    assert "rating.awarded:county" in results[5]["reason"]
    assert results[0]["reason"] is None and results[3]["reason"] is None

    # retrying the whole array adds nothing and applies nothing twice
    again = api.post(mixed, token).json()
    assert [r["status"] for r in again] == [
        "duplicate",
        "refused",
        "refused",
        "duplicate",
        "refused",
        "refused",
    ]
    ids = [e["record"]["id"] for e in api.get("/branches/V1/history", api.admin).json()]
    assert ids.count("a1") == 1 and ids.count("a5") == 1 and "a3" not in ids


def test_empty_array_is_200(lite: Api) -> None:
    response = lite.post([], lite.admin)
    assert response.status_code == 200 and response.json() == []


def test_request_level_problems(lite: Api) -> None:
    token = lite.token("recorder")
    headers = {**lite.auth(token), "content-type": "application/json"}
    assert_problem(lite.client.post("/records", content=b"{not json", headers=headers), 400)
    assert_problem(lite.client.post("/records", content=b"", headers=headers), 400)
    for scalar in (b'"text"', b"12", b"null", b"true", b'{"id": "\xff"}', b"\xff\xfe"):
        assert_problem(lite.client.post("/records", content=scalar, headers=headers), 400)
    too_many = json.dumps([incident() for _ in range(1001)]).encode()
    body = assert_problem(lite.client.post("/records", content=too_many, headers=headers), 422)
    assert "at most 1000" in body["detail"]
    exactly = [incident("NOPE") for _ in range(1000)]
    response = lite.post(exactly, token)
    assert response.status_code == 207 and len(response.json()) == 1000


def test_tokens_missing_bad_or_revoked_are_401(lite: Api) -> None:
    lite.register()
    assert_problem(lite.post(incident(), None), 401)
    assert_problem(lite.post(incident(), "not-a-token"), 401)
    response = lite.client.post("/records", json=incident(), headers={"Authorization": "Basic abc"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    token = lite.token("recorder", name="leaver")
    assert lite.post(incident(), token).status_code == 201
    revoked = lite.client.delete("/tokens/leaver", headers=lite.auth(lite.admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert_problem(lite.post(incident(), token), 401)
    assert_problem(lite.get("/branches", token), 401)


def test_write_answers_a_position_a_read_can_wait_for(api: Api) -> None:
    api.register()
    record = village("V9", "清丰县", "柳格镇")
    position = api.post(record, api.admin).json()["position"]
    branch = api.get("/branches/V9", api.admin, min_position=position)
    assert branch.status_code == 200, branch.text
    assert branch.json()["position"] == position
    assert_problem(api.get("/branches", api.admin, min_position=position + 10**6), 409)


def test_two_processes_writing_one_ledger_decide_on_fresh_state(db: str) -> None:
    """Two apps over one store stand for two server workers (or a server and an import):
    neither decides on a branch state the other has written past."""
    first, second = api_for(db), api_for(db)
    one, two = next(first), next(second)
    try:
        one.register()
        county_one = one.token("county")
        # app one caches V1 and an unknown V5
        assert one.post(incident(id="x0"), county_one).status_code == 201
        assert_problem(one.post(incident("V5"), county_one), 404)
        # app two (same token store) records an incident on V1 and registers V5
        assert two.post(incident(id="x1"), county_one).status_code == 201
        assert two.post(village("V5"), two.admin).status_code == 201
        # app one sees both: the retraction of x1 and a record for V5 are applied
        retract = rec("incident.retracted", "V1", "2024-04-01", ref="x1", reason="wrong")
        assert one.post(retract, county_one).status_code == 201
        assert one.post(incident("V5"), county_one).status_code == 201
        # and a record app two wrote is a duplicate when sent to app one
        assert one.post(incident(id="x1"), county_one).status_code == 200
    finally:
        for gen in (first, second):
            gen.close()


def test_deeply_nested_bodies_are_400_not_500(lite: Api) -> None:
    headers = {**lite.auth(lite.admin), "content-type": "application/json"}
    for depth in (20, 5000):
        deep = "[" * depth + "]" * depth
        for path, body in [
            ("/records", deep),
            ("/records", '[{"id": "a", "note": ' + deep + "}]"),
            ("/recompute", '{"year": ' + deep + "}"),
            ("/tokens", deep),
        ]:
            response = lite.client.post(path, content=body, headers=headers)
            if depth == 20 and body.startswith("[{"):  # parsed: that record is refused alone
                assert response.status_code == 207, response.text
                assert "nested deeper" in response.json()[0]["reason"]
            elif depth == 20 and path == "/records":
                assert response.status_code == 207  # an array of one (nested) non-record
            else:
                assert_problem(response, 400)
