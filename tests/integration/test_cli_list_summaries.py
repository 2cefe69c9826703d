"""Every list the command line prints ends with a summary line, even when it is empty, and
the tabular ones align by display width (a Chinese character is two columns wide)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from tests.support.builders import community, rec, village

WriteLedger = Callable[..., Path]


def _ledger() -> list[dict[str, Any]]:
    return [
        village("V1", "清丰县", "柳格镇"),
        community("C1", "华龙区", "胜利路街道"),
        rec("case.reported", "V1", "2025-03-01", case="k1", category="dispute",
            occurred_on="2025-03-01"),
        rec("case.reported", "C1", "2025-03-01", case="c1", category="dispute",
            occurred_on="2025-03-01"),
        rec("case.assigned", "C1", "2025-03-03", case="c1", level="county", unit="县住建局"),
        rec("staffing.reported", "C1", "2025-12-01", year=2025, workers=12, lowest_pay=90000,
            social_insurance=True, housing_fund=True),
    ]  # fmt: skip


def test_cases_end_with_a_count_of_cases_and_overdue(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    lines = cli("cases", "--on", "2025-03-10").out.splitlines()
    assert lines[0].startswith("[超期] C1 c1")  # the case lines are unchanged
    assert lines[-1] == "2 cases on 2025-03-10: 1 overdue 超期"


def test_the_case_summary_aligns_its_columns(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    out = cli("cases", "--summary", "--year", "2025", "--on", "2025-03-10").out.splitlines()
    table = [line for line in out if "合计超期案件" not in line]
    assert table[0].startswith("县区") and len(table) == 3
    # where each column ends, in display columns (cells are separated by two spaces or more)
    ends = [
        [cell_len(line[: m.end()]) for m in re.finditer(r"\S+(?: \S+)*", line)] for line in table
    ]
    assert ends[1][2:9] == ends[0][2:9] == ends[2][2:9]  # the counts are right-aligned
    assert '华龙区 合计超期案件 ("0"): **1**' in out


def test_the_ladder_ends_with_a_count_and_says_nothing_matched(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    lines = cli("ladder", "--on", "2025-04-01").out.splitlines()
    assert lines[0].startswith("C1 2025-04-01 | 需 ")
    assert lines[-1] == "2 branches on 2025-04-01: 0 need a measure, 0 short 措施不足, 0 to list"
    empty = cli("ladder", "--on", "2025-04-01", "--county", "不存在县").out.splitlines()
    assert empty[-1] == "0 branches on 2025-04-01: 0 need a measure, 0 short 措施不足, 0 to list"


def test_staffing_ends_with_a_count_of_counties(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    lines = cli("staffing", "--year", "2025").out.splitlines()
    assert lines[0].startswith("华龙区 2025: 1 个社区, 12 名社区工作者")
    assert lines[-1].startswith("1 county for 2025: ")


def test_compliance_with_no_branch_in_scope_says_so(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    """It printed nothing at all and exited 0 (a mistyped county looked like an empty day)."""
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    empty = cli("compliance", "--year", "2025", "--on", "2025-04-01", "--county", "不存在县")
    assert empty.code == 0
    assert empty.out.splitlines() == ["0 branches for 2025 on 2025-04-01"]
    full = cli("compliance", "--year", "2025", "--on", "2025-04-01").out.splitlines()
    assert full[-1] == "2 branches for 2025 on 2025-04-01"
