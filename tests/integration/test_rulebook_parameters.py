"""Rulebooks are data: every parameter the read models depend on comes from the rulebooks.

A window, a star that needs the others, a criterion id: each is read from the files in the
rulebook folder, so the stored read model, an as-of replay and a rebuild agree whatever the
rulebooks say, and a record naming a criterion that only a newer rulebook rates is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.builders import rec, village
from tests.support.rulebooks import rulebook_dir


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = rulebook_dir(tmp_path / "rulebooks")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


def honour(code: str, on: str, rid: str) -> dict[str, Any]:
    return rec("honor.granted", code, on, id=rid, kind="two_excellent_one_advanced",
               level="county", recipient="branch", title="先进基层党组织")  # fmt: skip


def criterion(result: list[dict[str, Any]], star: str, name: str) -> dict[str, Any]:
    (row,) = [c for c in result[0]["criteria"] if (c["star"], c["criterion"]) == (star, name)]
    return row


def test_a_five_year_window_reaches_a_stored_year_from_an_honour_imported_later(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    attested = rec("criterion.attested", "V1", "2025-06-01", year=2025,
                   criterion="org_tasks_complete", met=True, by="township")  # fmt: skip
    first = [village("V1"), attested]
    assert cli("import", str(write_ledger(first))).code == 0
    res = cli("recompute", "--year", "2025", "--rulebook", "test-window-5", "--adopt",
              "--reason", "test: five-year window")  # fmt: skip
    assert res.code == 0, res.err
    assert cli("import", str(write_ledger([honour("V1", "2021-05-01", "h2021")]))).code == 0

    def honour_met(*extra: str) -> bool:
        res = cli("eligibility", "--year", "2025", "--branch", "V1", "--json", *extra)
        assert res.code == 0, res.err
        row = criterion(res.json(), "branch_strong", "honour_within_three_years")
        assert res.json()[0]["rulebook"] == "test-window-5"
        return row["met"]

    stored = honour_met()
    head = cli("history", "V1", "--json").json()[-1]["position"]
    replayed = honour_met("--position", str(head))
    assert cli("rebuild").code == 0
    rebuilt = honour_met()
    assert stored == replayed == rebuilt is True


def test_a_criterion_only_a_newer_rulebook_rates_is_accepted(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    records = [
        village("V1"),
        rec("criterion.attested", "V1", "2025-06-01", year=2025, criterion="digital_village",
            met=True, by="township"),
        rec("metric.reported", "V1", "2025-12-01", year=2025, metric="broadband_ratio",
            value=0.7),
        rec("designation.granted", "V1", "2025-11-01", year=2025, designation="model_village"),
        rec("incident.recorded", "V1", "2025-03-01", category="test_new_category",
            note="测试"),
    ]  # fmt: skip
    res = cli("import", str(write_ledger(records)))
    assert res.code == 0, res.out
    res = cli("eligibility", "--year", "2025", "--branch", "V1", "--rulebook",
              "test-criteria-added", "--json")  # fmt: skip
    assert criterion(res.json(), "industry_thriving", "digital_village")["met"] is True
    assert criterion(res.json(), "industry_thriving", "no_new_incident")["met"] is False


def test_the_star_that_needs_the_others_is_read_from_the_rulebooks(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    """``branch_exemplary`` needs the other four in test-strong-renamed: alone it is refused,
    like ``branch_strong`` alone."""
    base = [village("V1"), rec("rating.declared", "V1", "2025-03-01", year=2025,
                               stars=["branch_exemplary"])]  # fmt: skip
    res = cli("import", str(write_ledger(base)))
    assert res.code == 1
    assert "branch_exemplary only with" in res.out


def test_an_honours_own_year_is_refreshed_by_an_earlier_honour_imported_later(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    """Found by the property test: a year whose only facts are an honour has a stored row,
    and an earlier honour within the window must refresh it."""
    first = [village("V1"), honour("V1", "2023-03-12", "h23")]
    assert cli("import", str(write_ledger(first))).code == 0
    assert cli("import", str(write_ledger([honour("V1", "2022-07-01", "h22")]))).code == 0
    res = cli("eligibility", "--year", "2023", "--branch", "V1", "--json")
    row = criterion(res.json(), "branch_strong", "honour_within_three_years")
    assert sorted(row["evidence"]) == ["h22", "h23"]
