"""The dashboard, like the API (ADR 0013), tells a scoped token nothing about branches outside
its jurisdiction: the branch page and the history page of an outside branch answer exactly as
those of a branch that does not exist (status and page, the code itself aside). Before, an
outside branch answered 403 "不在令牌…的管辖范围内" and an unknown one 404, so a township
token could list which codes exist elsewhere."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.api import Api

PAGES = ["/ui/branches/{code}", "/ui/branches/{code}/history"]


def sign_in(api: Api, token: str) -> Any:
    form = api.client.get("/ui/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    return api.client.post("/ui/login", data={"token": token, "nonce": nonce.group(1)})


def _page(api: Api, path: str, code: str) -> tuple[int, str]:
    answer = api.client.get(path.format(code=code))
    main = re.search(r"<main.*?</main>", answer.text, re.S)
    text = (main.group(0) if main else answer.text).replace(code, "<code>")
    return answer.status_code, text


@pytest.mark.parametrize("path", PAGES)
def test_an_outside_branch_looks_like_an_unknown_one(api: Api, path: str) -> None:
    # given branches in two counties and a township token of 柳格镇, 清丰县, signed in
    api.register()
    sign_in(api, api.token("township", county="清丰县", township="柳格镇"))
    # when it opens a page of a registered branch of 南乐县 and of a code nobody registered
    outside = _page(api, path, "V4")
    unknown = _page(api, path, "NOPE9")
    # then both answers are the same 404, naming no place
    assert outside == unknown
    assert outside[0] == 404 and "南乐县" not in outside[1] and "城关镇" not in outside[1]
    # and its own branches still open
    assert api.client.get(path.format(code="V1")).status_code == 200


def test_a_province_wide_reader_is_still_told_the_branch_is_unknown(api: Api) -> None:
    api.register()
    sign_in(api, api.token("auditor"))
    status, text = _page(api, PAGES[0], "NOPE9")
    assert status == 404 and "no records in this ledger" in text


def test_an_unreadable_as_of_shows_its_error_and_no_records(api: Api) -> None:
    # given a branch with records and an auditor signed in
    api.register()
    sign_in(api, api.token("auditor"))
    whole = api.client.get("/ui/branches/V1/history")
    assert whole.status_code == 200 and 'id="rec-' in whole.text
    # when the history is asked "as of" a time that is not one
    page = api.client.get("/ui/branches/V1/history", params={"as_of": "yesterday"})
    download = api.client.get(
        "/ui/branches/V1/history", params={"as_of": "yesterday", "format": "csv"}
    )
    # then the page names the error and lists no record, and the download is refused
    assert page.status_code == 200 and "as_of: not an ISO 8601 timestamp" in page.text
    assert 'id="rec-' not in page.text
    assert download.status_code == 400 and "as_of" in download.text
