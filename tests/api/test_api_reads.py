"""The read side over HTTP, on SQLite and PostgreSQL: registry, history, eligibility,
awards, rewards, priority, rulebooks, recomputation and health."""

from __future__ import annotations

from datetime import datetime

from tests.support.api import BRANCHES, YEARS, Api, api_for, assert_problem, five_star_three_years
from tests.support.builders import ALL_VILLAGE, rec, village


def test_registry_filters_and_pages(api: Api) -> None:
    api.register()
    page = api.get("/branches", api.admin, limit=2).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 0
    assert [b["code"] for b in page["items"]] == ["C1", "V1"]
    page = api.get("/branches", api.admin, limit=2, offset=4).json()
    assert [b["code"] for b in page["items"]] == ["V4"]
    assert api.get("/branches", api.admin, kind="community").json()["total"] == 1
    county = api.get("/branches", api.admin, county="清丰县", township="柳格镇").json()
    assert [b["code"] for b in county["items"]] == ["V1", "V2"]
    one = api.get("/branches/V3", api.admin).json()
    expected = BRANCHES[2]
    assert (one["name"], one["kind"], one["county"], one["township"]) == (
        expected["name"], "village", "清丰县", "马庄桥镇",
    )  # fmt: skip
    assert one["households"] == 500 and one["registered_on"] == "2021-12-01"
    assert_problem(api.get("/branches/NOPE", api.admin), 404)
    assert_problem(api.get("/branches", api.admin, limit=0), 400)
    assert_problem(api.get("/branches", api.admin, kind="city"), 400)


def test_history_with_as_of_and_position(api: Api) -> None:
    api.register()
    auditor = api.token("auditor")
    meetings = [rec("meeting.held", "V1", f"2024-0{m}-01", kind="theme_day") for m in (1, 2, 3)]
    county = api.token("county")
    positions = [api.post(meeting, county).json()["position"] for meeting in meetings]
    history = api.get("/branches/V1/history", auditor).json()
    assert [e["record"]["type"] for e in history] == ["branch.registered"] + ["meeting.held"] * 3
    assert history[1]["position"] == positions[0]
    assert history[1]["record"] == meetings[0]
    upto = api.get("/branches/V1/history", auditor, position=positions[1]).json()
    assert len(upto) == 3
    moment = history[2]["recorded_at"]
    assert len(api.get("/branches/V1/history", auditor, as_of=moment).json()) == 3
    assert datetime.fromisoformat(moment.replace("Z", "+00:00"))
    assert_problem(api.get("/branches/V1/history", auditor, as_of="yesterday"), 400)
    assert_problem(api.get("/branches/NOPE/history", auditor), 404)


def test_eligibility_list_single_star_filter_and_replay(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    listed = api.get("/eligibility", api.admin, year=2024).json()
    assert [e["branch"] for e in listed] == ["C1", "V1", "V2", "V3", "V4"]
    v1 = next(e for e in listed if e["branch"] == "V1")
    assert set(v1) == {"branch", "year", "kind", "rulebook", "excluded", "exclusion", "eligible",
                       "criteria", "basis"}  # fmt: skip
    assert v1["eligible"] == ALL_VILLAGE and v1["rulebook"] == "puyang-2022"
    assert {"star", "criterion", "met", "detail", "evidence"} == set(v1["criteria"][0])
    starred = api.get("/eligibility", api.admin, year=2024, star="branch_strong").json()
    assert [e["branch"] for e in starred] == ["V1"]
    town = api.get("/eligibility", api.admin, year=2024, township="柳格镇").json()
    assert [e["branch"] for e in town] == ["V1", "V2"]

    one = api.get("/branches/V1/eligibility/2024", api.admin).json()
    assert one == v1
    before = api.get("/branches/V1/eligibility/2024", api.admin, position=1).json()
    assert before["eligible"] == []  # only the registrations were in the ledger
    other = api.get("/branches/V1/eligibility/2024", api.admin, rulebook="puyang-2024-revision")
    assert other.json()["rulebook"] == "puyang-2024-revision"
    assert_problem(api.get("/branches/V1/eligibility/2024", api.admin, rulebook="nope"), 400)
    assert_problem(api.get("/branches/V1/eligibility/1999", api.admin), 400)
    assert_problem(api.get("/eligibility", api.admin), 400)  # year is required


def test_awards_rewards_priority(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    awards = api.get("/awards", api.admin, year=2024).json()
    assert [(a["branch"], a["level"], a["by"], a["stale"]) for a in awards] == [
        ("V1", 5, "province", False)
    ]
    rewards = api.get("/rewards", api.admin, year=2024).json()
    assert rewards[0]["funds_yuan"] == 100000 and rewards[0]["authority"] == "province"
    assert rewards[0]["secretary"] == {"person": "李书记", "civil_servant": False}
    priority = api.get("/priority", api.admin, year=2024).json()
    assert [(p["branch"], p["tier"], p["years"]) for p in priority] == [("V1", "five_star", YEARS)]
    # a county token elsewhere sees none of it
    other = api.token("county", county="南乐县")
    for path in ("/awards", "/rewards", "/priority"):
        assert api.get(path, other, year=2024).json() == []
        assert api.get(path, api.admin, year=2024, county="南乐县").json() == []


def test_rulebooks_recompute_and_adopt(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    books = api.get("/rulebooks", api.admin).json()
    assert {"puyang-2022", "puyang-2024-revision"} <= {b["id"] for b in books["rulebooks"]}
    assert books["adoptions"] == []
    body = {"year": 2024, "rulebook": "puyang-2024-revision"}
    headers = api.auth(api.admin)
    dry = api.client.post("/recompute", json=body, headers=headers)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["from"] == "puyang-2022" and report["to"] == "puyang-2024-revision"
    assert report["adopted"] is None and report["branches_evaluated"] == 5
    assert_problem(api.client.post("/recompute", json={**body, "adopt": True}, headers=headers),
                   422)  # fmt: skip
    assert_problem(
        api.client.post("/recompute", json={**body, "rulebook": "nope"}, headers=headers), 400
    )
    assert_problem(api.client.post("/recompute", json={**body, "x": 1}, headers=headers), 400)
    adopted = api.client.post(
        "/recompute", json={**body, "adopt": True, "reason": "revision"}, headers=headers
    ).json()["adopted"]
    assert adopted["recorder"].startswith("api:admin") and adopted["position"] > 0
    books = api.get("/rulebooks", api.admin, min_position=adopted["position"]).json()
    assert [(a["year"], a["rulebook"]) for a in books["adoptions"]] == [
        (2024, "puyang-2024-revision")
    ]
    e = api.get("/branches/V1/eligibility/2024", api.admin).json()
    assert e["rulebook"] == "puyang-2024-revision"


def test_health_reports_lag_and_store(db: str) -> None:
    """Without a projector the lag is what was written since the last catch-up; after it, 0."""
    for api in api_for(db, project=False):
        health = api.client.get("/health").json()
        assert health["ok"] is True and health["projector"] == "external"
        assert health["store"] == ("postgresql" if db.startswith("postgresql") else "sqlite")
        response = api.post([village("V1"), village("V2")], api.admin)
        assert response.status_code == 200, response.text
        health = api.client.get("/health").json()
        assert health["lag"] == 2 and health["head"] == health["position"] + 2
        api.svc.catch_up()
        health = api.client.get("/health").json()
        assert health["lag"] == 0 and health["position"] == health["head"] >= 2


def test_health_shows_the_running_projector_catching_up(api: Api) -> None:
    """With its projector the app catches up by itself: the test never calls catch_up."""
    assert api.client.get("/health").json()["projector"] == "running"
    response = api.post([village("V1")], api.admin)
    assert response.status_code == 200, response.text
    position = response.json()[0]["position"]
    waited = api.get("/branches", api.admin, min_position=position)
    assert waited.status_code == 200, waited.text
    health = api.client.get("/health").json()
    assert health["ok"] is True and health["lag"] == 0 and health["position"] >= position


def test_min_position_times_out_with_503_when_nothing_projects(sqlite_db: str) -> None:
    from litestar.testing import TestClient

    from api.http.app import create_app
    from api.http.auth import hash_token

    app = create_app(sqlite_db, project=False, wait_seconds=0.2)
    app.state.tokens.issue("adm", hash_token("secret"), "admin")
    headers = {"Authorization": "Bearer secret"}
    with TestClient(app) as client:
        position = client.post("/records", json=village("V1"), headers=headers).json()["position"]
        response = client.get("/branches", params={"min_position": position}, headers=headers)
        body = assert_problem(response, 503)
        assert response.headers["retry-after"] == "1" and "retry" in body["detail"]
        assert client.get("/health").json()["lag"] == 1
        assert client.get("/health").json()["projector"] == "external"
