"""Rating rules whose records reach back over several years, recorded in separate imports:
the incremental read models answer as the as-of replay and ``rebuild`` do. The property test
draws short ledgers; these are the long reaches it does not generate. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.builders import rec, village

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
