"""A dashboard path or filter holding a control character is a bad request (400), on every
store, as in the API (``common._TEXT``).

Before, the pages took any text: SQLite looked the code up and found nothing (404), while
PostgreSQL, whose text cannot hold NUL, failed the query and the page answered 503 "the store
is unreachable", with a Retry-After, for what was only bad input.
"""

from __future__ import annotations

import pytest

from tests.api.test_ui import sign_in
from tests.support.api import Api

BAD = [
    "/ui/branches/a%00b",
    "/ui/branches/a%00b/history",
    "/ui/branches/V%0a1",
    "/ui/overview?county=a%00b",
    "/ui/overview?county=%E6%B8%85%E4%B8%B0%E5%8E%BF&township=a%00b",
    "/ui/list?county=a%00b",
    "/ui/list?township=a%00b&format=csv",
]


@pytest.mark.parametrize("role", ["auditor", "township"])
def test_control_characters_in_pages_are_bad_requests(api: Api, role: str) -> None:
    # given a reader signed in (one province-wide, one scoped)
    api.register()
    scope = {"county": "清丰县", "township": "柳格镇"} if role == "township" else {}
    sign_in(api, api.token(role, **scope))
    # when a page is asked for with a control character in its code or a filter
    for path in BAD:
        # then the answer is 400 on either store, never a store outage
        assert api.client.get(path).status_code == 400, path
    # and the empty fields a form sends still mean "no condition"
    assert api.client.get("/ui/list?county=&township=").status_code == 200
    assert api.client.get("/ui/overview?county=%E6%B8%85%E4%B8%B0%E5%8E%BF").status_code == 200
