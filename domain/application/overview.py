"""The dashboard's overview rows: one per branch for a year, from the read models.

Stale and priority are decided by the model's rules (``domain.model.rewards``), the same
ones the awards and priority read services use, so the overview cannot disagree with them.
"""

from __future__ import annotations

import json
from typing import Any

from domain.model.rewards import priority_tier
from domain.model.vocabulary import star_name
from projections import overview
from projections.tables import ViewStore


def overview_rows(
    views: ViewStore,
    judge: Any,
    year: int,
    branch: str | None,
    county: str | None,
    township: str | None,
) -> list[dict[str, Any]]:
    """Every registered branch matching the filters for ``year``, sorted by code; ``judge``
    (``year, branch -> [Eligibility]``) answers for a branch with no stored result."""
    awarded = overview.awarded(views, [year - 2, year - 1, year])
    rows = []
    for place in overview.places(views, year, branch, county, township):
        code = place["code"]
        if place["eligible"] is None:  # no stored result: judged as the JSON judges it
            results = judge(year, code)
            eligible = results[0].eligible if results else []
            excluded = bool(results and results[0].excluded)
        else:
            eligible, excluded = json.loads(place["eligible"]), bool(place["excluded"])
        stars = awarded[year].get(code)
        chain = [awarded[y].get(code) for y in sorted(awarded)]
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
                "priority": priority_tier([None if s is None else len(s) for s in chain]),
            }
        )
    return rows
