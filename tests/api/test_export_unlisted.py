"""``?format=csv|xlsx`` on a list that has no spreadsheet (compliance, cases, ladder, staffing)
is refused with the lists that have one: it answered JSON with 200, so a link an official
saved as ``cases.csv`` held JSON (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.api import Api, assert_problem


def test_a_spreadsheet_of_a_list_without_one_is_refused(api: Api) -> None:
    api.register()
    for path, params in (
        ("/cases", {"on": "2025-12-31"}),
        ("/compliance", {"year": 2025, "on": "2025-12-31"}),
        ("/ladder", {"on": "2025-12-31"}),
        ("/staffing", {"year": 2025}),
    ):
        plain = api.get(path, api.admin, **params, format="json")
        assert plain.status_code == 200, (path, plain.text)
        refused = assert_problem(api.get(path, api.admin, **params, format="csv"), 400)
        assert path in refused["detail"] and "/awards" in refused["detail"]
    assert api.get("/awards", api.admin, year=2025, format="csv").status_code == 200
