"""The dashboard's recompute preview and its download word each reason: the page listed
``branch_strong.org_life_quota`` and the sheet ``branch_strong`` / ``branch_strong.org_life_quota:
…`` with no Chinese, where the command line says ``org_life_quota 认真落实"三会一课"…``
(SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.api.test_exports import csv_rows
from tests.api.test_ui import sign_in
from tests.support.api import Api, five_star_three_years


def test_recompute_preview_and_its_sheet_word_the_reasons(api: Api) -> None:
    api.register()
    five_star_three_years(api)  # V1 held no meetings: the revision's org_life_quota fails
    sign_in(api, api.token("auditor"))
    params: dict[str, str | int] = {"year": 2024, "rulebook": "puyang-2024-revision"}
    page = api.client.get("/ui/recompute", params=params).text
    assert "org_life_quota" in page and "认真落实" in page
    sheet = api.client.get("/ui/recompute", params={**params, "format": "csv"})
    header, row = csv_rows(sheet.content)
    cells = dict(zip(header, row, strict=True))
    assert cells["失去星 lost"].startswith("支部过硬星")
    assert "org_life_quota 认真落实" in cells["变化条件 flipped"]


def test_the_recompute_sheet_names_both_rulebooks(api: Api) -> None:
    """Two previews of the same year under two candidate rulebooks were both
    ``recompute-2024.xlsx`` and neither file said which rulebook it previewed."""
    api.register()
    five_star_three_years(api)
    sign_in(api, api.token("auditor"))
    params: dict[str, str | int] = {"year": 2024, "rulebook": "puyang-2024-revision"}
    sheet = api.client.get("/ui/recompute", params={**params, "format": "csv"})
    assert (
        'filename="recompute-2024-puyang-2024-revision.csv"' in sheet.headers["content-disposition"]
    )
    header, row = csv_rows(sheet.content)
    cells = dict(zip(header, row, strict=True))
    assert (cells["现行标准 from"], cells["新标准 to"]) == ("puyang-2022", "puyang-2024-revision")
