"""The working mechanisms' lists as spreadsheets: ``?format=csv|xlsx`` of /compliance,
/cases, /ladder and /staffing, and ``fivestar compliance|cases|ladder|staffing --format``.
Each row says what the JSON says, with Chinese labels beside the ids, inside the token's
jurisdiction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests.api.test_exports import XLSX, csv_rows, sheet_rows
from tests.support.api import Api, assert_problem

LEDGER = Path(__file__).parents[1] / "fixtures" / "ledger-mechanisms.jsonl"
ON = "2026-12-31"


def loaded(api: Api) -> Api:
    api.svc.import_file(LEDGER, "test")
    api.svc.catch_up()
    return api


def test_compliance_sheet_has_a_row_per_branch_and_requirement(api: Api) -> None:
    loaded(api)
    listed = api.get("/compliance", api.admin, year=2025, on=ON).json()
    answer = api.get("/compliance", api.admin, year=2025, on=ON, format="xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert 'filename="compliance-2025.xlsx"' in answer.headers["content-disposition"]
    rows = sheet_rows(answer.content)
    assert rows[0][4:7] == ["要求 requirement", "要求代码 requirement id", "状态 status"]
    expected = [
        (b["branch"], r["requirement"], r["held"], r["due"])
        for b in listed
        for r in b["requirements"]
    ]
    assert [(r[0], r[5], r[8], r[7]) for r in rows[1:]] == expected
    assert {r[2] for r in rows[1:]} == {datetime(2026, 12, 31)}  # a date cell, not text
    missed = [r for r in rows[1:] if r[5] == "theme_day_monthly" and r[6] == "未达标"]
    assert missed and all(r[4] == "主题党日" for r in missed)


def test_cases_ladder_and_staffing_sheets_say_what_the_json_says(api: Api) -> None:
    loaded(api)
    cases = api.get("/cases", api.admin, on=ON).json()
    table = csv_rows(api.get("/cases", api.admin, on=ON, format="csv").content)
    assert table[0][:3] == ["支部代码 branch", "案件 case", "类别 category"]
    assert [(r[0], r[1], r[3]) for r in table[1:]] == [
        (c["branch"], c["case"], c["category"]) for c in cases
    ]
    overdue = {(c["branch"], c["case"]) for c in cases if c["overdue"]}
    assert overdue == {(r[0], r[1]) for r in table[1:] if r[12] == "是"}
    assert any("超时" in r[10] for r in table[1:])  # breaches by label, level beside

    ladder = api.get("/ladder", api.admin, on=ON).json()
    sheet = sheet_rows(api.get("/ladder", api.admin, on=ON, format="xlsx").content)
    assert [(r[0], r[3]) for r in sheet[1:]] == [(x["branch"], x["required"]) for x in ladder]
    assert any(r[2] == "街道领导整改" for r in sheet[1:])
    dated = sheet_rows(api.get("/cases", api.admin, on=ON, format="xlsx").content)
    assert [r[4].date().isoformat() for r in dated[1:]] == [c["occurred_on"] for c in cases]

    staffing = api.get("/staffing", api.admin, year=2025).json()
    counties = csv_rows(api.get("/staffing", api.admin, year=2025, format="csv").content)
    assert [(r[0], int(r[3])) for r in counties[1:]] == [
        (s["county"], s["workers"]) for s in staffing
    ]


def test_mechanism_sheets_keep_the_jurisdiction_and_the_refusals(api: Api) -> None:
    loaded(api)
    county = api.token("county", county="清丰县")
    rows = sheet_rows(api.get("/cases", county, on=ON, format="xlsx").content)
    in_county = {c["branch"] for c in api.get("/cases", county, on=ON).json()}
    assert rows[1:] and {r[0] for r in rows[1:]} == in_county
    everyone = {c["branch"] for c in api.get("/cases", api.admin, on=ON).json()}
    assert in_county < everyone
    township = api.token("township", county="清丰县", township="城关镇")
    assert_problem(api.get("/staffing", township, year=2025, format="csv"), 403)
    assert_problem(api.get("/compliance", api.admin, on=ON, format="csv"), 400)  # year


def test_cli_mechanism_exports(cli: Any, tmp_path: Path) -> None:
    assert cli("import", str(LEDGER)).code in (0, 1)  # the sample holds refused lines
    out = tmp_path / "compliance.xlsx"
    done = cli("compliance", "--year", "2025", "--on", ON, "--format", "xlsx", "--out", str(out))
    assert done.code == 0, done.err
    rows = sheet_rows(out.read_bytes())
    assert rows[0][0] == "支部代码 branch" and len(rows) > 30  # requirements, not branches
    listed = cli("cases", "--on", ON, "--format", "csv")
    assert listed.code == 0 and listed.out.startswith("\ufeff支部代码 branch,案件 case")
    ladder = cli("ladder", "--on", ON, "--format", "csv")
    assert ladder.code == 0 and "需要措施 required" in ladder.out.splitlines()[0]
    staffing = cli("staffing", "--year", "2025", "--format", "csv")
    assert staffing.code == 0 and "华龙区" in staffing.out
    refused = cli("cases", "--summary", "--year", "2025", "--format", "csv")
    assert refused.code == 2 and "drop --summary" in refused.err
    refused = cli("ladder", "--apply", "--on", ON, "--format", "csv")
    assert refused.code == 2 and "--apply" in refused.err
