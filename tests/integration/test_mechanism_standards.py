"""The working mechanisms' standards are data (ADR 0036): an edited
``rulebooks/mechanism-standards.toml`` judges the next command and request by its figures, with
no rebuild. A cached HTTP answer of the same ledger position is not served after the edit. A
broken file is named: exit 2 on the command line, 503 over HTTP, a 503 page on the dashboard.
On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.model.rulebook import rulebook_dir
from tests.conftest import CliResult
from tests.support.api import Api, api_for
from tests.support.builders import community, rec

ASKED = ("compliance", "--year", "2025", "--on", "2025-12-31", "--branch", "C1", "--json")


@pytest.fixture
def standards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped rulebooks folder that the test may edit."""
    folder = tmp_path / "rulebooks"
    shutil.copytree(rulebook_dir(), folder)
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    yield folder / "mechanism-standards.toml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def ledger() -> list[dict[str, Any]]:
    """A community of 2,000 households in one grid of 2,000, with 500 m² of service centre,
    and three problems open: 3 open areas."""
    areas = ["co_build_share", "safety_rule_of_law", "happiness_harmony"]
    return [
        community("C1"),
        rec("grid.defined", "C1", "2025-01-01", grid="G1", households=2000, head="甲",
            full_time_workers=1),
        rec("facility.reported", "C1", "2025-06-01", year=2025, facility="service_centre_m2",
            value=500),
        *[
            rec("problem.registered", "C1", "2025-03-01", problem=f"p{i}", area=area,
                summary="问题", deadline="2026-12-31")
            for i, area in enumerate(areas)
        ],
    ]  # fmt: skip


def requirement(result: CliResult, rid: str) -> dict[str, Any]:
    [branch] = result.json()
    return next(q for q in branch["requirements"] if q["requirement"] == rid)


def test_an_edited_file_judges_the_next_command(
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
    standards: Path,
) -> None:
    # given the community, judged by the shipped standards
    assert cli("import", str(write_ledger(ledger()))).code == 0
    area = requirement(cli(*ASKED), "service_centre_area")
    grid = requirement(cli(*ASKED), "grid_standard")
    assert area["status"] == "missed"  # 500 m² < 30 per hundred of 2,000 households
    assert grid["warnings"] == ["G1: 2000 households, outside 300-500"]
    ladder = cli("ladder", "--on", "2025-12-31", "--branch", "C1", "--json").json()
    assert ladder[0]["required"] == "work_group"  # 3 open areas

    # when the city lowers the area, widens the grid and raises the ladder's threshold
    edit(
        standards,
        "service_centre_m2_per_100_households = 30",
        "service_centre_m2_per_100_households = 25",
    )
    edit(standards, "grid_households_max = 500", "grid_households_max = 2000")
    edit(standards, "work_group = 3", "work_group = 4")

    # then the next commands judge by the new figures, with no rebuild
    assert requirement(cli(*ASKED), "service_centre_area")["status"] == "met"
    assert requirement(cli(*ASKED), "grid_standard")["warnings"] == []
    text = cli("compliance", "--year", "2025", "--on", "2025-12-31", "--branch", "C1")
    assert "每百户25㎡" in text.out
    ladder = cli("ladder", "--on", "2025-12-31", "--branch", "C1", "--json").json()
    assert (ladder[0]["required"], ladder[0]["listing_required"]) == ("street_leader", False)


def test_a_broken_file_is_named_by_every_entry_point(
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
    standards: Path,
    db: str,
) -> None:
    assert cli("import", str(write_ledger(ledger()))).code == 0
    edit(standards, "theme_day = 5", "theme_day = 40")
    for args in (ASKED, ("ladder", "--on", "2025-12-31", "--json"), ("staffing", "--year", "2025")):
        broken = cli(*args)
        assert broken.code == 2, args
        assert "mechanism-standards.toml" in broken.err and "theme_day" in broken.err
        assert "Traceback" not in broken.err
    for api in api_for(db):
        for path, params in [
            ("/compliance", {"year": 2025}),
            ("/branches/C1/compliance/2025", {}),
            ("/ladder", {}),
            ("/staffing", {"year": 2025}),
        ]:
            answer = api.get(path, api.admin, **params)
            assert answer.status_code == 503, path
            assert "theme_day" in answer.json()["detail"]


def test_a_cached_answer_is_not_served_after_the_file_changes(api: Api, standards: Path) -> None:
    api.write(ledger()[:1])
    api.write(ledger()[1:], api.token("county", county="华龙区"))
    asked = {"year": 2025, "on": "2025-12-31"}

    def area_status() -> str:
        [branch] = api.get("/compliance", api.admin, **asked).json()
        found = next(q for q in branch["requirements"] if q["requirement"] == "service_centre_area")
        return str(found["status"])

    assert area_status() == "missed"
    assert area_status() == "missed"  # kept for this ledger position
    edit(
        standards,
        "service_centre_m2_per_100_households = 30",
        "service_centre_m2_per_100_households = 25",
    )
    assert area_status() == "met"


def test_a_broken_case_limits_file_is_503_like_the_others(lite: Api, standards: Path) -> None:
    lite.write(ledger()[:1])
    (standards.parent / "case-limits.toml").write_text("[default]\nreport_days = true\n", "utf-8")
    answer = lite.get("/cases", lite.admin)
    assert answer.status_code == 503
    assert "case-limits.toml" in answer.json()["detail"]
