"""A token limited to a jurisdiction learns nothing about branches outside it (ADR 0013):
a write or a read naming a branch outside its scope is refused exactly as one naming a
branch that does not exist, with the same status and the same body, and no refusal names
where an outside branch is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, assert_problem
from tests.support.builders import rec

OUTSIDE = ["V4", "C1", "V3"]  # registered, outside 清丰县/柳格镇
UNKNOWN = "NOPE9"
SCOPES = [
    {"county": "清丰县", "township": "柳格镇"},
    {"county": "清丰县", "township": "柳格镇", "branch": "V1"},
]
READS = ["/branches/{code}", "/branches/{code}/history", "/branches/{code}/eligibility/2024"]


def _masked(body: Any, code: str) -> Any:
    """The answer with the branch code itself replaced (the caller named it)."""
    if isinstance(body, dict):
        return {k: _masked(v, code) for k, v in body.items()}
    if isinstance(body, list):
        return [_masked(v, code) for v in body]
    return body.replace(code, "<code>") if isinstance(body, str) else body


def _meeting(code: str) -> dict[str, Any]:
    return rec("meeting.held", code, "2024-05-01", kind="theme_day", id="probe-1")


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ["recorder", "county"])
def test_outside_and_unknown_branches_are_refused_alike(
    api: Api, role: str, scope: dict[str, str]
) -> None:
    api.register()
    token = api.token(role, **scope)

    def answers(code: str) -> list[tuple[int, Any]]:
        out = [api.post(_meeting(code), token), api.post([_meeting(code)], token)]
        out += [api.get(path.format(code=code), token) for path in READS]
        return [(r.status_code, _masked(r.json(), code)) for r in out]

    unknown = answers(UNKNOWN)
    assert [status for status, _ in unknown] == [404, 207, 404, 404, 404]
    for code in OUTSIDE:
        got = answers(code)
        assert got == unknown, code
        text = repr(got)
        for place in ("南乐县", "城关镇", "华龙区", "胜利路街道", "马庄桥镇"):
            assert place not in text, (code, place)
    assert api.svc.history("V4")[-1].record["type"] == "branch.registered"  # nothing written


def test_province_wide_tokens_still_hear_unknown_branch(api: Api) -> None:
    api.register()
    body = assert_problem(api.post(_meeting(UNKNOWN), api.token("county")), 404)
    assert "not registered" in body["detail"]
    assert (
        "unknown branch"
        in assert_problem(api.get(f"/branches/{UNKNOWN}", api.admin), 404)["detail"]
    )
