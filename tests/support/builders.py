"""Small record builders so a test reads like the ledger it sets up."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count
from typing import Any

_ids = count(1)


def rid() -> str:
    return f"t{next(_ids):06d}"


def rec(type_: str, branch: str, on: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": fields.pop("id", None) or rid(),
        "type": type_,
        "branch": branch,
        "on": on,
        **fields,
    }


def village(code: str = "V1", county: str = "清丰县", township: str = "柳格镇") -> dict[str, Any]:
    return rec(
        "branch.registered",
        code,
        "2021-12-01",
        name=f"{code}村",
        kind="village",
        county=county,
        township=township,
        households=500,
        population=1800,
    )


def community(
    code: str = "C1", county: str = "华龙区", township: str = "胜利路街道"
) -> dict[str, Any]:
    return rec(
        "branch.registered",
        code,
        "2021-12-01",
        name=f"{code}社区",
        kind="community",
        county=county,
        township=township,
        households=2000,
        population=6000,
    )


VILLAGE_ATTESTED = [
    "one_village_one_product",
    "dual_binding",
    "manure_treatment",
    "garbage_sorting",
    "village_planning",
    "village_clean",
    "service_center_standard",
    "clinic_standard",
    "org_tasks_complete",
]
COMMUNITY_ATTESTED = [
    "consultation_method",
    "owners_committee",
    "property_service",
    "mass_activities",
    "service_center_functional",
    "care_facilities",
    "volunteer_service",
    "convenience_experience",
    "employment_promotion",
    "enterprise_service",
    "org_tasks_complete",
]


def full_linkage(
    branch: str, on: str, month: str, members: int = 30, exempt: int = 2, **fields: Any
) -> dict[str, Any]:
    """A ``linkage.reported`` of a month in which every household is linked and every
    member who is not exempt links and contacts weekly (mechanisms.md §2 met)."""
    linking = members - exempt
    return rec(
        "linkage.reported", branch, on, month=month, households=500, households_linked=500,
        members=members, members_exempt=exempt, members_linking=linking,
        members_contacting_weekly=linking, **fields,
    )  # fmt: skip


def five_star_village_year(code: str, year: int) -> list[dict[str, Any]]:
    """Facts that make a village eligible for all five stars in ``year`` under puyang-2022."""
    y = year
    out = [
        rec(
            "metric.reported",
            code,
            f"{y - 1}-12-20",
            year=y - 1,
            metric="per_capita_income",
            value=10000,
        ),
        rec("metric.reported", code, f"{y}-12-20", year=y, metric="per_capita_income", value=12000),
        rec(
            "metric.reported", code, f"{y}-12-20", year=y, metric="collective_income", value=250000
        ),
        rec(
            "metric.reported", code, f"{y}-12-20", year=y, metric="sanitary_toilet_ratio", value=0.9
        ),
        rec(
            "metric.reported",
            code,
            f"{y}-12-20",
            year=y,
            metric="medical_insurance_rate",
            value=0.97,
        ),
        rec(
            "metric.reported",
            code,
            f"{y}-12-20",
            year=y,
            metric="pension_insurance_rate",
            value=0.97,
        ),
        rec("designation.granted", code, f"{y}-11-01", year=y, designation="three_zero"),
        rec("designation.granted", code, f"{y}-11-01", year=y, designation="epidemic_free"),
        rec("plan.set", code, f"{y}-01-10", year=y, target=1),
        rec("member.developed", code, f"{y}-06-01", person="新党员"),
        rec(
            "honor.granted",
            code,
            f"{y}-07-01",
            kind="two_excellent_one_advanced",
            level="county",
            recipient="branch",
            title="先进基层党组织",
        ),
    ]
    out += [
        rec("criterion.attested", code, f"{y}-11-15", year=y, criterion=c, met=True, by="乡镇党委")
        for c in VILLAGE_ATTESTED
    ]
    return out


def five_star_community_year(code: str, year: int) -> list[dict[str, Any]]:
    y = year
    out = [
        rec("designation.granted", code, f"{y}-11-01", year=y, designation="three_zero"),
        rec("designation.granted", code, f"{y}-11-01", year=y, designation="epidemic_free"),
        rec("designation.granted", code, f"{y}-11-01", year=y, designation="full_employment"),
        rec(
            "honor.granted",
            code,
            f"{y}-07-01",
            kind="two_excellent_one_advanced",
            level="city",
            recipient="secretary",
            title="优秀党务工作者",
        ),
    ]
    out += [
        rec(
            "criterion.attested", code, f"{y}-11-15", year=y, criterion=c, met=True, by="街道党工委"
        )
        for c in COMMUNITY_ATTESTED
    ]
    return out


def org_life_year(
    code: str, year: int, theme_months: Iterable[int] = range(1, 13)
) -> list[dict[str, Any]]:
    """Meetings meeting the 2024 revision's org_life_quota (三会一课)."""
    out = []
    for q in range(4):
        out.append(rec("meeting.held", code, f"{year}-{3 * q + 1:02d}-10", kind="party_congress"))
        out.append(rec("meeting.held", code, f"{year}-{3 * q + 2:02d}-10", kind="party_lesson"))
    out.append(rec("meeting.held", code, f"{year}-06-20", kind="org_life"))
    out += [rec("meeting.held", code, f"{year}-{m:02d}-05", kind="theme_day") for m in theme_months]
    return out


ALL_VILLAGE = [
    "branch_strong",
    "industry_thriving",
    "ecology_livable",
    "safety_rule_of_law",
    "civility_happiness",
]
ALL_COMMUNITY = [
    "branch_strong",
    "co_build_share",
    "safety_rule_of_law",
    "happiness_harmony",
    "employment_business",
]


def chain(code: str, year: int, stars: list[str], final: str) -> list[dict[str, Any]]:
    """Declaration and reviews up to an award by ``final`` (county/city/province)."""
    y1 = year + 1
    out = [
        rec("rating.declared", code, f"{year}-12-20", year=year, stars=stars),
        rec("rating.recommended", code, f"{y1}-01-10", year=year, stars=stars, by="township"),
    ]
    if final == "county":
        return [
            *out,
            rec("rating.awarded", code, f"{y1}-01-25", year=year, stars=stars, by="county"),
        ]
    out.append(rec("rating.recommended", code, f"{y1}-01-25", year=year, stars=stars, by="county"))
    if final == "city":
        return [*out, rec("rating.awarded", code, f"{y1}-02-20", year=year, stars=stars, by="city")]
    out.append(rec("rating.recommended", code, f"{y1}-02-20", year=year, stars=stars, by="city"))
    return [*out, rec("rating.awarded", code, f"{y1}-03-15", year=year, stars=stars, by="province")]


def declared(
    stars: list[str], on: str = "2024-12-20", branch: str = "V1", **kw: Any
) -> dict[str, Any]:
    """A declaration for ``year`` (default 2024) by ``branch`` (default V1)."""
    return rec("rating.declared", branch, on, year=kw.pop("year", 2024), stars=stars, **kw)


def recommended(
    by: str, stars: list[str], on: str = "2025-01-10", branch: str = "V1", **kw: Any
) -> dict[str, Any]:
    return rec(
        "rating.recommended", branch, on, year=kw.pop("year", 2024), stars=stars, by=by, **kw
    )


def awarded(
    by: str, stars: list[str], on: str = "2025-03-01", branch: str = "V1", **kw: Any
) -> dict[str, Any]:
    return rec("rating.awarded", branch, on, year=kw.pop("year", 2024), stars=stars, by=by, **kw)


# --------------------------------------------------------------- ledger comparison helpers
def registered_codes(path: Any) -> list[str]:
    """Branch codes of the ``branch.registered`` lines of a JSON Lines file, in file order."""
    import json

    codes: list[str] = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if (
                isinstance(obj, dict)
                and obj.get("type") == "branch.registered"
                and obj.get("branch") not in codes
            ):
                codes.append(obj["branch"])
    return codes


def record_sequence(service: Any, codes: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """For each branch: ``(id, type, other record fields)`` of its history, in ledger order.

    Positions and recording times are left out, so two stores fed the same records compare
    equal; a branch with no records maps to ``[]``."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for code in codes:
        try:
            entries = service.history(code)
        except LookupError:  # domain.application.service.UnknownBranch
            out[code] = []
            continue
        rows = []
        for e in entries:
            record = dict(e.record)
            rows.append((record.pop("id", None), record.pop("type"), sorted(record.items())))
        out[code] = rows
    return out


def five_star_village_years(code: str, years: list[int] | range) -> list[dict[str, Any]]:
    """``five_star_village_year`` for several years at once, with ``per_capita_income`` rising
    every year (the single-year builder reports Y-1 as 10,000 and Y as 12,000, so calling it
    for consecutive years would overwrite one year's figure with the next call's Y-1)."""
    years = sorted(years)
    out = []
    for y in years:
        out += [
            r for r in five_star_village_year(code, y) if r.get("metric") != "per_capita_income"
        ]
    out += [
        rec(
            "metric.reported",
            code,
            f"{y}-12-20",
            year=y,
            metric="per_capita_income",
            value=10000 + 1000 * (y - years[0] + 1),
        )
        for y in range(years[0] - 1, years[-1] + 1)
    ]
    return out
