"""Spreadsheets carry the Chinese wording beside every id, worded by the rulebook the row was
judged under: the awards sheet listed its stars as bare ids and its failing criteria as
``star.criterion: detail``, the eligibility sheet its unmet criteria the same way, the rewards and
priority sheets their benefits and entitlements as bare ids (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.api.test_exports import csv_rows, sheet_rows
from tests.support.api import YEARS, Api, five_star_three_years


def _adopt_revision(api: Api, year: int) -> None:
    body = {"year": year, "rulebook": "puyang-2024-revision", "adopt": True, "reason": "test"}
    answer = api.client.post("/recompute", json=body, headers=api.auth(api.admin))
    assert answer.status_code == 200, answer.text
    api.svc.catch_up()


def test_award_sheet_names_stars_and_words_failing_criteria(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    year = YEARS[-1]
    _adopt_revision(api, year)  # V1 held no meetings: org_life_quota now fails
    [award] = api.get("/awards", api.admin, year=year).json()
    assert award["stale"] and (award["kind"], award["rulebook"]) == (
        "village",
        "puyang-2024-revision",
    )
    header, row = sheet_rows(api.get("/awards", api.admin, year=year, format="xlsx").content)
    cells = dict(zip(header, row, strict=True))
    assert "支部过硬星" in cells["授星 stars"] and "生态宜居星" in cells["授星 stars"]
    assert cells["星代码 star ids"] == ",".join(award["stars"])
    failing = cells["现未达标 now failing"]
    assert "支部过硬星 branch_strong" in failing and "org_life_quota 认真落实" in failing

    header, *rows = sheet_rows(api.get("/eligibility", api.admin, year=year, format="xlsx").content)
    [v1] = [dict(zip(header, r, strict=True)) for r in rows if r[0] == "V1"]
    assert "org_life_quota 认真落实" in v1["未达标条件 not met"]


def test_reward_and_priority_sheets_word_their_ids(api: Api) -> None:
    api.register()
    five_star_three_years(api)
    year = YEARS[-1]
    [reward] = api.get("/rewards", api.admin, year=year).json()
    assert reward["secretary_benefits"]
    header, row = csv_rows(api.get("/rewards", api.admin, year=year, format="csv").content)
    benefits = dict(zip(header, row, strict=True))["书记待遇 benefits"]
    assert benefits.count(" ") >= len(reward["secretary_benefits"])  # "id 中文" each
    assert any("\u4e00" <= ch <= "\u9fff" for ch in benefits)
    header, row = csv_rows(api.get("/priority", api.admin, year=year, format="csv").content)
    assert (
        "awards_priority 评优评先优先考虑"
        in dict(zip(header, row, strict=True))["优先事项 entitlements"]
    )
