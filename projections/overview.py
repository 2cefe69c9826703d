"""Queries of the dashboard's overview over the eligibility read model's tables.

Light columns only (eligible stars, exclusion, awarded stars): the overview of a whole
province must not decode each branch's full eligibility object (docs/performance.md).
"""

from __future__ import annotations

import json
from typing import Any

from projections.registry import branch_filter
from projections.tables import ViewStore


def years(views: ViewStore) -> list[int]:
    """The years some branch has a stored eligibility for."""
    rows = views.query("SELECT DISTINCT year FROM {p}eligibility ORDER BY year")
    return [int(row["year"]) for row in rows]


def places(
    views: ViewStore, year: int, branch: str | None, county: str | None, township: str | None
) -> list[Any]:
    """Registered branches (filtered) with their stored eligible stars for ``year``."""
    clauses, params = branch_filter(branch, county, township, alias="b")
    where = "".join(f" AND {c}" for c in clauses)
    return views.query(
        "SELECT b.code, b.name, b.kind, b.county, b.township, e.excluded, e.eligible "
        "FROM {p}branches b LEFT JOIN {p}eligibility e ON e.code = b.code AND e.year = ? "
        f"WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )


def awarded(views: ViewStore, years: list[int]) -> dict[int, dict[str, list[str]]]:
    """Awarded stars by year and branch."""
    out: dict[int, dict[str, list[str]]] = {y: {} for y in years}
    marks = ", ".join("?" for _ in years)
    for row in views.query(
        f"SELECT year, code, stars FROM {{p}}awards WHERE year IN ({marks})", years
    ):
        out[int(row["year"])][row["code"]] = json.loads(row["stars"])
    return out


def branch_years(views: ViewStore, code: str) -> list[int]:
    """The years a branch has a stored eligibility for, latest first."""
    rows = views.query("SELECT year FROM {p}eligibility WHERE code = ? ORDER BY year DESC", (code,))
    return [int(row["year"]) for row in rows]


def branch_awards(views: ViewStore, code: str) -> dict[int, dict[str, Any]]:
    """The branch's awards by year (from the awards read model)."""
    rows = views.query(
        "SELECT year, stars, by_level, on_date, record_id FROM {p}awards WHERE code = ?", (code,)
    )
    return {
        int(row["year"]): {
            "stars": json.loads(row["stars"]),
            "by": row["by_level"],
            "on": row["on_date"],
            "record_id": row["record_id"],
        }
        for row in rows
    }
