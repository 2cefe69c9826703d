"""``POST /ladder/apply`` for every role at every scope (ADR 0008, 0013, 0019).

Only county and admin tokens apply the ladder, and only to the communities within their own
scope: C1 (华龙区, 胜利路街道) needs a weak-and-lax listing on 2025-03-02, so a token whose
scope covers it records the listing, one whose scope does not records nothing (and hears
nothing of C1), and every other role is refused. Asking for a county outside the token's
scope is refused; asking for one that does not exist is refused alike. The expectations are
written out here, independently of ``api.http``.
"""

from __future__ import annotations

import pytest

from tests.api.test_api_admin_scope import ROLES
from tests.api.test_api_cases_ladder import _weak_community
from tests.support.api import Api, assert_problem

SCOPES: dict[str, dict[str, str]] = {
    "province": {},
    "county": {"county": "华龙区"},
    "township": {"county": "华龙区", "township": "胜利路街道"},
    "branch": {"county": "华龙区", "township": "胜利路街道", "branch": "C1"},
    "other-county": {"county": "清丰县"},
    "other-township": {"county": "清丰县", "township": "柳格镇"},
    "other-branch": {"county": "华龙区", "township": "胜利路街道", "branch": "V1"},
}
COVERS_C1 = {"province", "county", "township", "branch"}
APPLIES = {"county", "admin"}
ON = "2025-03-02"


def _listings(api: Api) -> list[str]:
    return [
        e.record["id"] for e in api.svc.history("C1") if e.record["type"] == "weakness.designated"
    ]


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
def test_apply_by_role_and_scope(lite: Api, role: str, scope: str) -> None:
    # given a community that needs listing and a token of the role at the scope
    lite.register()
    _weak_community(lite)
    caller = lite.auth(lite.token(role, **SCOPES[scope]))
    # when it applies the ladder
    response = lite.client.post("/ladder/apply", json={"on": ON}, headers=caller)
    # then only county and admin tokens may, and only within their scope
    if role not in APPLIES:
        assert_problem(response, 403)
        assert _listings(lite) == []
        return
    assert response.status_code == 200, response.text
    outcomes = [(o["branch"], o["outcome"]) for o in response.json()["outcomes"]]
    if scope in COVERS_C1:
        assert outcomes == [("C1", "recorded")]
        assert _listings(lite) == [f"ladder-{ON}"]
    else:
        assert outcomes == []
        assert _listings(lite) == []


@pytest.mark.parametrize("scope", ["county", "township", "branch", "other-county"])
@pytest.mark.parametrize("role", sorted(APPLIES))
def test_a_county_outside_the_scope_is_refused_like_an_unknown_one(
    lite: Api, role: str, scope: str
) -> None:
    # given a scoped county or admin token and a community needing listing elsewhere
    lite.register()
    _weak_community(lite)
    caller = lite.auth(lite.token(role, **SCOPES[scope]))
    own = SCOPES[scope]["county"]
    elsewhere = "南乐县" if own != "南乐县" else "清丰县"

    def ask(county: str) -> tuple[int, str]:
        response = lite.client.post(
            "/ladder/apply", json={"on": ON, "county": county}, headers=caller
        )
        body = assert_problem(response, 403)
        return response.status_code, body["detail"].replace(county, "<county>")

    # when it names a registered county outside its scope, and one nobody registered
    # then both answers are the same refusal, and nothing is recorded
    assert ask(elsewhere) == ask("无此县")
    assert _listings(lite) == []
