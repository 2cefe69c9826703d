"""The verifiable ledger over HTTP on SQLite and PostgreSQL: digest, proofs, the event feed
and its Server-Sent Events stream across a reconnect."""

from __future__ import annotations

from typing import Any

from domain.model import merkle
from tests.support.api import Api, assert_problem
from tests.support.builders import rec


def meetings(code: str, n: int) -> list[dict[str, Any]]:
    return [
        rec("meeting.held", code, f"2024-{m:02d}-05", kind="theme_day") for m in range(1, n + 1)
    ]


def test_digest_and_proofs_agree_with_the_tree(api: Api) -> None:
    api.register()
    records = meetings("V1", 4)
    api.write(records, api.token("county"))
    auditor = api.token("auditor")
    digest = api.get("/ledger/digest", auditor).json()
    assert digest["size"] == 9 and digest["position"] == 9 and digest["recorded_at"]
    proof = api.get(f"/branches/V1/records/{records[1]['id']}/proof", auditor).json()
    assert proof["root"] == digest["root"] and proof["record"]["id"] == records[1]["id"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["leaf_index"],
        proof["size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(digest["root"]),
    )
    older = api.get("/ledger/digest", auditor, size=5).json()
    consistency = api.get("/ledger/consistency", auditor, **{"from": 5, "to": 9}).json()
    assert consistency["from_root"] == older["root"]
    assert merkle.verify_consistency(
        5, 9, bytes.fromhex(older["root"]), bytes.fromhex(digest["root"]),
        [bytes.fromhex(h) for h in consistency["proof"]],
    )  # fmt: skip
    assert_problem(api.get("/ledger/consistency", auditor, **{"from": 10, "to": 9}), 400)
    assert_problem(api.get("/ledger/consistency", auditor, **{"from": 10}), 409)  # not yet
    assert_problem(api.get("/ledger/consistency", auditor, **{"from": 5, "to": 10}), 409)
    assert_problem(api.get("/branches/V1/records/nope/proof", auditor), 404)
    assert_problem(api.get(f"/branches/V1/records/{records[1]['id']}/proof", auditor, size=3), 400)
    outside = api.token("county", county="南乐县")
    assert_problem(api.get(f"/branches/V1/records/{records[1]['id']}/proof", outside), 404)
    assert_problem(api.get("/ledger/digest", None), 401)


def test_health_reports_the_last_verification(api: Api) -> None:
    from domain.application.audit import Audit

    api.register()
    assert api.get("/health", None).json()["verification"] is None
    Audit(api.svc).verify()
    health = api.get("/health", None).json()
    assert health["ok"] and health["verification"]["ok"] and health["verification"]["size"] == 5


def test_the_feed_pages_filters_and_keeps_to_the_jurisdiction(api: Api) -> None:
    api.register()
    api.write(meetings("V1", 3) + meetings("V4", 2), api.token("county"))
    service = api.token("service")
    page = api.get("/events", service, after=0, limit=4).json()
    assert [e["position"] for e in page["events"]] == [1, 2, 3, 4] and page["next"] == 4
    rest = api.get("/events", service, after=page["next"]).json()
    assert [e["position"] for e in rest["events"]] == list(range(5, 11))
    assert rest["events"][-1]["record"]["branch"] == "V4"
    held = api.get("/events", service, type="meeting.held").json()["events"]
    assert {e["type"] for e in held} == {"meeting.held"} and len(held) == 5
    nanle = api.get("/events", service, county="南乐县").json()["events"]
    assert {e["branch"] for e in nanle} == {"V4"}
    scoped = api.get("/events", api.token("service", county="清丰县")).json()["events"]
    assert {e["branch"] for e in scoped} == {"V1", "V2", "V3"}
    assert_problem(api.get("/events", service, after=-1), 400)


def _sse(
    api: Api, token: str, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    import json

    events = []
    with api.client.stream(
        "GET", "/events/stream", params=params, headers={**api.auth(token), **(headers or {})}
    ) as response:
        assert response.status_code == 200
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if line.startswith("id:"):
                current["id"] = int(line[3:].strip())
            elif line.startswith("data:"):
                current["data"] = json.loads(line[5:].strip())
            elif not line.strip() and current:
                events.append(current)
                current = {}
    return events


def test_the_stream_delivers_every_event_exactly_once_across_a_reconnect(api: Api) -> None:
    api.register()
    api.write(meetings("V1", 6), api.token("county"))
    auditor = api.token("auditor")
    first = _sse(api, auditor, limit=4)
    assert [e["id"] for e in first] == [1, 2, 3, 4]
    api.write(meetings("V2", 2), api.token("county"))
    second = _sse(api, auditor, {"Last-Event-ID": str(first[-1]["id"])}, idle=0.2)
    ids = [e["id"] for e in first + second]
    assert ids == list(range(1, 14))
    assert all(e["data"]["position"] == e["id"] for e in first + second)


def test_the_feed_consumer_example_keeps_its_position(api: Api, tmp_path: Any, capsys: Any) -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "follow_feed.py"
    spec = importlib.util.spec_from_file_location("follow_feed", path)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.fetch = lambda url, token, after, types, county: api.get(
        "/events", token, after=after, limit=1000
    ).json()
    api.register()
    token, state = api.token("service"), tmp_path / "feed.pos"
    args = ["--token", token, "--state", str(state), "--once"]
    assert module.main(args) == 0
    assert state.read_text().strip() == "5" and len(capsys.readouterr().out.splitlines()) == 5
    api.write(meetings("V1", 2), api.token("county"))
    assert module.main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [int(line.split()[0]) for line in printed] == [6, 7]
    assert state.read_text().strip() == "7"


def test_a_damaged_event_reaches_only_the_feeds_that_may_see_its_branch(api: Api, db: str) -> None:
    """An event corrupted in the store is passed on as unreadable, but like any other event
    of its branch: not to a token of another county (its error quotes the stored values)."""
    from tests.support.tampering import Store

    api.register()
    api.write(meetings("V4", 1), api.token("county"))  # V4 is in 南乐县
    store = Store(db)
    position = store.run("SELECT MAX({pos}) FROM stored_events")[0][0]
    store.set_state(position, store.state(position).replace(b"theme_day", b"secret_x"))
    after = position - 1
    [seen] = api.get("/events", api.token("auditor"), after=after).json()["events"]
    assert seen["type"] == "unreadable" and seen["branch"] == "V4"
    assert api.get("/events", api.token("auditor"), after=after, county="南乐县").json()["events"]
    for token, county in ((api.token("service", county="清丰县"), None),
                          (api.token("auditor"), "清丰县")):  # fmt: skip
        page = api.get("/events", token, after=after, **({"county": county} if county else {}))
        assert page.json() == {"events": [], "next": position}


def test_an_award_in_the_feed_carries_its_receipt_and_its_leaf_checks(api: Api) -> None:
    """A copy kept from the feed holds an award's basis (as ``awards`` shows it), and each
    event's leaf hash is recomputed from the event as the feed gives it (verify_export)."""
    from tests.support.api import five_star_three_years
    from tests.support.verifier import verifier

    api.register()
    five_star_three_years(api)
    auditor = api.token("auditor")
    events = api.get("/events", auditor, limit=1000).json()["events"]
    awards = [e for e in events if e["type"] == "rating.awarded"]
    assert len(awards) == 3 and all(e["basis"]["size"] > 0 for e in awards)
    assert awards[-1]["basis"] == api.svc.awards(2024)[0]["basis"]
    module = verifier()
    assert all(module.leaf_hash(e).hex() == e["leaf_hash"] for e in events)
