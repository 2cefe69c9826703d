"""A reported figure is judged exactly as written (mechanisms.md §2, ADR 0041), on SQLite and
PostgreSQL.

A float keeps about 17 significant digits: `599.99999999999999999` m² was kept as 600.0 and met
the 30 m² per hundred households standard of a 2,000-household community that the written figure
misses. Such a line is now refused naming the field, and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.builders import community

Cli = Callable[..., Any]


def _ledger(tmp_path: Path, lines: list[str]) -> Path:
    """The lines as written: a JSON encoder would print the float, not the digits."""
    path = tmp_path / "exact.jsonl"
    head = json.dumps(community("C1"), ensure_ascii=False)
    path.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    return path


def _centre(cli: Cli) -> dict[str, Any]:
    out = cli("compliance", "--year", "2024", "--on", "2024-12-31", "--branch", "C1", "--json")
    assert out.code == 0, out.err
    return {r["requirement"]: r for r in out.json()[0]["requirements"]}["service_centre_area"]


def test_a_figure_a_float_would_round_up_to_the_standard_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    # given a community of 2,000 households (600 m² needed), when it reports 599.99999999999999999
    facility = (
        '{"id": "f1", "type": "facility.reported", "branch": "C1", "on": "2024-05-01", '
        '"year": 2024, "facility": "service_centre_m2", "value": 599.99999999999999999}'
    )
    result = cli("import", str(_ledger(tmp_path, [facility])))
    # then the line is refused naming the field, and the requirement is missed, not met
    assert result.code == 1
    assert "line 2: f1: structural: value: 599.99999999999999999" in result.out
    assert "ADR 0041" in result.out
    centre = _centre(cli)
    assert (centre["status"], centre["held"], centre["evidence"]) == ("missed", 0, [])


def test_a_figure_written_within_a_floats_digits_is_kept_and_judged(
    cli: Cli, tmp_path: Path
) -> None:
    # given the same community, when it reports 600.0 and 0.30000000000000004 (17 digits)
    lines = [
        '{"id": "f1", "type": "facility.reported", "branch": "C1", "on": "2024-05-01", '
        '"year": 2024, "facility": "service_centre_m2", "value": 0.30000000000000004}',
        '{"id": "f2", "type": "facility.reported", "branch": "C1", "on": "2024-05-02", '
        '"year": 2024, "facility": "service_centre_m2", "value": 6.0e2}',
    ]
    result = cli("import", str(_ledger(tmp_path, lines)))
    # then both are accepted and the latest meets the standard
    assert result.code == 0, result.out
    centre = _centre(cli)
    assert (centre["status"], centre["evidence"]) == ("met", ["f2"])


def test_a_lowest_pay_a_float_would_round_to_the_floor_is_refused(cli: Cli, tmp_path: Path) -> None:
    # given a community, when its staffing report gives lowest_pay 79999.999999999999999
    staffing = (
        '{"id": "s1", "type": "staffing.reported", "branch": "C1", "on": "2025-01-10", '
        '"year": 2024, "workers": 10, "lowest_pay": 79999.999999999999999, '
        '"social_insurance": true, "housing_fund": true}'
    )
    result = cli("import", str(_ledger(tmp_path, [staffing])))
    # then it is refused naming lowest_pay, and the community is still unreported
    assert result.code == 1
    assert "s1: structural: lowest_pay: 79999.999999999999999" in result.out
    out = cli("staffing", "--year", "2024", "--json")
    assert out.code == 0, out.err
    assert out.json()[0]["unreported"] == ["C1"]


def test_a_count_written_just_below_a_whole_number_is_refused_not_rounded(
    cli: Cli, tmp_path: Path
) -> None:
    # given a community, when a staffing report gives 17.99999999999999999 workers (a float
    # keeps 18.0) and another gives 18.0 workers (a whole number written with a fraction)
    lines = [
        '{"id": "s1", "type": "staffing.reported", "branch": "C1", "on": "2025-01-10", '
        '"year": 2024, "workers": 17.99999999999999999, "lowest_pay": 90000, '
        '"social_insurance": true, "housing_fund": true}',
        '{"id": "s2", "type": "staffing.reported", "branch": "C1", "on": "2025-01-10", '
        '"year": 2025, "workers": 18.0, "lowest_pay": 90000, '
        '"social_insurance": true, "housing_fund": true}',
    ]
    result = cli("import", str(_ledger(tmp_path, lines)))
    # then the first is refused naming workers (not an integer), the second counts 18
    assert result.code == 1
    assert "line 2: s1: structural: workers:" in result.out
    assert "s2" not in result.out
    counts = {}
    for year in (2024, 2025):
        out = cli("staffing", "--year", str(year), "--json")
        assert out.code == 0, out.err
        counts[year] = out.json()[0]["workers"]
    assert counts == {2024: 0, 2025: 18}
