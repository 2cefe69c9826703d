"""Spreadsheet exports of the lists: the API's ``?format=csv|xlsx`` and ``Accept``, and
``fivestar … --format csv|xlsx --out FILE``; each says what the JSON says (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from api import exports
from tests.support.api import YEARS, Api, assert_problem, five_star_three_years
from tests.support.builders import village

XLSX = exports.MEDIA["xlsx"]


def sheet_rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_list_endpoints_as_csv_and_xlsx(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    year = YEARS[-1]
    for path, key, column in (
        ("/eligibility", lambda e: (e["branch"], len(e["eligible"])), 5),
        ("/awards", lambda a: (a["branch"], a["level"]), 2),
        ("/rewards", lambda r: (r["branch"], r["level"]), 2),
    ):
        listed = api.get(path, api.admin, year=year).json()
        assert listed, path
        answer = api.get(path, api.admin, year=year, format="xlsx")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == XLSX
        assert f'filename="{path[1:]}-{year}.xlsx"' in answer.headers["content-disposition"]
        rows = sheet_rows(answer.content)
        assert rows[0][0] == "支部代码 branch"
        assert [(r[0], r[column]) for r in rows[1:]] == [key(x) for x in listed]
        by_accept = api.client.get(
            path, params={"year": year}, headers={**api.auth(api.admin), "Accept": "text/csv"}
        )
        assert by_accept.headers["content-type"].startswith("text/csv")
        table = csv_rows(by_accept.content)
        assert [(r[0], int(r[column])) for r in table[1:]] == [key(x) for x in listed]

    priority = csv_rows(api.get("/priority", api.admin, year=year, format="csv").content)
    assert priority[0][:2] == ["支部代码 branch", "档次 tier"]
    assert priority[1][:2] == ["V1", "连续三年五星"]
    registry = sheet_rows(api.get("/branches", api.admin, format="xlsx").content)
    assert [r[0] for r in registry[1:]] == ["C1", "V1", "V2", "V3", "V4"]
    history = csv_rows(api.get("/branches/V1/history", api.admin, format="csv").content)
    assert history[1][3] == "branch.registered 支部登记"


def test_exports_keep_the_jurisdiction_and_the_refusals(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    other = api.token("county", county="南乐县")
    rows = sheet_rows(api.get("/awards", other, year=YEARS[-1], format="xlsx").content)
    assert rows[1:] == []  # the same filter as the JSON: nothing outside the county
    assert_problem(api.get("/awards", None, year=2024, format="csv"), 401)
    assert_problem(api.get("/awards", api.admin, format="csv"), 400)  # year is required
    refused = assert_problem(api.get("/awards", api.admin, year=2024, format="pdf"), 400)
    assert "csv, xlsx" in refused["detail"]
    plain = api.get("/awards", api.admin, year=2024, format="json")
    assert plain.headers["content-type"].startswith("application/json")


def test_cli_exports(cli: Any, write_ledger: Any, tmp_path: Path) -> None:
    assert (
        cli("import", str(write_ledger([village("V1"), village("V2", "南乐县", "城关镇")]))).code
        == 0
    )
    out = tmp_path / "eligibility.xlsx"
    done = cli("eligibility", "--year", "2024", "--format", "xlsx", "--out", str(out))
    assert done.code == 0, done.err
    rows = sheet_rows(out.read_bytes())
    assert [r[0] for r in rows[1:]] == ["V1", "V2"]
    assert rows[1][2] == "农村"
    listed = cli("awards", "--year", "2024", "--format", "csv")
    assert listed.code == 0 and listed.out.startswith("\ufeff支部代码 branch")
    refused = cli("priority", "--year", "2024", "--format", "xlsx")
    assert refused.code == 2 and "--out FILE" in refused.err
    blocker = tmp_path / "a-file"  # a folder that cannot be made, whoever runs the test
    blocker.write_text("")
    nowhere = cli("rewards", "--year", "2024", "--format", "csv", "--out", str(blocker / "x.csv"))
    assert nowhere.code == 2 and "cannot write" in nowhere.err


def test_unknown_list_and_format_are_refused() -> None:
    try:
        exports.render("nope", [], "csv")
    except exports.ExportError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("an unknown list was exported")
    assert exports.wanted_format({}, "application/json") is None
    assert exports.wanted_format({"format": ["XLSX"]}, "") == "xlsx"
    assert exports.wanted_format({}, XLSX) == "xlsx"
