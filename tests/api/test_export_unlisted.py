"""``?format=csv|xlsx`` on an endpoint that has no spreadsheet (a single branch's compliance or
ladder, the case summary) is refused with the lists that have one: it answered JSON with 200,
so a link an official saved as ``cases.csv`` held JSON (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.api import Api, assert_problem


def test_a_spreadsheet_of_an_endpoint_without_one_is_refused(api: Api) -> None:
    api.register()
    for path, params in (
        ("/cases/summary", {"year": 2025, "on": "2025-12-31"}),
        ("/branches/V1/compliance/2025", {"on": "2025-12-31"}),
        ("/branches/V1/ladder", {"on": "2025-12-31"}),
    ):
        plain = api.get(path, api.admin, **params, format="json")
        assert plain.status_code == 200, (path, plain.text)
        refused = assert_problem(api.get(path, api.admin, **params, format="csv"), 400)
        assert path in refused["detail"] and "/compliance" in refused["detail"]
    assert api.get("/cases", api.admin, on="2025-12-31", format="csv").status_code == 200
