"""``fivestar awards`` lists the awarded stars in the kind's canonical order (rules.md §2,
"Canonical order for output"), whatever order the award record listed them in: it printed them
as recorded, so a county that sent ``["employment_business", ..., "branch_strong"]`` got that
order back while ``eligibility`` printed the same stars canonically. The record itself (history)
keeps its order. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import (
    ALL_COMMUNITY,
    ALL_VILLAGE,
    chain,
    community,
    five_star_community_year,
    five_star_village_year,
    village,
)
from tests.support.rulebooks import rulebook_dir


def test_awarded_stars_come_out_in_canonical_order(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    # given a community eligible for all five stars and a village for three, in 2024
    three = ["safety_rule_of_law", "industry_thriving", "ecology_livable"]
    ledger = [
        community("C1"),
        *five_star_community_year("C1", 2024),
        village("V1"),
        *five_star_village_year("V1", 2024),
        # when their awards are recorded with the stars in another order
        *chain("C1", 2024, list(reversed(ALL_COMMUNITY)), "province"),
        *chain("V1", 2024, three, "county"),
    ]
    assert cli("import", str(write_ledger(ledger))).code == 0

    # then the awards list them in canonical order, as eligibility does
    awards = {a["branch"]: a for a in cli("awards", "--year", "2024", "--json").json()}
    assert awards["C1"]["stars"] == ALL_COMMUNITY
    assert awards["V1"]["stars"] == [s for s in ALL_VILLAGE if s in three]
    assert (awards["C1"]["level"], awards["V1"]["level"]) == (5, 3)
    eligible = cli("eligibility", "--year", "2024", "--branch", "C1", "--json").json()
    assert eligible[0]["eligible"] == awards["C1"]["stars"]


def test_a_star_renamed_since_the_award_keeps_its_place(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., Any],
    write_ledger: Callable[..., Any],
) -> None:
    # given a five-star community award recorded in reverse order under puyang-2022
    monkeypatch.setenv(
        "FIVESTAR_RULEBOOKS", str(rulebook_dir(tmp_path / "rulebooks", "test-strong-renamed"))
    )
    ledger = [
        community("C1"),
        *five_star_community_year("C1", 2024),
        *chain("C1", 2024, list(reversed(ALL_COMMUNITY)), "province"),
    ]
    assert cli("import", str(write_ledger(ledger))).code == 0

    # when a rulebook calling branch_strong "branch_exemplary" is adopted for 2024
    adopted = cli("recompute", "--year", "2024", "--rulebook", "test-strong-renamed", "--adopt",
                  "--reason", "test: a star renamed")  # fmt: skip
    assert adopted.code == 0, adopted.err

    # then the stale award still lists branch_strong first, at its place under puyang-2022
    [award] = cli("awards", "--year", "2024", "--json").json()
    assert award["stale"] is True
    assert award["stars"] == ALL_COMMUNITY
