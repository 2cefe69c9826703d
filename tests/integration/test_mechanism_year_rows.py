"""A working-mechanism report that names a year (staffing, facilities) holds no rating fact,
so it writes no eligibility row for that year: such a row was not rewritten when a weak spell
recorded later reached its year, and the branch stayed eligible there until a rebuild. Found
by the replay property's comparison of stored rows. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CliResult
from tests.support.builders import community, rec

ASKED = ("eligibility", "--year", "2025", "--json")


def test_a_spell_recorded_later_excludes_a_year_that_only_has_a_staffing_report(
    cli: Callable[..., CliResult], write_ledger: Callable[[list[dict[str, Any]]], Path]
) -> None:
    # given a community whose only 2025 record is its staffing report
    staffing = rec("staffing.reported", "C1", "2025-06-28", year=2025, workers=3,
                   lowest_pay=80000, social_insurance=True, housing_fund=True)  # fmt: skip
    assert cli("import", str(write_ledger([community("C1"), staffing]))).code == 0
    [before] = cli(*ASKED).json()
    assert before["excluded"] is False

    # when a weak spell from 2023, never lifted, is recorded afterwards
    spell = rec("weakness.designated", "C1", "2023-07-01", reason="软弱涣散")
    assert cli("import", str(write_ledger([spell]))).code == 0

    # then 2025 is excluded at once, as a rebuild says
    [kept] = cli(*ASKED).json()
    assert kept["excluded"] is True
    assert cli("rebuild").code == 0
    [rebuilt] = cli(*ASKED).json()
    assert (rebuilt["excluded"], rebuilt["criteria"]) == (True, kept["criteria"])
