"""What the dashboard shows, assembled from the existing read-side queries.

One row per branch in the reader's jurisdiction for a year (eligible now, awarded, stale,
priority list, excluded as weak and lax), then counts per county or township. The list
behind every number is the same rows filtered (``Filter``), so a count and its list cannot
disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from api.http.auth import Principal
from domain.application.service import FiveStar
from domain.model.vocabulary import star_name
from projections import queries, registry

LEVELS = (0, 1, 2, 3, 4, 5)


@dataclass
class Counts:
    """Branches of one county or township (or all of them) for a year."""

    name: str
    county: str | None = None
    township: str | None = None
    total: int = 0
    eligible: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    awarded: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    stale: int = 0
    priority: int = 0
    excluded: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.total += 1
        self.eligible[row["eligible_level"]] += 1
        self.awarded[row["awarded_level"] or 0] += 1
        self.stale += bool(row["stale"])
        self.priority += bool(row["priority"])
        self.excluded += bool(row["excluded"])


@dataclass(frozen=True)
class Filter:
    """Which branches a list shows (each None: no condition)."""

    eligible: int | None = None
    awarded: int | None = None
    stale: bool = False
    priority: bool = False
    excluded: bool = False

    def keeps(self, row: dict[str, Any]) -> bool:
        return (
            (self.eligible is None or row["eligible_level"] == self.eligible)
            and (self.awarded is None or (row["awarded_level"] or 0) == self.awarded)
            and (not self.stale or row["stale"])
            and (not self.priority or bool(row["priority"]))
            and (not self.excluded or row["excluded"])
        )

    def describe(self) -> str:
        parts = []
        if self.eligible is not None:
            parts.append(f"可评{self.eligible}星 eligible={self.eligible}")
        if self.awarded is not None:
            parts.append(f"已授{self.awarded}星 awarded={self.awarded}")
        if self.stale:
            parts.append("证据已变待复核 stale")
        if self.priority:
            parts.append("优先名单 priority")
        if self.excluded:
            parts.append("软弱涣散 excluded")
        return "，".join(parts) or "全部 all"


def years(svc: FiveStar) -> list[int]:
    rows = svc.views.query("SELECT DISTINCT year FROM {p}eligibility ORDER BY year")
    return [int(row["year"]) for row in rows]


def branch_rows(
    svc: FiveStar,
    principal: Principal,
    year: int,
    county: str | None = None,
    township: str | None = None,
) -> list[dict[str, Any]]:
    """Every branch the reader may read (narrowed to county/township), sorted by code.

    Read from the light columns of the read models (eligible stars, exclusion, awarded
    stars) without decoding each branch's full eligibility object: the overview of a
    1,500-branch province must cost less than twice the JSON of their eligibility
    (docs/performance.md). ``stale`` and ``priority`` follow ``queries.awards`` and
    ``queries.priority`` (tests/api/test_ui.py compares them on a generated ledger)."""
    scope = principal.read_scope.narrow(county, township)
    if scope is None:
        return []
    clauses, params = registry.branch_filter(scope.branch, scope.county, scope.township, alias="b")
    where = "".join(f" AND {c}" for c in clauses)
    places = svc.views.query(
        "SELECT b.code, b.name, b.kind, b.county, b.township, e.excluded, e.eligible "
        "FROM {p}branches b LEFT JOIN {p}eligibility e ON e.code = b.code AND e.year = ? "
        f"WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    awarded = _awarded(svc, [year - 2, year - 1, year])
    rows = []
    for place in places:
        code = place["code"]
        if place["eligible"] is None:  # no stored result: judged as the JSON judges it
            results = queries.eligibility(svc, year, branch=code)
            eligible = results[0].eligible if results else []
            excluded = bool(results and results[0].excluded)
        else:
            eligible, excluded = json.loads(place["eligible"]), bool(place["excluded"])
        stars = awarded[year].get(code)
        rows.append(
            {
                "branch": code,
                "name": place["name"],
                "kind": place["kind"],
                "county": place["county"],
                "township": place["township"],
                "year": year,
                "eligible": eligible,
                "eligible_level": len(eligible),
                "eligible_names": "、".join(star_name(place["kind"], s) for s in eligible),
                "excluded": excluded,
                "awarded_level": len(stars) if stars is not None else None,
                "awarded_stars": stars or [],
                "stale": stars is not None and (excluded or not set(stars) <= set(eligible)),
                "priority": _tier([awarded[y].get(code) for y in sorted(awarded)]),
            }
        )
    return rows


def _awarded(svc: FiveStar, years: list[int]) -> dict[int, dict[str, list[str]]]:
    """Awarded stars by year and branch."""
    out: dict[int, dict[str, list[str]]] = {y: {} for y in years}
    marks = ", ".join("?" for _ in years)
    for row in svc.views.query(
        f"SELECT year, code, stars FROM {{p}}awards WHERE year IN ({marks})", years
    ):
        out[int(row["year"])][row["code"]] = json.loads(row["stars"])
    return out


def _tier(chain: list[list[str] | None]) -> str | None:
    """The three-year priority tier (rules.md §8), as ``queries.priority`` decides it."""
    if any(stars is None for stars in chain):
        return None
    levels = [len(stars) for stars in chain if stars is not None]
    if all(level == 5 for level in levels):
        return "five_star"
    if all(level >= 4 for level in levels):
        return "four_star_or_above"
    return None


def summarize(
    rows: list[dict[str, Any]], county: str | None, township: str | None
) -> tuple[Counts, list[Counts]]:
    """The total, and one ``Counts`` per county (nothing chosen) or township (a county)."""
    total = Counts("合计 total", county, township)
    groups: dict[str, Counts] = {}
    for row in rows:
        total.add(row)
        if county is None:
            key = row["county"]
            group = groups.setdefault(key, Counts(key, county=key))
        else:
            key = row["township"]
            group = groups.setdefault(key, Counts(key, county=row["county"], township=key))
        group.add(row)
    return total, [groups[k] for k in sorted(groups)]


def branch_years(svc: FiveStar, code: str) -> list[int]:
    rows = svc.views.query(
        "SELECT year FROM {p}eligibility WHERE code = ? ORDER BY year DESC", (code,)
    )
    return [int(row["year"]) for row in rows]


def branch_awards(svc: FiveStar, code: str) -> dict[int, dict[str, Any]]:
    """The branch's awards by year (from the awards read model)."""
    rows = svc.views.query(
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
