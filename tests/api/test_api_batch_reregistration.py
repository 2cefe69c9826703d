"""A batch that re-registers an existing code inside the caller's county does not make the
records after it count as the caller's (ADR 0013).

Before, the admitted registration set the branch's place for the rest of the batch from the
record itself: the ledger refused the duplicate registration but applied the records that
followed into the other county's branch (an admin token of 清丰县 wrote a case into 南乐县).
"""

from __future__ import annotations

from tests.api.test_api_case_level_disclosure import OWN, _case
from tests.support.api import Api
from tests.support.builders import rec


def test_a_reregistration_does_not_carry_a_batch_into_another_county(api: Api) -> None:
    # given V4 registered in 南乐县 and an admin token of 清丰县
    api.register()
    admin = api.token("admin", county="清丰县")
    before = len(api.svc.history("V4"))
    # when a batch registers V4 again in 清丰县 and then writes a case into V4
    again = rec(
        "branch.registered",
        "V4",
        "2024-01-01",
        id="reg-again",
        name="n",
        kind="village",
        households=1,
        population=1,
        **OWN,
    )
    sneak = _case("reported", "V4", "c7", "sneak", category="dispute", occurred_on="2024-05-01")
    response = api.post([again, sneak], admin)
    # then the case is refused like one for a branch outside the token's county
    assert response.status_code == 207, response.text
    results = {r["id"]: r for r in response.json()}
    assert results["sneak"]["status"] == "refused"
    assert results["sneak"]["reason"].startswith("access: no branch V4 within"), results
    assert len(api.svc.history("V4")) == before  # nothing written into 南乐县's branch


def test_a_registration_in_the_same_batch_still_admits_what_follows(api: Api) -> None:
    # given an admin token of 清丰县, when it registers a new branch and writes to it at once
    api.register()
    admin = api.token("admin", county="清丰县")
    new = rec(
        "branch.registered",
        "V9",
        "2024-01-01",
        id="reg-v9",
        name="n",
        kind="village",
        households=1,
        population=1,
        **OWN,
    )
    case = _case("reported", "V9", "c1", "c-v9", category="dispute", occurred_on="2024-05-01")
    response = api.post([new, case], admin)
    # then both are applied
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()] == ["applied", "applied"]
