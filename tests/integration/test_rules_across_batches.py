"""Rating rules whose records reach back over several years, recorded in separate imports:
the incremental read models answer as the as-of replay and ``rebuild`` do. The property test
draws short ledgers; these are the long reaches it does not generate. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from api.http.schemas import RecomputeReport
from tests.support.builders import (
    ALL_VILLAGE,
    chain,
    community,
    five_star_community_year,
    five_star_village_year,
    rec,
    village,
)
from tests.support.rulebooks import rulebook_dir

YEARS = (2020, 2021, 2022)


def judged(cli: Callable[..., Any], year: int, *extra: str) -> list[dict[str, Any]]:
    """The eligibility answers without their basis (which names the position asked)."""
    res = cli("eligibility", "--year", str(year), "--json", *extra)
    assert res.code == 0, res.err
    return [{k: v for k, v in e.items() if k != "basis"} for e in res.json()]


def imported(cli: Callable[..., Any], write_ledger: Callable[..., Any], records: list) -> None:
    res = cli("import", str(write_ledger(records)))
    assert res.code == 0, res.out


def test_a_lift_years_later_reaches_every_year_of_the_spell(cli, write_ledger):
    imported(
        cli,
        write_ledger,
        [
            village("V1"),
            *[
                rec(
                    "metric.reported",
                    "V1",
                    f"{y}-12-01",
                    year=y,
                    metric="collective_income",
                    value=1,
                )
                for y in YEARS
            ],
            rec("weakness.designated", "V1", "2020-03-01", id="w1", reason="软弱涣散"),
        ],
    )
    imported(cli, write_ledger, [rec("weakness.lifted", "V1", "2025-06-01", id="w2")])
    for year in YEARS:
        live = judged(cli, year)
        assert live[0]["excluded"] is True
        assert live[0]["exclusion"]["evidence"] == ["w1", "w2"], (year, live[0]["exclusion"])
        assert live == judged(cli, year, "--position", "1000"), year
    assert cli("rebuild").code == 0
    for year in YEARS:
        assert judged(cli, year)[0]["exclusion"]["evidence"] == ["w1", "w2"]


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = rulebook_dir(tmp_path / "rulebooks", "test-criteria-removed")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


def test_a_star_gained_by_a_dropped_criterion_shows_that_criterion(books, cli, write_ledger):
    """``test-criteria-removed`` drops ``collective_income``: a village failing only it gains
    industry_thriving, and the dry run names the dropped criterion as the reason."""
    facts = [
        r for r in five_star_village_year("V1", 2024) if r.get("metric") != "collective_income"
    ]
    imported(cli, write_ledger, [village("V1"), *facts])
    res = cli("recompute", "--year", "2024", "--rulebook", "test-criteria-removed", "--json")
    assert res.code == 0, res.err
    (change,) = res.json()["changes"]
    assert "industry_thriving" in change["gained"]
    dropped = [f for f in change["flipped"] if f["star"] == "industry_thriving"]
    assert [(f["criterion"], f["was"], f["now"]) for f in dropped] == [
        ("collective_income", False, None)
    ]
    text = cli("recompute", "--year", "2024", "--rulebook", "test-criteria-removed")
    assert "collective_income reported for 2024" in text.out, text.out


def test_a_three_star_reward_with_no_secretary_lists_no_secretary_benefit(cli, write_ledger):
    """清丰县's table gives three stars funds, a rise and a secretary's benefit; a branch
    with no secretary on record gets the funds and the rise, and no benefit."""
    three = ["industry_thriving", "ecology_livable", "safety_rule_of_law"]
    records = [village("V1"), *five_star_village_year("V1", 2024)]
    imported(cli, write_ledger, [*records, *chain("V1", 2024, three, "county")])
    res = cli("rewards", "--year", "2024", "--json")
    assert res.code == 0, res.err
    (row,) = res.json()
    assert (row["level"], row["funds_yuan"], row["secretary"]) == (3, 20000, None)
    assert row["secretary_benefits"] == []


def test_a_community_stale_award_reads_in_the_communitys_wording(cli, write_ledger):
    """The urban standard says "三零"社区 where the rural one says "三零"村."""
    three = ["co_build_share", "safety_rule_of_law", "happiness_harmony"]
    records = [community("C1"), *five_star_community_year("C1", 2024)]
    revoked = rec("designation.revoked", "C1", "2025-02-01", year=2024, designation="three_zero")
    imported(cli, write_ledger, [*records, *chain("C1", 2024, three, "county"), revoked])
    res = cli("awards", "--year", "2024")
    assert res.code == 0, res.err
    assert "three_zero 成功创建“三零”社区" in res.out, res.out
    assert "“三零”村" not in res.out


def test_the_api_report_shape_takes_a_dropped_criterion(books, cli, write_ledger):
    """The HTTP answer's schema (``RecomputeReport``) accepts ``now: null``."""
    facts = [
        r for r in five_star_village_year("V1", 2024) if r.get("metric") != "collective_income"
    ]
    imported(cli, write_ledger, [village("V1"), *facts])
    res = cli("recompute", "--year", "2024", "--rulebook", "test-criteria-removed", "--json")
    report = msgspec.convert(res.json(), RecomputeReport)
    (change,) = report.changes
    flips = {(f.star, f.criterion): (f.was, f.now) for f in change.flipped}
    assert flips[("industry_thriving", "collective_income")] == (False, None)


@pytest.fixture
def renamed_books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = rulebook_dir(tmp_path / "rulebooks", "test-strong-renamed")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


def test_a_star_list_mixing_two_rulebooks_names_is_refused_not_a_crash(
    renamed_books, cli, write_ledger
):
    """``test-strong-renamed`` calls 支部过硬星 ``branch_exemplary``: both ids are accepted,
    but a list holding both (six stars) is no rulebook's five. The province's award of six
    stars crashed the import (StopIteration: no authority awards six)."""
    six = [*ALL_VILLAGE, "branch_exemplary"]
    on = iter(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"])
    chain_of_six = [
        rec("rating.declared", "V1", "2024-12-01", year=2024, stars=six),
        *[
            rec("rating.recommended", "V1", next(on), year=2024, stars=six, by=by)
            for by in ("township", "county", "city")
        ],
        rec("rating.awarded", "V1", next(on), year=2024, stars=six, by="province"),
    ]
    records = [village("V1"), *five_star_village_year("V1", 2024), *chain_of_six]
    res = cli("import", str(write_ledger(records)))
    assert res.code == 1, res.out
    refused = [line for line in res.out.splitlines() if line.startswith("line ")]
    assert len(refused) == 5, res.out
    assert all("structural: stars:" in line and "any one rulebook" in line for line in refused)
    assert cli("awards", "--year", "2024", "--json").json() == []
    five = rec("rating.declared", "V1", "2024-12-02", year=2024, stars=ALL_VILLAGE)
    imported(cli, write_ledger, [five])
