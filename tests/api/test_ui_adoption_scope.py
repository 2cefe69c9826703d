"""Adopting a rulebook from the dashboard follows ADR 0013 like ``POST /recompute``: only a
province-wide admin token adopts (an adoption changes every branch's rating).

Before, ``/ui/recompute/adopt`` checked only the admin role: an admin token limited to one
county adopted a rulebook for the whole province from the dashboard, which the API refuses.
Every role at every scope is tried here; the expectations are written out independently of
``api.http.auth``.
"""

from __future__ import annotations

import pytest

from tests.api.test_api_admin_scope import ROLES, SCOPES  # the same roles and places
from tests.api.test_ui import csrf, sign_in
from tests.support.api import Api

PREVIEW = {"province", "auditor", "admin"}  # may open the recompute page
FORM = {"year": "2024", "rulebook": "puyang-2024-revision", "reason": "the 2024 revision"}


def _adopt(api: Api, role: str, scope: str) -> int:
    """Sign in as ``role`` at ``scope``, open the preview and post the adoption form."""
    sign_in(api, api.token(role, **SCOPES[scope]))
    page = api.client.get("/ui/recompute", params={"year": 2024, "rulebook": FORM["rulebook"]})
    if role not in PREVIEW:
        assert page.status_code == 403, (role, scope)
        # the form is not offered, but a crafted post must still be refused
        dash = api.client.get("/ui/overview")
        token = csrf(dash.text) if 'name="csrf"' in dash.text else ""
    else:
        assert page.status_code == 200, (role, scope)
        offered = 'action="/ui/recompute/adopt"' in page.text
        assert offered == (role == "admin" and scope == "province"), (role, scope)
        token = csrf(page.text)
    done = api.client.post(
        "/ui/recompute/adopt", data={**FORM, "csrf": token}, follow_redirects=False
    )
    return done.status_code


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
def test_only_a_province_wide_admin_adopts_from_the_dashboard(
    lite: Api, role: str, scope: str
) -> None:
    lite.register()
    status = _adopt(lite, role, scope)
    if role == "admin" and scope == "province":
        assert status == 303
        assert [e.rulebook for e in lite.svc.adoption_events()] == [FORM["rulebook"]]
    else:
        assert status == 403, (role, scope)
        assert lite.svc.adoption_events() == []


def test_a_county_admin_cannot_adopt_from_the_dashboard(api: Api) -> None:
    # given an admin token limited to 清丰县, signed in to the dashboard
    api.register()
    # when it posts the adoption form, then it is refused and nothing is recorded
    assert _adopt(api, "admin", "county") == 403
    assert api.svc.adoption_events() == []
    assert api.get("/rulebooks", api.admin).json()["adoptions"] == []
