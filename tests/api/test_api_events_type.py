"""``/events?type=`` names record types: an unknown one is a 400 naming it, not an empty feed
(as ``/eligibility?star=bogus`` is), on both stores."""

from __future__ import annotations

import re

from tests.support.api import Api, assert_problem


def test_an_unknown_event_type_is_a_400_naming_it(api: Api) -> None:
    api.register()
    body = assert_problem(api.get("/events", api.admin, type="branch.registered,bogus"), 400)
    assert "bogus" in body["detail"] and "type" in body["detail"]
    stream = api.get("/events/stream", api.admin, type="bogus", limit=1, idle=0)
    assert_problem(stream, 400)
    known = api.get("/events", api.admin, type="branch.registered,rulebook.adopted")
    assert known.status_code == 200
    assert {e["type"] for e in known.json()["events"]} == {"branch.registered"}


def test_the_document_says_which_types_are_accepted(lite: Api) -> None:
    spec = lite.client.get("/schema/openapi.json").json()
    for path in ("/events", "/events/stream"):
        (schema,) = [
            p["schema"] for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "type"
        ]
        assert re.fullmatch(schema["pattern"], "branch.registered,case.reported")
        assert not re.fullmatch(schema["pattern"], "bogus")
        assert not re.fullmatch(schema["pattern"], "branch.registered,")
