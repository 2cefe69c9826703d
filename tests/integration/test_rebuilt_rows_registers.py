"""A register record dated after a year already stored rewrites that year's compliance row
too, so a rebuild stores the rows the projection kept (``test_rebuilt_rows.py``), however
the register records arrive.

``compliance_years`` holds each branch-year's slice of the registers (grids, partners,
cooperatives) as ``year_of`` cuts it from the whole fold. A register record rewrote only the
slices of its own year and later ones, so one dated 2026 left the stored 2025 slice without
it while a rebuild, cutting every slice from the final fold, wrote it in: the answers agreed
(2025 is judged on days up to its 31 December) but the rows did not.
"""

from __future__ import annotations

from typing import Any

from domain.application.service import FiveStar, rebuild_views
from tests.support.builders import rec, village


def _compliance_rows(service: FiveStar) -> list[tuple[Any, ...]]:
    rows = service.views.query("SELECT year, code, facts FROM {p}compliance_years ORDER BY year")
    return [(row["year"], row["code"], bytes(row["facts"])) for row in rows]


def test_a_later_register_record_rewrites_earlier_years_rows(service: FiveStar) -> None:
    records = [
        village("V1"),
        rec("meeting.held", "V1", "2025-03-05", kind="theme_day"),
        rec("meeting.held", "V1", "2024-03-05", kind="theme_day"),
        rec(
            "cooperative.bound",
            "V1",
            "2026-01-06",
            cooperative="K1",
            name="合作社",
            households=30,
            enterprise="龙头企业",
        ),
        rec("cooperative.unbound", "V1", "2026-02-01", cooperative="K1"),
    ]
    for record in records:  # each in a batch of its own, caught up before the next
        assert service.submit([record], "test")[0].status == "applied"
        service.catch_up()
    kept = _compliance_rows(service)
    assert [row[0] for row in kept] == [2024, 2025, 2026]

    rebuild_views(service)
    assert _compliance_rows(service) == kept
