"""Read-side queries over the read models: eligibility, awards, rewards, priority, recompute.

Each returns plain dicts in the shapes of interchange.md, sorted by branch code. Nothing
here replays the event store except the explicit as-of replay of ``eligibility``.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from datetime import date, datetime
from functools import cache
from typing import Any

import msgspec

from domain.application import receipts
from domain.application.service import FiveStar
from domain.model.evaluation import Eligibility, evaluate
from domain.model.facts import (
    BranchFacts,
    YearFacts,
    decode_branch_facts,
    decode_year_facts,
    year_slice,
)
from domain.model.rulebook import BASE_RULEBOOK, load_rulebook, rulebook_dir
from projections.eligibility import adoptions_in_force, replay
from projections.registry import branch_filter

_eligibility = msgspec.json.Decoder(Eligibility)

FIVE_STAR_FUNDS, FOUR_STAR_FUNDS = 100_000, 50_000
ENTITLEMENTS = [
    "leadership_selection_priority",
    "awards_priority",
    "deputy_recommendation_priority",
]


def in_force(svc: FiveStar) -> dict[int, str]:
    rows = svc.views.query("SELECT year, rulebook FROM {p}adoptions ORDER BY position")
    return adoptions_in_force((row["year"], row["rulebook"]) for row in rows)


# ---------------------------------------------------------------- eligibility
def eligibility(
    svc: FiveStar,
    year: int,
    branch: str | None = None,
    rulebook: str | None = None,
    as_of: datetime | None = None,
    position: int | None = None,
    county: str | None = None,
    township: str | None = None,
) -> list[Eligibility]:
    """One result per registered branch (or ``branch``), sorted by code, each with the
    basis it was judged on (ledger position, tree size and root, rulebook and its hash)."""
    replayed = as_of is not None or position is not None
    at = receipts.position_as_of(svc.ledger.recorder, as_of, position) if replayed else None
    if at is None:
        at = svc.views.position()
    results = _judged(svc, year, branch, rulebook, as_of, position, county, township)
    return receipts.with_basis(svc.ledger.recorder, results, at)


def _judged(
    svc: FiveStar,
    year: int,
    branch: str | None = None,
    rulebook: str | None = None,
    as_of: datetime | None = None,
    position: int | None = None,
    county: str | None = None,
    township: str | None = None,
) -> list[Eligibility]:
    if as_of is not None or position is not None:
        facts, adopted = replay(svc.events_until(as_of, position))
        book = load_rulebook(rulebook or adopted.get(year, BASE_RULEBOOK))
        chosen = sorted(c for c in facts if _wanted(facts[c], branch, county, township))
        return [evaluate(year_slice(facts[c], year), book) for c in chosen]
    if rulebook is not None and rulebook != in_force(svc).get(year, BASE_RULEBOOK):
        book = load_rulebook(rulebook)
        return [evaluate(f, book) for f in year_facts(svc, year, branch, county, township)]
    return stored_eligibility(svc, year, branch, county, township)


def _wanted(f: BranchFacts, branch: str | None, county: str | None, township: str | None) -> bool:
    return (
        (branch is None or f.code == branch)
        and (county is None or f.county == county)
        and (township is None or f.township == township)
    )


def _filters(branch: str | None, county: str | None, township: str | None) -> tuple[str, list[Any]]:
    clauses, params = branch_filter(branch, county, township, alias="b")
    return "".join(f" AND {c}" for c in clauses), params


def stored_eligibility(
    svc: FiveStar, year: int, branch: str | None, county: str | None, township: str | None
) -> list[Eligibility]:
    """From the eligibility read model; a branch-year with no facts at all is judged from
    the branch's stored facts (it may still be excluded, or have honours in the window)."""
    where, params = _filters(branch, county, township)
    rows = svc.views.query(
        "SELECT b.code, e.result FROM {p}branches b LEFT JOIN {p}eligibility e "
        f"ON e.code = b.code AND e.year = ? WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    rules = in_force(svc)
    out = []
    for row in rows:
        if row["result"] is not None:
            out.append(_eligibility.decode(bytes(row["result"])))
        else:
            sliced = year_slice(branch_facts(svc, row["code"]), year)
            out.append(evaluate(sliced, load_rulebook(rules.get(year, BASE_RULEBOOK))))
    return out


def branch_facts(svc: FiveStar, code: str) -> BranchFacts:
    rows = svc.views.query("SELECT facts FROM {p}branch_facts WHERE code = ?", (code,))
    return decode_branch_facts(bytes(rows[0]["facts"]))


def year_facts(
    svc: FiveStar,
    year: int,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
) -> list[YearFacts]:
    """Stored per-branch-year facts for ``year`` (sliced from branch facts where absent)."""
    where, params = _filters(branch, county, township)
    rows = svc.views.query(
        "SELECT b.code, f.facts FROM {p}branches b LEFT JOIN {p}year_facts f "
        f"ON f.code = b.code AND f.year = ? WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    return [
        decode_year_facts(bytes(row["facts"]))
        if row["facts"] is not None
        else year_slice(branch_facts(svc, row["code"]), year)
        for row in rows
    ]


# --------------------------------------------------------------------- awards
def awards(svc: FiveStar, year: int) -> list[dict[str, Any]]:
    rows = svc.views.query(
        "SELECT a.*, e.result FROM {p}awards a LEFT JOIN {p}eligibility e "
        "ON e.code = a.code AND e.year = a.year WHERE a.year = ? ORDER BY a.code",
        (year,),
    )
    out = []
    for row in rows:
        stars = json.loads(row["stars"])
        now = _eligibility.decode(bytes(row["result"]))
        failing = [msgspec.to_builtins(c) for c in now.failing(stars)]
        if now.excluded and now.exclusion is not None:
            failing.insert(0, _exclusion_as_criterion(now))
        stale = bool(failing) or not set(stars) <= set(now.eligible)
        out.append(
            {
                "branch": row["code"],
                "year": year,
                "stars": stars,
                "level": len(stars),
                "by": row["by_level"],
                "on": row["on_date"],
                "stale": stale,
                "now_failing": failing if stale else [],
                "basis": receipts.award_basis(svc.ledger.recorder, row["position"]),
            }
        )
    return out


def _exclusion_as_criterion(result: Eligibility) -> dict[str, Any]:
    assert result.exclusion is not None
    return {
        "star": None,
        "criterion": "exclusion",
        "met": False,
        "detail": result.exclusion.detail,
        "evidence": result.exclusion.evidence,
    }


# -------------------------------------------------------------------- rewards
@cache
def county_rewards() -> dict[str, dict[str, Any]]:
    path = rulebook_dir() / "county-rewards.toml"
    if not path.is_file():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def secretary_on(svc: FiveStar, code: str, day: str) -> dict[str, Any] | None:
    """The secretary in office on ``day``: latest appointment dated on or before it."""
    rows = svc.views.query(
        "SELECT person, civil_servant FROM {p}secretaries WHERE code = ? AND on_date <= ? "
        "ORDER BY on_date DESC, position DESC LIMIT 1",
        (code, day),
    )
    if not rows:
        return None
    return {"person": rows[0]["person"], "civil_servant": bool(rows[0]["civil_servant"])}


def rewards(svc: FiveStar, year: int) -> list[dict[str, Any]]:
    out = []
    places = _places(svc)
    for award in awards(svc, year):
        level = award["level"]
        if level < 3:
            continue
        county = places.get(award["branch"], ("", ""))[0]
        secretary = secretary_on(svc, award["branch"], award["on"])
        funds, rise, benefits = _reward_terms(level, county, secretary)
        out.append(
            {
                "branch": award["branch"],
                "year": year,
                "on": award["on"],
                "level": level,
                "authority": award["by"],
                "funds_yuan": funds,
                "pay_rise_pct": rise,
                "secretary": secretary,
                "secretary_benefits": benefits,
                "county": county,
            }
        )
    return out


def _reward_terms(
    level: int, county: str, secretary: dict[str, Any] | None
) -> tuple[float | None, float | None, list[str]]:
    """rules.md §7: not cumulative; three stars by the county's own parameters or null."""
    civil = bool(secretary and secretary["civil_servant"])
    if level == 5:
        benefits = (
            ["excellent_assessment", "priority_promotion"] if civil else ["exam_bonus_points"]
        )
        return FIVE_STAR_FUNDS, 20, benefits if secretary else []
    if level == 4:
        return FOUR_STAR_FUNDS, 10, ["excellent_assessment", "priority_promotion"] if civil else []
    params = county_rewards().get(county)
    if params is None:
        return None, None, []
    return params.get("funds_yuan"), params.get("pay_rise_pct"), list(params.get("benefits", []))


def _places(svc: FiveStar) -> dict[str, tuple[str, str]]:
    rows = svc.views.query("SELECT code, county, township FROM {p}branches")
    return {row["code"]: (row["county"], row["township"]) for row in rows}


# ------------------------------------------------------------------- priority
def priority(svc: FiveStar, year: int) -> list[dict[str, Any]]:
    years = [year - 2, year - 1, year]
    by_year = {y: {a["branch"]: a for a in awards(svc, y)} for y in years}
    out = []
    for code in sorted(by_year[year]):
        chain = [by_year[y].get(code) for y in years]
        if any(a is None for a in chain):
            continue
        levels = [a["level"] for a in chain]  # type: ignore[index]
        if all(level == 5 for level in levels):
            tier = "five_star"
        elif all(level >= 4 for level in levels):
            tier = "four_star_or_above"
        else:
            continue
        secretaries = []
        for y, award in zip(years, chain, strict=True):
            person = secretary_on(svc, code, award["on"]) or {"person": None, "civil_servant": None}  # type: ignore[index]
            secretaries.append({"year": y, **person})
        out.append(
            {
                "branch": code,
                "tier": tier,
                "years": years,
                "levels": levels,
                "secretaries": secretaries,
                "secretary_changed": len({s["person"] for s in secretaries}) > 1,
                "entitlements": ENTITLEMENTS,
            }
        )
    return out


# ------------------------------------------------------------------ recompute
def recompute(svc: FiveStar, year: int, rulebook: str) -> dict[str, Any]:
    """What changes for ``year`` if ``rulebook`` replaced the one in force (changes nothing)."""
    current = in_force(svc).get(year, BASE_RULEBOOK)
    new_book = load_rulebook(rulebook)
    before = {e.branch: e for e in stored_eligibility(svc, year, None, None, None)}
    places = _places(svc)
    changes, counts = [], Counter()
    for facts in year_facts(svc, year):
        old, new = before[facts.branch], evaluate(facts, new_book)
        gained = [s for s in new.eligible if s not in old.eligible]
        lost = [s for s in old.eligible if s not in new.eligible]
        if not gained and not lost:
            continue
        county = places[facts.branch][0]
        for s in gained:
            counts[(county, s, "gained")] += 1
        for s in lost:
            counts[(county, s, "lost")] += 1
        changes.append(
            {
                "branch": facts.branch,
                "county": county,
                "township": places[facts.branch][1],
                "gained": gained,
                "lost": lost,
                "flipped": _flipped(old, new, set(gained) | set(lost)),
            }
        )
    return {
        "year": year,
        "from": current,
        "to": rulebook,
        "branches_evaluated": len(before),
        "changes": changes,
        "counts": [
            {"county": c, "star": s, "change": k, "branches": n}
            for (c, s, k), n in sorted(counts.items())
        ],
    }


def _flipped(old: Eligibility, new: Eligibility, stars: set[str]) -> list[dict[str, Any]]:
    was = {(c.star, c.criterion): c for c in old.criteria}
    out = []
    for c in new.criteria:
        prior = was.get((c.star, c.criterion))
        if c.star in stars and (prior is None or prior.met != c.met):
            out.append(
                {
                    "star": c.star,
                    "criterion": c.criterion,
                    "was": None if prior is None else prior.met,
                    "now": c.met,
                    "detail": c.detail,
                    "evidence": c.evidence,
                }
            )
    return out


def parse_day(text: str) -> date:
    return date.fromisoformat(text)
