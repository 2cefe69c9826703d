"""Registering a branch (an admin operation) for every role at every scope (ADR 0008, 0013).

Only admin tokens register, and only where the record itself puts the branch inside their
scope: a county admin registers in its county, a township admin in its township, and a
token limited to one branch only that code. Everything else is 403 and records nothing.
The expectations are written out here, independently of ``api.http.auth``.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support.api import Api, assert_problem
from tests.support.builders import village

ROLES = ["recorder", "township", "county", "city", "province", "auditor", "service", "admin"]
SCOPES: dict[str, dict[str, str]] = {
    "province": {},
    "county": {"county": "清丰县"},
    "township": {"county": "清丰县", "township": "柳格镇"},
    "township-only": {"township": "柳格镇"},
    "branch": {"county": "清丰县", "township": "柳格镇", "branch": "N-own"},
}
# (code, county, township) and the scopes within which the registration lies
PLACES = [
    ("N-own", "清丰县", "柳格镇", {"province", "county", "township", "township-only", "branch"}),
    ("N{n}", "清丰县", "柳格镇", {"province", "county", "township", "township-only"}),
    ("N{n}", "清丰县", "马庄桥镇", {"province", "county"}),
    ("N{n}", "南乐县", "柳格镇", {"province", "township-only"}),
    ("N{n}", "南乐县", "城关镇", {"province"}),
]
_n = itertools.count(1)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
def test_registration_by_role_and_scope(lite: Api, role: str, scope: str) -> None:
    token = lite.token(role, **SCOPES[scope])
    for code, county, township, within in PLACES:
        code = code.format(n=next(_n))
        # when the token registers a branch at this place
        response = lite.post(village(code, county, township), token)
        # then only an admin token whose scope holds the place may
        if role == "admin" and scope in within:
            assert response.status_code == 201, (code, county, township, response.text)
            assert lite.svc.registration(code) is not None
        else:
            assert_problem(response, 403)
            assert lite.svc.registration(code) is None, (role, scope, code)
