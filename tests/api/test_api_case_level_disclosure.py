"""A case's level is read only for a branch within the token's jurisdiction (ADR 0013).

The right to escalate or resolve a case depends on the level the case is at, and that level
was read from the ledger *before* the jurisdiction check: a township token heard 403
``case.escalated:county`` for a county-level case of a branch elsewhere, 404 for a
township-level one and 403 ``…:unassigned`` for a code nobody registered — telling which
branches exist elsewhere and where their cases stand. A role that may write the type at no
level is refused by type alone; the jurisdiction is judged before the case's level.
"""

from __future__ import annotations

from typing import Any

from tests.support.api import Api
from tests.support.builders import rec

OWN = {"county": "清丰县", "township": "柳格镇"}


def _case(kind: str, code: str, name: str, rid: str, **fields: Any) -> dict[str, Any]:
    return rec(f"case.{kind}", code, "2024-05-02", id=rid, case=name, **fields)


def _cases_at_v4(api: Api) -> None:
    """V4 (南乐县) has case c1 escalated to the county and c2 at township level."""
    api.write(
        [
            _case("reported", "V4", "c1", "r1", category="dispute", occurred_on="2024-05-01"),
            _case("assigned", "V4", "c1", "a1", level="township", unit="乡综治中心"),
            _case("escalated", "V4", "c1", "e1"),
            _case("reported", "V4", "c2", "r2", category="dispute", occurred_on="2024-05-01"),
            _case("assigned", "V4", "c2", "a2", level="township", unit="乡综治中心"),
        ]
    )


def _answer(api: Api, record: dict[str, Any], token: str) -> tuple[int, str]:
    response = api.post(record, token)
    return response.status_code, response.json()["detail"].replace(record["branch"], "<code>")


def test_case_level_of_an_outside_branch_is_not_revealed(api: Api) -> None:
    # given cases at two levels in a branch of another county, and a township token
    api.register()
    _cases_at_v4(api)
    township = api.token("township", **OWN)
    recorder = api.token("recorder", **OWN)
    # when the township escalates, and the recorder resolves, cases of V4 and of a code
    # nobody registered
    for token, kind, extra in (
        (township, "escalated", {}),
        (recorder, "resolved", {"outcome": "化解"}),
    ):
        unknown = _answer(api, _case(kind, "NOPE9", "c1", "x0", **extra), token)
        for n, name in enumerate(("c1", "c2", "c9")):
            outside = _answer(api, _case(kind, "V4", name, f"x{n + 1}", **extra), token)
            # then every answer is the unknown branch's: nothing about V4 or its cases
            assert outside == unknown, (kind, name)
        assert ":county" not in unknown[1] and ":township" not in unknown[1], unknown
    assert [e.record["id"] for e in api.svc.history("V4")][-1] == "a2"  # nothing written


def test_case_level_still_decides_within_the_scope(api: Api) -> None:
    # given a case of the township's own branch escalated to the county
    api.register()
    api.write(
        [
            _case("reported", "V1", "c1", "r1", category="dispute", occurred_on="2024-05-01"),
            _case("escalated", "V1", "c1", "e1"),
        ]
    )
    township = api.token("township", **OWN)
    # when the township tries to resolve it, then the county level is named
    status, detail = _answer(api, _case("resolved", "V1", "c1", "x1", outcome="化解"), township)
    assert status == 403 and "case.resolved:county" in detail
    # and a role that may never resolve hears so, without a level
    recorder = api.token("recorder", **OWN)
    status, detail = _answer(api, _case("resolved", "V1", "c1", "x2", outcome="化解"), recorder)
    assert status == 403 and detail.endswith("may not record case.resolved")
