"""An award whose star the rulebook adopted since no longer has (a stretched rulebook that
renames a star) is stale, and ``now_failing`` says why: it listed nothing, so `fivestar
awards` printed "STALE:" with no reason (rules.md §9: ``now_failing`` then lists what fails).
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import chain, five_star_village_year, village
from tests.support.rulebooks import rulebook_dir

ALL = ["branch_strong", "industry_thriving", "ecology_livable", "safety_rule_of_law",
       "civility_happiness"]  # fmt: skip


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = rulebook_dir(tmp_path / "rulebooks", "test-strong-renamed")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


def test_a_star_the_adopted_rulebook_renamed_is_named_in_now_failing(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    # given a five-star award for 2024 under puyang-2022
    ledger = [
        village("V1"),
        *five_star_village_year("V1", 2024),
        *chain("V1", 2024, ALL, "province"),
    ]
    assert cli("import", str(write_ledger(ledger))).code == 0
    [award] = cli("awards", "--year", "2024", "--json").json()
    assert (award["level"], award["stale"]) == (5, False)

    # when a rulebook calling branch_strong "branch_exemplary" is adopted for 2024
    adopted = cli("recompute", "--year", "2024", "--rulebook", "test-strong-renamed", "--adopt",
                  "--reason", "test: a star renamed")  # fmt: skip
    assert adopted.code == 0, adopted.err

    # then the award is stale and says which awarded star the rulebook no longer rates
    [award] = cli("awards", "--year", "2024", "--json").json()
    assert award["stale"] is True
    assert [(c["star"], c["criterion"], c["met"]) for c in award["now_failing"]] == [
        ("branch_strong", "not_rated", False)
    ]
    assert "test-strong-renamed" in award["now_failing"][0]["detail"]
    text = cli("awards", "--year", "2024")
    assert text.code == 0 and "not_rated 现行评星标准无此星" in text.out
