"""Read-side queries over the eligibility read model: eligibility, awards, rewards,
priority, recompute.

Each takes the view store, runs plain SELECTs and returns results in the shapes of
interchange.md, sorted by branch code. The rules come from ``domain.model`` (evaluation,
rewards); nothing here replays the event store (the as-of replay is
``domain/application/reads.py``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import msgspec

from domain.model.evaluation import Eligibility, evaluate
from domain.model.facts import (
    BranchFacts,
    YearFacts,
    decode_branch_facts,
    decode_year_facts,
    year_slice,
)
from domain.model.rewards import (
    ENTITLEMENTS,
    Appointment,
    load_county_rewards,
    priority_tier,
    reward_terms,
    secretary_on,
)
from domain.model.rulebook import BASE_RULEBOOK, all_rulebooks, load_rulebook
from projections.eligibility import adoptions_in_force
from projections.registry import branch_filter
from projections.tables import ViewStore

_eligibility = msgspec.json.Decoder(Eligibility)


def in_force(views: ViewStore) -> dict[int, str]:
    """The rulebook in force per rating year that has an adoption."""
    rows = views.query("SELECT year, rulebook FROM {p}adoptions ORDER BY position")
    return adoptions_in_force((row["year"], row["rulebook"]) for row in rows)


# ---------------------------------------------------------------- eligibility
def eligibility(
    views: ViewStore,
    year: int,
    branch: str | None = None,
    rulebook: str | None = None,
    county: str | None = None,
    township: str | None = None,
) -> list[Eligibility]:
    """One result per registered branch (or ``branch``), sorted by code: as stored, or
    judged from the stored facts under ``rulebook`` when that is not the one in force."""
    if rulebook is not None and rulebook != in_force(views).get(year, BASE_RULEBOOK):
        book = load_rulebook(rulebook)
        return [evaluate(f, book) for f in year_facts(views, year, branch, county, township)]
    return stored_eligibility(views, year, branch, county, township)


def _filters(branch: str | None, county: str | None, township: str | None) -> tuple[str, list[Any]]:
    clauses, params = branch_filter(branch, county, township, alias="b")
    return "".join(f" AND {c}" for c in clauses), params


def stored_eligibility(
    views: ViewStore, year: int, branch: str | None, county: str | None, township: str | None
) -> list[Eligibility]:
    """From the eligibility read model; a branch-year with no facts at all is judged from
    the branch's stored facts (it may still be excluded, or have honours in the window)."""
    where, params = _filters(branch, county, township)
    rows = views.query(
        "SELECT b.code, e.result FROM {p}branches b LEFT JOIN {p}eligibility e "
        f"ON e.code = b.code AND e.year = ? WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    rules = in_force(views)
    out = []
    for row in rows:
        if row["result"] is not None:
            out.append(_eligibility.decode(bytes(row["result"])))
        else:
            sliced = year_slice(branch_facts(views, row["code"]), year)
            out.append(evaluate(sliced, load_rulebook(rules.get(year, BASE_RULEBOOK))))
    return out


def branch_facts(views: ViewStore, code: str) -> BranchFacts:
    rows = views.query("SELECT facts FROM {p}branch_facts WHERE code = ?", (code,))
    return decode_branch_facts(bytes(rows[0]["facts"]))


def year_facts(
    views: ViewStore,
    year: int,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
) -> list[YearFacts]:
    """Stored per-branch-year facts for ``year`` (sliced from branch facts where absent)."""
    where, params = _filters(branch, county, township)
    rows = views.query(
        "SELECT b.code, f.facts FROM {p}branches b LEFT JOIN {p}year_facts f "
        f"ON f.code = b.code AND f.year = ? WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    return [
        decode_year_facts(bytes(row["facts"]))
        if row["facts"] is not None
        else year_slice(branch_facts(views, row["code"]), year)
        for row in rows
    ]


# --------------------------------------------------------------------- awards
def awards(views: ViewStore, year: int) -> list[dict[str, Any]]:
    rows = views.query(
        "SELECT a.*, e.result FROM {p}awards a LEFT JOIN {p}eligibility e "
        "ON e.code = a.code AND e.year = a.year WHERE a.year = ? ORDER BY a.code",
        (year,),
    )
    out = []
    for row in rows:
        now = _eligibility.decode(bytes(row["result"]))
        stars = _canonical(json.loads(row["stars"]), now)
        failing = [msgspec.to_builtins(c) for c in now.failing(stars)]
        failing += _not_rated(now, stars)
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
                "kind": now.kind,  # whose star names and criterion wording
                "rulebook": now.rulebook,  # in force now: it judged now_failing
                "position": row["position"],  # of the award event (its receipt is there)
            }
        )
    return out


def _canonical(stars: list[str], result: Eligibility) -> list[str]:
    """The awarded stars in the kind's canonical order (rules.md §2, "for output"), as the
    award record may list them in any order: each star at its place in the rulebook in
    force, or, for a star it does not rate (renamed since the award), at its place in the
    first rulebook that rates it (``puyang-2022`` first)."""
    place: dict[str, int] = {}
    for c in result.criteria:
        place.setdefault(c.star, len(place))
    for book in all_rulebooks():
        for i, star in enumerate(book.star_ids(result.kind)):
            place.setdefault(star, i)
    return sorted(stars, key=lambda star: place.get(star, len(stars)))


def _not_rated(result: Eligibility, stars: list[str]) -> list[dict[str, Any]]:
    """Awarded stars the rulebook in force does not rate (one adopted since renamed a star):
    no criterion of theirs can fail, so each is named as failing, or a stale award would
    give no reason (ADR 0039)."""
    rated = {c.star for c in result.criteria}
    return [
        {
            "star": star,
            "criterion": "not_rated",
            "met": False,
            "detail": f"rulebook {result.rulebook} in force for {result.year} has no star {star}",
            "evidence": [],
        }
        for star in stars
        if star not in rated
    ]


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
def appointments(views: ViewStore) -> dict[str, list[Appointment]]:
    """Every branch's secretary appointments."""
    out: dict[str, list[Appointment]] = defaultdict(list)
    for row in views.query(
        "SELECT code, on_date, position, person, civil_servant FROM {p}secretaries"
    ):
        out[row["code"]].append(
            Appointment(row["on_date"], row["position"], row["person"], bool(row["civil_servant"]))
        )
    return out


def _secretary(found: dict[str, list[Appointment]], code: str, day: str) -> dict[str, Any] | None:
    secretary = secretary_on(found.get(code, []), day)
    return None if secretary is None else msgspec.to_builtins(secretary)


def rewards(views: ViewStore, year: int) -> list[dict[str, Any]]:
    """Rewards of the year's awards of three stars or more (rules.md §7)."""
    out = []
    places = _places(views)
    found = appointments(views)
    counties = load_county_rewards()
    for award in awards(views, year):
        county = places.get(award["branch"], ("", ""))[0]
        secretary = _secretary(found, award["branch"], award["on"])
        terms = reward_terms(
            award["level"],
            secretary_on(found.get(award["branch"], []), award["on"]),
            counties.get(county),
        )
        if terms is None:
            continue
        out.append(
            {
                "branch": award["branch"],
                "year": year,
                "on": award["on"],
                "level": award["level"],
                "authority": award["by"],
                "funds_yuan": terms.funds_yuan,
                "pay_rise_pct": terms.pay_rise_pct,
                "secretary": secretary,
                "secretary_benefits": terms.secretary_benefits,
                "county": county,
            }
        )
    return out


def _places(views: ViewStore) -> dict[str, tuple[str, str]]:
    rows = views.query("SELECT code, county, township FROM {p}branches")
    return {row["code"]: (row["county"], row["township"]) for row in rows}


# ------------------------------------------------------------------- priority
def priority(views: ViewStore, year: int) -> list[dict[str, Any]]:
    """Branches awarded in each of ``year``-2 .. ``year`` at a tier of rules.md §7."""
    years = [year - 2, year - 1, year]
    by_year = {y: {a["branch"]: a for a in awards(views, y)} for y in years}
    found = appointments(views)
    out = []
    for code in sorted(by_year[year]):
        chain = [by_year[y].get(code) for y in years]
        tier = priority_tier([None if a is None else a["level"] for a in chain])
        if tier is None:
            continue
        secretaries = []
        for y, award in zip(years, chain, strict=True):
            assert award is not None  # a tier needs an award in every year
            person = _secretary(found, code, award["on"]) or {
                "person": None,
                "civil_servant": None,
            }
            secretaries.append({"year": y, **person})
        out.append(
            {
                "branch": code,
                "tier": tier,
                "years": years,
                "levels": [a["level"] for a in chain if a is not None],
                "secretaries": secretaries,
                "secretary_changed": len({s["person"] for s in secretaries}) > 1,
                "entitlements": list(ENTITLEMENTS),
            }
        )
    return out


# ------------------------------------------------------------------ recompute
def recompute(views: ViewStore, year: int, rulebook: str) -> dict[str, Any]:
    """What changes for ``year`` if ``rulebook`` replaced the one in force (changes nothing)."""
    current = in_force(views).get(year, BASE_RULEBOOK)
    new_book = load_rulebook(rulebook)
    before = {e.branch: e for e in stored_eligibility(views, year, None, None, None)}
    places = _places(views)
    changes: list[dict[str, Any]] = []
    counts: Counter[tuple[str, str, str]] = Counter()
    for facts in year_facts(views, year):
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
                "kind": new.kind,  # whose star names and criterion wording
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
    """The criteria of the changed ``stars`` whose verdict differs: ``was`` None where only
    the new rulebook has the criterion, ``now`` None where only the old one had it (a failing
    criterion dropped is what a star gained by it has to show)."""
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
    judged_now = {(c.star, c.criterion) for c in new.criteria}
    for c in old.criteria:  # criteria the new rulebook no longer has: ``now`` is None
        if c.star in stars and (c.star, c.criterion) not in judged_now:
            out.append(
                {
                    "star": c.star,
                    "criterion": c.criterion,
                    "was": c.met,
                    "now": None,
                    "detail": f"not a criterion of {new.rulebook} (was: {c.detail})",
                    "evidence": c.evidence,
                }
            )
    return out


# ------------------------------------------------------------------ adoptions
def adoptions(views: ViewStore) -> list[dict[str, Any]]:
    """Every rulebook adoption recorded, in ledger order."""
    rows = views.query(
        "SELECT position, year, rulebook, reason, recorder, recorded_at "
        "FROM {p}adoptions ORDER BY position"
    )
    return [{name: row[name] for name in ADOPTION_FIELDS} for row in rows]


ADOPTION_FIELDS = ("position", "year", "rulebook", "reason", "recorder", "recorded_at")
