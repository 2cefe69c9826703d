"""What the dashboard shows, assembled from the read services (``FiveStar.overview``).

One row per branch in the reader's jurisdiction for a year (eligible now, awarded, stale,
priority list, excluded as weak and lax), then counts per county or township. The list
behind every number is the same rows filtered (``Filter``), so a count and its list cannot
disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.http.auth import Principal
from domain.application.service import FiveStar

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
    return svc.rated_years()


def branch_rows(
    svc: FiveStar,
    principal: Principal,
    year: int,
    county: str | None = None,
    township: str | None = None,
) -> list[dict[str, Any]]:
    """Every branch the reader may read (narrowed to county/township), sorted by code."""
    scope = principal.read_scope.narrow(county, township)
    if scope is None:
        return []
    return svc.overview(year, scope.branch, scope.county, scope.township)


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
    return svc.branch_years(code)


def branch_awards(svc: FiveStar, code: str) -> dict[int, dict[str, Any]]:
    """The branch's awards by year (from the awards read model)."""
    return svc.branch_awards(code)
