"""``compliance --requirement`` names one of the requirements of mechanisms.md §2: a mistyped
id is a usage error naming the known ones (as ``GET /compliance?requirement=`` answers 400),
not an empty answer that reads as "no branch is behind". On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CliResult
from tests.support.builders import village


def test_an_unknown_requirement_is_refused_naming_the_known_ones(
    cli: Callable[..., CliResult], write_ledger: Callable[[list[dict[str, Any]]], Path]
) -> None:
    # given a village that held nothing in 2025
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    asked = ("compliance", "--year", "2025", "--on", "2026-01-10", "--status", "missed")

    # when the requirement is mistyped, then the command says so (exit 2)
    wrong = cli(*asked, "--requirement", "linkage_monthy", "--json")
    assert wrong.code == 2
    assert "linkage_monthy" in wrong.err and "linkage_monthly" in wrong.err
    assert wrong.out == ""

    # and the right id answers: the village is behind on it
    right = cli(*asked, "--requirement", "linkage_monthly", "--json")
    assert right.code == 0
    [branch] = right.json()
    assert [q["requirement"] for q in branch["requirements"]] == ["linkage_monthly"]
