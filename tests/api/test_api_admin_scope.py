"""Scope and rank of administration (ADR 0013): every role in every scope against
``/tokens`` (issue, list, revoke) and ``/recompute`` (dry run, adopt).

A token issues tokens only within its own scope, never of a higher role and never of a
reviewing role that decides above its scope (a county admin mints no city or province
reviewer); it revokes and lists only tokens within its scope, and adopts a rulebook only
when province-wide. The expectations are written out here, independently of
``api.http.auth``.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support.api import Api, assert_problem

ROLES = ["recorder", "township", "county", "city", "province", "auditor", "service", "admin"]
SCOPES: dict[str, dict[str, str]] = {
    "province": {},
    "county": {"county": "清丰县"},
    "township": {"county": "清丰县", "township": "柳格镇"},
    "branch": {"county": "清丰县", "township": "柳格镇", "branch": "V1"},
}
# Scopes that do not lie within any of the above but the province.
ELSEWHERE: dict[str, dict[str, str]] = {
    "other-county": {"county": "南乐县"},
    "other-township": {"county": "清丰县", "township": "马庄桥镇"},
    "other-branch": {"county": "清丰县", "township": "柳格镇", "branch": "V2"},
}
WIDER = ["province", "county", "township", "branch"]  # each lies within those before it
# The reviewing roles, and the narrowest issuer's scope that may create them: a county's
# admin may not mint the city's or the province's reviewer of its own branches.
ISSUED_FROM = {
    "province": "province",
    "city": "province",
    "county": "county",
    "township": "township",
}
RECOMPUTE = {"province", "auditor", "admin"}
_names = itertools.count(1)

both = pytest.mark.parametrize(
    ("role", "scope"), [(role, scope) for role in ROLES for scope in SCOPES]
)


def within(inner: str, outer: str) -> bool:
    """Whether scope ``inner`` lies within scope ``outer`` (a name of SCOPES or ELSEWHERE)."""
    if outer not in WIDER:
        return inner == outer
    if inner in WIDER:
        return WIDER.index(inner) >= WIDER.index(outer)
    # other-county lies only within the province; other-township within the county;
    # other-branch within the county and the township
    return {"other-county": 0, "other-township": 1, "other-branch": 2}[inner] >= WIDER.index(outer)


ALL_SCOPES = {**SCOPES, **ELSEWHERE}


@both
def test_issuing_tokens_stays_within_scope_and_rank(lite: Api, role: str, scope: str) -> None:
    lite.register()
    caller = lite.auth(lite.token(role, **SCOPES[scope]))
    for target_role in ROLES:
        for target_scope, fields in ALL_SCOPES.items():
            name = f"new{next(_names)}"
            body = {"role": target_role, "name": name, **fields}
            response = lite.client.post("/tokens", json=body, headers=caller)
            reach = WIDER.index(ISSUED_FROM.get(target_role, "branch"))
            if role == "admin" and within(target_scope, scope) and WIDER.index(scope) <= reach:
                assert response.status_code == 201, (target_role, target_scope, response.text)
                assert {k: response.json()[k] for k in fields} == fields
            else:
                assert_problem(response, 403)
                assert lite.app.state.tokens.get(name) is None, (target_role, target_scope)


@both
def test_listing_tokens_shows_only_those_within_scope(lite: Api, role: str, scope: str) -> None:
    caller = lite.auth(lite.token(role, name=f"me{next(_names)}", **SCOPES[scope]))
    others = {}
    for other_scope, fields in ALL_SCOPES.items():
        name = f"other{next(_names)}"
        lite.token("recorder", name=name, **fields)
        others[name] = other_scope
    response = lite.client.get("/tokens", headers=caller)
    if role != "admin":
        assert_problem(response, 403)
        return
    assert response.status_code == 200, response.text
    listed = {t["name"] for t in response.json()}
    assert {n for n in listed if n in others} == {n for n, s in others.items() if within(s, scope)}


@both
def test_revoking_tokens_stays_within_scope(lite: Api, role: str, scope: str) -> None:
    caller = lite.auth(lite.token(role, **SCOPES[scope]))
    for victim_scope, fields in ALL_SCOPES.items():
        victim = lite.token("recorder", name=f"victim{next(_names)}", **fields)
        name = lite.app.state.tokens.find(_hash(victim)).name
        response = lite.client.delete(f"/tokens/{name}", headers=caller)
        if role != "admin":
            assert_problem(response, 403)
        elif within(victim_scope, scope):
            assert response.status_code == 200, response.text
            assert_problem(lite.get("/branches", victim), 401)
            continue
        else:
            # refused exactly like a name that does not exist: nothing is revealed
            body = assert_problem(response, 404)
            unknown = assert_problem(lite.client.delete("/tokens/nobody", headers=caller), 404)
            assert body == {**unknown, "detail": unknown["detail"].replace("nobody", name)}
        assert lite.get("/branches", victim).status_code == 200  # still valid


@both
def test_recompute_and_adoption_by_role_and_scope(lite: Api, role: str, scope: str) -> None:
    lite.register()
    caller = lite.auth(lite.token(role, **SCOPES[scope]))
    dry = {"year": 2024, "rulebook": "puyang-2024-revision"}
    response = lite.client.post("/recompute", json=dry, headers=caller)
    if role in RECOMPUTE:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 403)
    adopt = {**dry, "adopt": True, "reason": "the 2024 revision"}
    response = lite.client.post("/recompute", json=adopt, headers=caller)
    if role == "admin" and scope == "province":
        assert response.status_code == 200, response.text
        assert response.json()["adopted"]["position"] > 0
    else:
        assert_problem(response, 403)
        assert lite.svc.adoption_events() == []


def _hash(token: str) -> str:
    from api.http.auth import hash_token

    return hash_token(token)


def test_options_on_tokens_names_every_method(lite: Api) -> None:
    response = lite.client.options("/tokens", headers=lite.auth(lite.admin))
    assert response.status_code == 204
    assert set(response.headers["allow"].split(", ")) == {"GET", "OPTIONS", "POST"}
