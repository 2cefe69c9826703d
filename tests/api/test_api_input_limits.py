"""Input at its limits over HTTP (ADR 0013): ``as_of`` at the ends of the calendar, text
beyond its limit and branch codes outside the record-id character set in ``POST /records``.
Each is refused with a problem naming the parameter or field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, assert_problem
from tests.support.builders import rec, village

EDGES = [
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
]


@pytest.mark.parametrize("as_of", EDGES)
@pytest.mark.parametrize("path", ["/branches/V1/history", "/branches/V1/eligibility/2024"])
def test_as_of_at_the_ends_of_the_calendar(lite: Api, path: str, as_of: str) -> None:
    lite.register()
    response = lite.get(path, lite.admin, as_of=as_of)
    if as_of.startswith("9999-12-31T23:59:59.999999-") or as_of.endswith("+01:00"):
        body = assert_problem(response, 400)
        assert "as_of" in body["detail"]
        assert "range" in body["detail"]
    else:
        assert response.status_code in (200, 404), response.text  # a real answer, not a 500


@pytest.mark.parametrize(
    ("field", "record"),
    [
        ("name", {**village("V9"), "name": "村" * 201}),
        ("county", {**village("V9"), "county": "县" * 201}),
        (
            "note",
            rec("incident.recorded", "V1", "2024-05-01", category="gambling", note="x" * 2001),
        ),
        ("reason", rec("weakness.designated", "V1", "2024-05-01", reason="x" * 2001)),
        ("branch", {**village("V9"), "branch": "V/9"}),
        ("branch", {**village("V9"), "branch": "V\x079"}),
        ("branch", {**village("V9"), "branch": "V9\u3000"}),
    ],
)
def test_records_beyond_limits_are_refused_naming_the_field(
    lite: Api, field: str, record: dict[str, Any]
) -> None:
    lite.register()
    body = assert_problem(lite.post(record, lite.token("county")), 422)
    assert f"structural: {field}:" in body["detail"], body
    if field == "branch":  # a branch code refused by its own rule, in plain words
        assert "letters, digits" in body["detail"]
