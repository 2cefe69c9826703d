"""The list endpoints' answer cache (``api/http/answers.py``, issue 15): a repeat at the same
read-model position is served from memory with the same bytes, and any new event that moves
the read models changes the answer at once; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from api.http.answers import answers, read_position
from tests.support.api import Api
from tests.support.builders import community, rec, village

BRANCHES = [
    village("V1", "清丰县", "柳格镇"),
    village("V2", "清丰县", "城关镇"),
    village("V3", "南乐县", "城关镇"),
    community("C1", "华龙区", "胜利路街道"),
]


def twice(api: Api, path: str, token: str, **params: Any) -> bytes:
    """The answer asked twice at one position: the second is a cache hit, byte for byte."""
    cache = answers(api.svc)
    first = api.get(path, token, **params)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("application/json")
    hits = cache.hits
    second = api.get(path, token, **params)
    assert second.status_code == 200, second.text
    assert cache.hits == hits + 1, "the repeat was computed again"
    assert second.content == first.content
    return first.content


def test_eligibility_list_changes_with_a_new_registration(api: Api) -> None:
    api.register(BRANCHES)
    service = api.token("service")
    before = api.get("/eligibility", service, year=2025, county="清丰县").json()
    assert [e["branch"] for e in before] == ["V1", "V2"]
    twice(api, "/eligibility", service, year=2025, county="清丰县")

    api.write([village("V4", "清丰县", "柳格镇")])
    after = api.get("/eligibility", service, year=2025, county="清丰县").json()
    assert [e["branch"] for e in after] == ["V1", "V2", "V4"]
    assert after[0]["basis"] != before[0]["basis"]  # answered at the new position


def test_the_jurisdiction_is_part_of_the_key(api: Api) -> None:
    api.register(BRANCHES)
    service = api.token("service")
    township = api.token("township", county="清丰县", township="柳格镇")
    wide = api.get("/eligibility", service, year=2025, county="清丰县").json()
    narrow = api.get("/eligibility", township, year=2025, county="清丰县").json()
    assert [e["branch"] for e in wide] == ["V1", "V2"]
    assert [e["branch"] for e in narrow] == ["V1"]
    starred = api.get("/eligibility", service, year=2025, star="branch_strong").json()
    assert starred == []  # a filter is part of the key too


def test_compliance_list_changes_with_a_new_meeting(api: Api) -> None:
    api.register(BRANCHES)
    service = api.token("service")
    query = {"year": 2025, "county": "清丰县", "on": "2025-06-30"}

    def held() -> int:
        found = api.get("/compliance", service, **query).json()
        v1 = next(o for o in found if o["branch"] == "V1")
        return next(
            r["held"] for r in v1["requirements"] if r["requirement"] == "party_congress_quarterly"
        )

    assert held() == 0
    twice(api, "/compliance", service, **query)
    county = api.token("county", county="清丰县")
    api.write([rec("meeting.held", "V1", "2025-01-10", kind="party_congress")], county)
    assert held() == 1
    other_day = api.get("/compliance", service, **{**query, "on": "2025-01-05"}).json()
    v1 = next(o for o in other_day if o["branch"] == "V1")
    assert all(r["held"] == 0 for r in v1["requirements"])  # the date is part of the key


def test_case_list_changes_with_a_new_case(api: Api) -> None:
    api.register(BRANCHES)
    service = api.token("service")
    assert api.get("/cases", service, county="清丰县", on="2025-03-20").json() == []
    twice(api, "/cases", service, county="清丰县", on="2025-03-20")

    reported = rec(
        "case.reported",
        "V2",
        "2025-03-01",
        case="k1",
        category="dispute",
        occurred_on="2025-03-01",
    )
    api.write([reported])
    got = api.get("/cases", service, county="清丰县", on="2025-03-20").json()
    assert [(c["branch"], c["case"]) for c in got] == [("V2", "k1")]
    assert api.get("/cases", service, county="南乐县", on="2025-03-20").json() == []


def test_a_replay_is_never_cached(api: Api) -> None:
    api.register(BRANCHES)
    county = api.token("county", county="清丰县")
    api.write([rec("meeting.held", "V1", "2025-01-10", kind="party_congress")], county)
    service = api.token("service")
    cache = answers(api.svc)
    misses = cache.misses
    for _ in range(2):
        replay = api.get("/compliance", service, year=2025, on="2025-06-30", position=1)
        assert replay.status_code == 200, replay.text
    assert cache.misses == misses  # computed every time, outside the cache


def test_gzip_only_when_accepted_and_never_under_an_export(api: Api) -> None:
    api.register(BRANCHES)
    service = api.token("service")
    path = "/eligibility?year=2025&county=清丰县"
    plain = api.client.get(path, headers={**api.auth(service), "Accept-Encoding": "identity"})
    packed = api.client.get(path, headers={**api.auth(service), "Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.json() == plain.json()  # httpx decompresses
    sheet = api.client.get(
        path + "&format=csv", headers={**api.auth(service), "Accept-Encoding": "gzip"}
    )
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "V1" in sheet.content.decode("utf-8-sig")


def test_the_position_read_in_one_statement_is_the_read_models_position(api: Api) -> None:
    assert read_position(api.svc) == api.svc.position() == 0
    api.register(BRANCHES)
    assert read_position(api.svc) == api.svc.position() > 0
