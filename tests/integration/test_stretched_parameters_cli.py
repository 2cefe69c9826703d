"""Parameter files stretched to their extremes, through the command line on SQLite and
PostgreSQL: a figure that is not a finite number is refused naming the file and the key (exit 2),
where ``workers_per_10k = inf`` made `fivestar staffing` crash on ``int(inf)``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.model.rulebook import rulebook_dir
from tests.conftest import CliResult
from tests.support.builders import community, rec


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped rulebooks folder that the test may edit."""
    target = tmp_path / "rulebooks"
    shutil.copytree(rulebook_dir(), target)
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(target))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_an_infinite_workers_standard_is_refused_not_a_crash(
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
    folder: Path,
) -> None:
    # given a community that reported its workers for 2025
    ledger = [
        community("C1"),
        rec("staffing.reported", "C1", "2025-12-31", year=2025, workers=20, lowest_pay=90000,
            social_insurance=True, housing_fund=True),
    ]  # fmt: skip
    assert cli("import", str(write_ledger(ledger))).code == 0
    assert cli("staffing", "--year", "2025").code == 0

    # when the standard is edited to TOML's infinity
    edit(folder / "mechanism-standards.toml", "workers_per_10k = 18", "workers_per_10k = inf")

    # then every command that reads it names the file and the key
    for args in (("staffing", "--year", "2025"), ("staffing", "--year", "2025", "--json")):
        answer = cli(*args)
        assert answer.code == 2, args
        assert "mechanism-standards.toml" in answer.err and "workers_per_10k" in answer.err
        assert "Traceback" not in answer.err


def test_an_infinite_wage_floor_is_refused_not_printed_as_null(
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
    folder: Path,
) -> None:
    assert cli("import", str(write_ledger([community("C1")]))).code == 0
    (folder / "county-parameters.toml").write_text(
        '["华龙区".2025]\nurban_population = 1000\nwage_floor = inf\n', "utf-8"
    )
    answer = cli("staffing", "--year", "2025", "--json")
    assert answer.code == 2
    assert "county-parameters.toml" in answer.err and "wage_floor" in answer.err


def test_a_broken_rulebook_names_itself_not_the_store(
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
    folder: Path,
) -> None:
    # given a rulebook whose figure is not a number
    edit(folder / "puyang-2022.toml", "at_least = 200000", "at_least = nan")

    # when a ledger is imported under it
    answer = cli("import", str(write_ledger([community("C1")])))

    # then the refusal names the file and the key, and does not blame the store
    assert answer.code == 2
    assert "puyang-2022.toml" in answer.err and "at_least" in answer.err
    assert "cannot open the store" not in answer.err
