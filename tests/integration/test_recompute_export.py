"""`fivestar recompute … --format csv|xlsx --out FILE` writes the dashboard's recompute sheet:
the command line had no spreadsheet of a recompute, so an official working from it retyped
the changes into Excel. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.api.test_exports import sheet_rows
from tests.integration.test_wording_of_the_rulebook_in_force import _ledger


def test_recompute_writes_its_sheet(
    cli: Callable[..., Any], write_ledger: Callable[..., Any], tmp_path: Path
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    out = tmp_path / "recompute.xlsx"
    done = cli("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision",
               "--format", "xlsx", "--out", str(out))  # fmt: skip
    assert done.code == 0, done.err
    header, row = sheet_rows(out.read_bytes())
    cells = dict(zip(header, row, strict=True))
    assert cells["支部代码 branch"] == "V1"
    assert (cells["现行标准 from"], cells["新标准 to"]) == ("puyang-2022", "puyang-2024-revision")
    assert "卫生户厕占比85%以上" in cells["变化条件 flipped"]
    assert cli("rulebooks", "--json").json()["adoptions"] == []  # a dry run still
