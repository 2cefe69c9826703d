"""domain.model.evaluation.evaluate on facts folded from records (rules.md §3-5), no store involved.

Every criterion of every star of both kinds is checked both ways, with its ``detail`` and
``evidence``, under ``puyang-2022`` and ``puyang-2024-revision``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from domain.model.evaluation import CriterionResult, Eligibility, evaluate
from domain.model.facts import apply, new_facts, year_slice
from domain.model.records import BranchRegisteredRecord, decode_record
from domain.model.rulebook import load_rulebook
from tests.support.builders import (
    ALL_COMMUNITY,
    ALL_VILLAGE,
    COMMUNITY_ATTESTED,
    VILLAGE_ATTESTED,
    community,
    five_star_community_year,
    five_star_village_year,
    org_life_year,
    rec,
    village,
)

Y = 2024
BASE, REVISION = "puyang-2022", "puyang-2024-revision"
BOOKS = [BASE, REVISION]
Records = list[dict[str, Any]]


# ------------------------------------------------------------------ helpers
def fold(records: Records):
    decoded = [decode_record(json.dumps(r, ensure_ascii=False)) for r in records]
    assert isinstance(decoded[0], BranchRegisteredRecord)
    facts = new_facts(decoded[0])
    for record in decoded[1:]:
        apply(facts, record)
    return facts


def judge(records: Records, year: int = Y, book: str = BASE) -> Eligibility:
    return evaluate(year_slice(fold(records), year), load_rulebook(book))


def crit(result: Eligibility, star: str, criterion: str) -> CriterionResult:
    rows = [c for c in result.criteria if c.star == star and c.criterion == criterion]
    assert len(rows) == 1, f"{star}.{criterion}: {len(rows)} rows"
    return rows[0]


def base_village(book: str = BASE, code: str = "V1", year: int = Y) -> Records:
    out = [village(code), *five_star_village_year(code, year)]
    if book == REVISION:
        out += org_life_year(code, year)
    return out


def base_community(book: str = BASE, code: str = "C1", year: int = Y) -> Records:
    out = [community(code), *five_star_community_year(code, year)]
    if book == REVISION:
        out += org_life_year(code, year)
    return out


def base(kind: str, book: str) -> Records:
    return base_village(book) if kind == "village" else base_community(book)


def find(records: Records, type_: str, **match: Any) -> dict[str, Any]:
    hits = [
        r for r in records if r["type"] == type_ and all(r.get(k) == v for k, v in match.items())
    ]
    assert len(hits) == 1, (type_, match, len(hits))
    return hits[0]


def without(records: Records, type_: str, **match: Any) -> Records:
    gone = find(records, type_, **match)
    return [r for r in records if r is not gone]


def metric(code: str, name: str, value: float, year: int = Y, **kw: Any) -> dict[str, Any]:
    on = kw.pop("on", f"{year}-12-25")
    return rec("metric.reported", code, on, year=year, metric=name, value=value, **kw)


def attest(code: str, criterion: str, met: bool, year: int = Y, **kw: Any) -> dict[str, Any]:
    return rec(
        "criterion.attested",
        code,
        kw.pop("on", f"{year}-12-01"),
        year=year,
        criterion=criterion,
        met=met,
        by=kw.pop("by", "复核组"),
        **kw,
    )


def incident(code: str, category: str, on: str, **kw: Any) -> dict[str, Any]:
    return rec("incident.recorded", code, on, category=category, **kw)


def honour(code: str, on: str, kind: str = "two_excellent_one_advanced", **kw: Any):
    return rec(
        "honor.granted",
        code,
        on,
        kind=kind,
        level=kw.pop("level", "county"),
        recipient=kw.pop("recipient", "branch"),
        title="表彰",
        **kw,
    )


def assert_only_star_lost(result: Eligibility, star: str, all_stars: list[str]) -> None:
    """``star`` fails; branch_strong fails through exactly that star; the others hold."""
    assert star not in result.eligible
    expected = [s for s in all_stars if s not in (star, "branch_strong")]
    assert result.eligible == expected
    if star != "branch_strong":
        other = crit(result, "branch_strong", "other_four_stars")
        assert other.met is False
        assert other.detail == f"not eligible for {star}"
        assert other.evidence == []


# ------------------------------------------------- vocabulary of the output
VILLAGE_CRITERIA = {
    "branch_strong": [
        "no_incident",
        "development_plan",
        "honour_within_three_years",
        "org_tasks_complete",
        "other_four_stars",
    ],
    "industry_thriving": [
        "no_incident",
        "per_capita_income_growth",
        "one_village_one_product",
        "dual_binding",
        "collective_income",
    ],
    "ecology_livable": [
        "no_incident",
        "manure_treatment",
        "garbage_sorting",
        "village_planning",
        "village_clean",
        "sanitary_toilet_ratio",
    ],
    "safety_rule_of_law": ["no_incident", "three_zero", "epidemic_free"],
    "civility_happiness": [
        "no_incident",
        "service_center_standard",
        "clinic_standard",
        "medical_insurance_rate",
        "pension_insurance_rate",
    ],
}
COMMUNITY_CRITERIA = {
    "branch_strong": [
        "no_incident",
        "honour_within_three_years",
        "org_tasks_complete",
        "other_four_stars",
    ],
    "co_build_share": [
        "no_incident",
        "consultation_method",
        "owners_committee",
        "property_service",
        "mass_activities",
    ],
    "safety_rule_of_law": ["no_incident", "three_zero", "epidemic_free"],
    "happiness_harmony": [
        "no_incident",
        "service_center_functional",
        "care_facilities",
        "volunteer_service",
        "convenience_experience",
    ],
    "employment_business": [
        "no_incident",
        "employment_promotion",
        "enterprise_service",
        "full_employment_or_experience",
    ],
}


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize("kind", ["village", "community"])
def test_every_criterion_of_every_star_is_reported_in_canonical_order(kind: str, book: str):
    result = judge(base(kind, book), book=book)
    spec = VILLAGE_CRITERIA if kind == "village" else COMMUNITY_CRITERIA
    expected = {s: set(cs) for s, cs in spec.items()}
    if book == REVISION:
        expected["branch_strong"].add("org_life_quota")
    got: dict[str, set[str]] = {}
    for c in result.criteria:
        got.setdefault(c.star, set()).add(c.criterion)
    assert got == expected
    # criteria grouped by star in canonical order, branch_strong first though judged last
    order = ALL_VILLAGE if kind == "village" else ALL_COMMUNITY
    stars_seen = list(dict.fromkeys(c.star for c in result.criteria))
    assert stars_seen == order
    assert result.eligible == order
    assert result.rulebook == book
    assert result.kind == kind
    assert (result.branch, result.year) == (("V1" if kind == "village" else "C1"), Y)
    assert result.excluded is False and result.exclusion is None
    assert all(c.met for c in result.criteria)


# ------------------------------------------------------ met: detail/evidence
@pytest.mark.parametrize("book", BOOKS)
def test_village_met_details_and_evidence(book: str):
    records = base_village(book)
    result = judge(records, book=book)
    plan = find(records, "plan.set")
    member = find(records, "member.developed")
    hon = find(records, "honor.granted")

    c = crit(result, "branch_strong", "no_incident")
    assert (c.met, c.detail, c.evidence) == (True, "no incident of these categories in 2024", [])
    c = crit(result, "branch_strong", "development_plan")
    assert c.met and c.detail == "1 members developed in 2024 >= target 1"
    assert c.evidence == [plan["id"], member["id"]]
    c = crit(result, "branch_strong", "honour_within_three_years")
    assert c.met and c.detail == "two_excellent_one_advanced (county, branch) on 2024-07-01"
    assert c.evidence == [hon["id"]]
    c = crit(result, "branch_strong", "other_four_stars")
    assert c.met and c.detail == "eligible for the other 4 stars" and c.evidence == []

    prev = find(records, "metric.reported", metric="per_capita_income", year=Y - 1)
    now = find(records, "metric.reported", metric="per_capita_income", year=Y)
    c = crit(result, "industry_thriving", "per_capita_income_growth")
    assert c.met and c.detail == "12000 (2024) > 10000 (2023)"
    assert c.evidence == [prev["id"], now["id"]]
    for name, star, text in [
        ("collective_income", "industry_thriving", "250000 >= 200000"),
        (
            "sanitary_toilet_ratio",
            "ecology_livable",
            "0.90 >= 0.85" if book == REVISION else "0.90 >= 0.80",
        ),
        ("medical_insurance_rate", "civility_happiness", "0.97 >= 0.95"),
        ("pension_insurance_rate", "civility_happiness", "0.97 >= 0.95"),
    ]:
        c = crit(result, star, name)
        assert (c.met, c.detail) == (True, text)
        assert c.evidence == [find(records, "metric.reported", metric=name, year=Y)["id"]]
    for star, d in [("safety_rule_of_law", "three_zero"), ("safety_rule_of_law", "epidemic_free")]:
        c = crit(result, star, d)
        assert (c.met, c.detail) == (True, f"{d} granted for 2024")
        assert c.evidence == [find(records, "designation.granted", designation=d)["id"]]
    for criterion in VILLAGE_ATTESTED:
        star = next(s for s, cs in VILLAGE_CRITERIA.items() if criterion in cs)
        c = crit(result, star, criterion)
        assert (c.met, c.detail) == (True, "attested met by 乡镇党委")
        assert c.evidence == [find(records, "criterion.attested", criterion=criterion)["id"]]


@pytest.mark.parametrize("book", BOOKS)
def test_community_met_details_and_evidence(book: str):
    records = base_community(book)
    result = judge(records, book=book)
    hon = find(records, "honor.granted")
    c = crit(result, "branch_strong", "honour_within_three_years")
    assert c.met and c.detail == "two_excellent_one_advanced (city, secretary) on 2024-07-01"
    assert c.evidence == [hon["id"]]
    c = crit(result, "employment_business", "full_employment_or_experience")
    assert c.met and c.detail == "full_employment granted for 2024"
    assert c.evidence == [find(records, "designation.granted", designation="full_employment")["id"]]
    for criterion in COMMUNITY_ATTESTED:
        star = next(s for s, cs in COMMUNITY_CRITERIA.items() if criterion in cs)
        c = crit(result, star, criterion)
        assert (c.met, c.detail) == (True, "attested met by 街道党工委")
        assert c.evidence == [find(records, "criterion.attested", criterion=criterion)["id"]]
    for d in ("three_zero", "epidemic_free"):
        c = crit(result, "safety_rule_of_law", d)
        assert (c.met, c.detail) == (True, f"{d} granted for 2024")
    # the urban standard has no development-plan criterion, communities report no metrics
    assert not [c for c in result.criteria if c.criterion == "development_plan"]


# ------------------------------------------------ not met: one case per way
# (kind, star, criterion, breaker(records) -> records, detail, evidence ids | None = the
# ids of the records the breaker added)
Breaker = Callable[[Records], Records]


def _add(*extra: dict[str, Any]) -> Breaker:
    return lambda records: [*records, *extra]


def _drop(type_: str, **match: Any) -> Breaker:
    return lambda records: without(records, type_, **match)


CATEGORIES = {
    ("village", "branch_strong"): ["member_violation"],
    ("village", "industry_thriving"): ["large_scale_poverty_return"],
    ("village", "ecology_livable"): [
        "black_odorous_water",
        "river_blockage",
        "illegal_logging",
        "farmland_occupation",
        "ecological_damage",
    ],
    ("village", "safety_rule_of_law"): [
        "telecom_fraud",
        "illegal_fundraising",
        "illegal_religion",
        "gambling",
        "safety_accident",
        "illegal_petition",
        "major_case",
        "emergency_failure",
        "other_safety_problem",
    ],
    ("village", "civility_happiness"): [
        "high_bride_price",
        "extravagant_ceremony",
        "school_dropout",
        "elderly_neglect",
        "women_children_rights",
        "other_civility_problem",
    ],
    ("community", "branch_strong"): ["member_violation"],
    ("community", "co_build_share"): [
        "illegal_construction",
        "green_space_occupation",
        "property_dispute",
        "official_criticism",
    ],
    ("community", "happiness_harmony"): ["negative_public_opinion"],
    ("community", "employment_business"): ["business_complaint"],
}
CATEGORIES[("community", "safety_rule_of_law")] = CATEGORIES[("village", "safety_rule_of_law")]

INCIDENT_CASES = [
    (kind, star, category)
    for (kind, star), categories in CATEGORIES.items()
    for category in categories
]


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize(("kind", "star", "category"), INCIDENT_CASES)
def test_incident_breaks_its_star(kind: str, star: str, category: str, book: str):
    code = "V1" if kind == "village" else "C1"
    inc = incident(code, category, "2024-05-06", id="inc-1")
    result = judge([*base(kind, book), inc], book=book)
    c = crit(result, star, "no_incident")
    assert c.met is False
    assert c.detail == f"incident inc-1 {category} on 2024-05-06"
    assert c.evidence == ["inc-1"]
    # no other star's no_incident is touched
    others = [x for x in result.criteria if x.criterion == "no_incident" and x.star != star]
    assert all(x.met for x in others)
    assert_only_star_lost(result, star, ALL_VILLAGE if kind == "village" else ALL_COMMUNITY)


def test_several_incidents_are_all_evidence():
    records = [
        *base_village(),
        incident("V1", "gambling", "2024-02-01", id="i-a"),
        incident("V1", "telecom_fraud", "2024-03-01", id="i-b"),
    ]
    c = crit(judge(records), "safety_rule_of_law", "no_incident")
    assert c.evidence == ["i-a", "i-b"]
    assert (
        c.detail == "incident i-a gambling on 2024-02-01; incident i-b telecom_fraud on 2024-03-01"
    )


def _attested_cases(kind: str) -> list[tuple[str, str]]:
    spec = VILLAGE_CRITERIA if kind == "village" else COMMUNITY_CRITERIA
    attested = VILLAGE_ATTESTED if kind == "village" else COMMUNITY_ATTESTED
    return [(s, c) for s, cs in spec.items() for c in cs if c in attested]


ATTESTED_CASES = [(k, s, c) for k in ("village", "community") for s, c in _attested_cases(k)]


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize(("kind", "star", "criterion"), ATTESTED_CASES)
def test_attested_not_met_or_missing(kind: str, star: str, criterion: str, book: str):
    code = "V1" if kind == "village" else "C1"
    all_stars = ALL_VILLAGE if kind == "village" else ALL_COMMUNITY
    records = base(kind, book)
    # attested not met, recorded later: the latest attestation decides
    result = judge([*records, attest(code, criterion, False, id="att-no")], book=book)
    c = crit(result, star, criterion)
    assert (c.met, c.detail, c.evidence) == (False, "attested not met by 复核组", ["att-no"])
    assert_only_star_lost(result, star, all_stars)
    # no attestation at all
    result = judge(without(records, "criterion.attested", criterion=criterion), book=book)
    c = crit(result, star, criterion)
    assert (c.met, c.detail, c.evidence) == (False, f"no attestation of {criterion} for 2024", [])
    assert_only_star_lost(result, star, all_stars)
    # an attestation for another year does not count
    moved = [
        {**r, "year": Y - 1}
        if r["type"] == "criterion.attested" and r["criterion"] == criterion
        else r
        for r in records
    ]
    assert crit(judge(moved, book=book), star, criterion).met is False


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize("kind", ["village", "community"])
@pytest.mark.parametrize("designation", ["three_zero", "epidemic_free"])
def test_designation_missing_or_revoked(kind: str, designation: str, book: str):
    code = "V1" if kind == "village" else "C1"
    all_stars = ALL_VILLAGE if kind == "village" else ALL_COMMUNITY
    records = base(kind, book)
    result = judge(without(records, "designation.granted", designation=designation), book=book)
    c = crit(result, "safety_rule_of_law", designation)
    assert (c.met, c.detail, c.evidence) == (False, f"{designation} not granted for 2024", [])
    assert_only_star_lost(result, "safety_rule_of_law", all_stars)
    revoke = rec(
        "designation.revoked", code, "2024-12-01", year=Y, designation=designation, id="rv-1"
    )
    result = judge([*records, revoke], book=book)
    c = crit(result, "safety_rule_of_law", designation)
    assert (c.met, c.detail, c.evidence) == (False, f"{designation} revoked for 2024", ["rv-1"])
    assert_only_star_lost(result, "safety_rule_of_law", all_stars)
    # granted again after the revocation: the latest decides
    again = rec("designation.granted", code, "2024-12-02", year=Y, designation=designation)
    assert crit(judge([*records, revoke, again], book=book), "safety_rule_of_law", designation).met
    # a designation for another year does not count for Y
    other_year = [
        {**r, "year": Y + 1}
        if r["type"] == "designation.granted" and r["designation"] == designation
        else r
        for r in records
    ]
    assert not crit(judge(other_year, book=book), "safety_rule_of_law", designation).met


# ----------------------------------------------------- figures and boundaries
@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize(
    ("value", "met", "detail"),
    [
        (199_999, False, "199999 < 200000"),
        (200_000, True, "200000 >= 200000"),
        (200_001, True, "200001 >= 200000"),
        (-5_000, False, "-5000 < 200000"),
        (199_999.5, False, "199999.50 < 200000"),
    ],
)
def test_collective_income_boundary(value: float, met: bool, detail: str, book: str):
    m = metric("V1", "collective_income", value, id="ci-1")
    result = judge([*base_village(book), m], book=book)
    c = crit(result, "industry_thriving", "collective_income")
    assert (c.met, c.detail, c.evidence) == (met, detail, ["ci-1"])
    assert ("industry_thriving" in result.eligible) is met


@pytest.mark.parametrize(
    ("book", "value", "met", "detail"),
    [
        (BASE, 0.7999, False, "0.7999 < 0.80"),
        (BASE, 0.80, True, "0.80 >= 0.80"),
        (BASE, 0.78, False, "0.78 < 0.80"),
        (REVISION, 0.80, False, "0.80 < 0.85"),
        (REVISION, 0.82, False, "0.82 < 0.85"),
        (REVISION, 0.8499, False, "0.8499 < 0.85"),
        (REVISION, 0.85, True, "0.85 >= 0.85"),
        (REVISION, 1.0, True, "1 >= 0.85"),
    ],
)
def test_sanitary_toilet_ratio_boundary(book: str, value: float, met: bool, detail: str):
    m = metric("V1", "sanitary_toilet_ratio", value, id="st-1")
    result = judge([*base_village(book), m], book=book)
    c = crit(result, "ecology_livable", "sanitary_toilet_ratio")
    assert (c.met, c.detail, c.evidence) == (met, detail, ["st-1"])
    if not met:
        assert_only_star_lost(result, "ecology_livable", ALL_VILLAGE)
    else:
        assert result.eligible == ALL_VILLAGE


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize("name", ["medical_insurance_rate", "pension_insurance_rate"])
@pytest.mark.parametrize(
    ("value", "met", "detail"),
    [(0.9499, False, "0.9499 < 0.95"), (0.95, True, "0.95 >= 0.95")],
)
def test_insurance_rate_boundary(name: str, value: float, met: bool, detail: str, book: str):
    m = metric("V1", name, value, id="ins-1")
    result = judge([*base_village(book), m], book=book)
    c = crit(result, "civility_happiness", name)
    assert (c.met, c.detail, c.evidence) == (met, detail, ["ins-1"])
    if not met:
        assert_only_star_lost(result, "civility_happiness", ALL_VILLAGE)
    else:
        assert "civility_happiness" in result.eligible


@pytest.mark.parametrize("book", BOOKS)
@pytest.mark.parametrize(
    ("name", "star"),
    [
        ("collective_income", "industry_thriving"),
        ("sanitary_toilet_ratio", "ecology_livable"),
        ("medical_insurance_rate", "civility_happiness"),
        ("pension_insurance_rate", "civility_happiness"),
    ],
)
def test_figure_not_reported(name: str, star: str, book: str):
    records = without(base_village(book), "metric.reported", metric=name, year=Y)
    result = judge(records, book=book)
    c = crit(result, star, name)
    assert (c.met, c.detail, c.evidence) == (False, f"no {name} reported for 2024", [])
    assert_only_star_lost(result, star, ALL_VILLAGE)


def _income_records(prev: float | None, now: float | None) -> Records:
    records = [
        r
        for r in base_village()
        if not (r["type"] == "metric.reported" and r["metric"] == "per_capita_income")
    ]
    if prev is not None:
        records.append(metric("V1", "per_capita_income", prev, year=Y - 1, id="pci-prev"))
    if now is not None:
        records.append(metric("V1", "per_capita_income", now, year=Y, id="pci-now"))
    return records


@pytest.mark.parametrize(
    ("prev", "now", "met", "detail", "evidence"),
    [
        (10000, 10001, True, "10001 (2024) > 10000 (2023)", ["pci-prev", "pci-now"]),
        (10000, 10000, False, "10000 (2024) <= 10000 (2023)", ["pci-prev", "pci-now"]),
        (10000, 9000, False, "9000 (2024) <= 10000 (2023)", ["pci-prev", "pci-now"]),
        (None, 12000, False, "no per_capita_income reported for 2023", ["pci-now"]),
        (10000, None, False, "no per_capita_income reported for 2024", ["pci-prev"]),
        (None, None, False, "no per_capita_income reported for 2023 and 2024", []),
    ],
)
def test_per_capita_income_growth(prev, now, met, detail, evidence):
    result = judge(_income_records(prev, now))
    c = crit(result, "industry_thriving", "per_capita_income_growth")
    assert (c.met, c.detail, c.evidence) == (met, detail, evidence)
    assert ("industry_thriving" in result.eligible) is met


def test_growth_compares_with_the_year_before_only():
    records = _income_records(None, 12000)
    records.append(metric("V1", "per_capita_income", 5000, year=Y - 2))
    c = crit(judge(records), "industry_thriving", "per_capita_income_growth")
    assert c.met is False and c.detail == "no per_capita_income reported for 2023"


# --------------------------------------------------------------- the year
@pytest.mark.parametrize(
    ("on", "counts_for"),
    [("2024-12-31", 2024), ("2025-01-01", 2025), ("2024-01-01", 2024), ("2023-12-31", 2023)],
)
def test_incident_counts_for_the_year_of_its_date(on: str, counts_for: int):
    records = [
        village("V1"),
        *five_star_village_year("V1", 2023),
        *five_star_village_year("V1", 2024),
        *five_star_village_year("V1", 2025),
        incident("V1", "gambling", on, id="gam"),
    ]
    for year in (2023, 2024, 2025):
        c = crit(judge(records, year=year), "safety_rule_of_law", "no_incident")
        if year == counts_for:
            assert (c.met, c.evidence) == (False, ["gam"])
        else:
            assert (c.met, c.evidence) == (True, []), year


def test_retracted_incident_does_not_count():
    records = [
        *base_village(),
        incident("V1", "major_case", "2024-04-01", id="mc-1"),
        rec("incident.retracted", "V1", "2024-04-20", ref="mc-1", reason="误报", id="mc-1-x"),
    ]
    result = judge(records)
    c = crit(result, "safety_rule_of_law", "no_incident")
    assert (c.met, c.evidence) == (True, [])
    assert result.eligible == ALL_VILLAGE
    # another incident of the same category still counts
    records.append(incident("V1", "major_case", "2024-05-01", id="mc-2"))
    assert crit(judge(records), "safety_rule_of_law", "no_incident").evidence == ["mc-2"]


@pytest.mark.parametrize("book", BOOKS)
def test_later_correction_with_earlier_date_wins(book: str):
    records = base_village(book)
    # a correction recorded later but dated earlier
    low = metric("V1", "collective_income", 150_000, on="2024-03-01", id="ci-fix")
    result = judge([*records, low], book=book)
    c = crit(result, "industry_thriving", "collective_income")
    assert (c.met, c.detail, c.evidence) == (False, "150000 < 200000", ["ci-fix"])
    # and the other way round: a low figure corrected upwards by an earlier-dated record
    high = metric("V1", "collective_income", 210_000, on="2024-01-15", id="ci-fix2")
    c = crit(judge([*records, low, high], book=book), "industry_thriving", "collective_income")
    assert (c.met, c.evidence) == (True, ["ci-fix2"])
    # same for attestations: ledger order, not business date
    a1 = attest("V1", "dual_binding", False, on="2024-12-30", id="db-no")
    a2 = attest("V1", "dual_binding", True, on="2024-02-01", id="db-yes")
    c = crit(judge([*records, a1, a2], book=book), "industry_thriving", "dual_binding")
    assert (c.met, c.evidence) == (True, ["db-yes"])
    c = crit(judge([*records, a2, a1], book=book), "industry_thriving", "dual_binding")
    assert (c.met, c.evidence) == (False, ["db-no"])


# ---------------------------------------------------------------- honours
def _without_honour(records: Records) -> Records:
    return [r for r in records if r["type"] != "honor.granted"]


NO_HONOUR = (
    "no two_excellent_one_advanced honour (county/city/province/national) in 2022-01-01..2024-12-31"
)


@pytest.mark.parametrize("kind", ["village", "community"])
@pytest.mark.parametrize(
    ("on", "kw", "counts"),
    [
        ("2022-01-01", {}, True),
        ("2021-12-31", {}, False),
        ("2024-12-31", {}, True),
        ("2025-01-01", {}, False),
        ("2023-07-01", {"level": "city"}, True),
        ("2023-07-01", {"level": "province"}, True),
        ("2023-07-01", {"level": "national"}, True),
        ("2023-07-01", {"level": "township"}, False),
        ("2023-07-01", {"kind": "other"}, False),
        ("2023-07-01", {"kind": "other", "level": "national"}, False),
        ("2023-07-01", {"recipient": "secretary"}, True),
    ],
)
def test_honour_window(kind: str, on: str, kw: dict[str, Any], counts: bool):
    code = "V1" if kind == "village" else "C1"
    records = [*_without_honour(base(kind, BASE)), honour(code, on, id="hon-1", **kw)]
    result = judge(records)
    c = crit(result, "branch_strong", "honour_within_three_years")
    if counts:
        assert c.met and c.evidence == ["hon-1"]
        assert on in c.detail
        assert "branch_strong" in result.eligible
    else:
        assert (c.met, c.detail, c.evidence) == (False, NO_HONOUR, [])
        all_stars = ALL_VILLAGE if kind == "village" else ALL_COMMUNITY
        assert result.eligible == all_stars[1:]


def test_no_honour_at_all():
    result = judge(_without_honour(base_village()))
    c = crit(result, "branch_strong", "honour_within_three_years")
    assert (c.met, c.detail, c.evidence) == (False, NO_HONOUR, [])
    assert result.eligible == ALL_VILLAGE[1:]


def test_honour_window_moves_with_the_year():
    records = _without_honour([village("V1"), *five_star_village_year("V1", 2026)])
    records.append(honour("V1", "2024-07-01", id="h24"))
    assert crit(judge(records, year=2026), "branch_strong", "honour_within_three_years").met
    assert judge(records, year=2026).eligible == ALL_VILLAGE
    records.append(honour("V1", "2023-12-31", id="h23", level="province"))
    c = crit(judge(records, year=2026), "branch_strong", "honour_within_three_years")
    assert c.evidence == ["h24"]


# -------------------------------------------------------- development plan
def _plan_records(target: int | None, members: list[str], plan_year: int = Y) -> Records:
    records = [r for r in base_village() if r["type"] not in ("plan.set", "member.developed")]
    if target is not None:
        records.append(
            rec("plan.set", "V1", f"{plan_year - 1}-12-01", year=plan_year, target=target, id="pl")
        )
    records += [
        rec("member.developed", "V1", on, person=f"党员{i}", id=f"m{i}")
        for i, on in enumerate(members)
    ]
    return records


@pytest.mark.parametrize(
    ("target", "members", "met", "detail", "evidence"),
    [
        (None, ["2024-05-01"], False, "no development plan for 2024", []),
        (0, [], True, "0 members developed in 2024 >= target 0", ["pl"]),
        (2, ["2024-01-01", "2024-12-31"], True, "2 members developed in 2024 >= target 2",
         ["pl", "m0", "m1"]),
        (2, ["2023-12-31", "2024-12-31"], False, "1 members developed in 2024 < target 2",
         ["pl", "m1"]),
        (2, ["2024-06-01", "2025-01-01"], False, "1 members developed in 2024 < target 2",
         ["pl", "m0"]),
        (1, ["2024-03-01", "2024-04-01", "2024-05-01"], True,
         "3 members developed in 2024 >= target 1", ["pl", "m0", "m1", "m2"]),
    ],
)  # fmt: skip
def test_development_plan(target, members, met, detail, evidence):
    result = judge(_plan_records(target, members))
    c = crit(result, "branch_strong", "development_plan")
    assert (c.met, c.detail, c.evidence) == (met, detail, evidence)
    assert ("branch_strong" in result.eligible) is met


def test_plan_for_another_year_and_latest_plan():
    # a plan for 2025 set in 2024 is not a plan for 2024
    c = crit(judge(_plan_records(1, ["2024-05-01"], plan_year=2025)), "branch_strong",
             "development_plan")  # fmt: skip
    assert (c.met, c.detail) == (False, "no development plan for 2024")
    # the latest plan for a year counts
    records = _plan_records(1, ["2024-05-01"])
    records.append(rec("plan.set", "V1", "2024-02-01", year=Y, target=3, id="pl2"))
    c = crit(judge(records), "branch_strong", "development_plan")
    assert (c.met, c.detail) == (False, "1 members developed in 2024 < target 3")
    assert c.evidence[0] == "pl2"


def test_community_development_is_not_a_criterion():
    records = [*base_community(), rec("plan.set", "C1", "2024-01-01", year=Y, target=5)]
    result = judge(records)
    assert result.eligible == ALL_COMMUNITY


# ------------------------------------------------------------ other stars
@pytest.mark.parametrize("book", BOOKS)
def test_branch_strong_fails_through_several_stars(book: str):
    records = [
        *base_village(book),
        incident("V1", "gambling", "2024-03-03"),
        metric("V1", "collective_income", 1000),
    ]
    result = judge(records, book=book)
    c = crit(result, "branch_strong", "other_four_stars")
    assert c.met is False
    assert c.detail == "not eligible for industry_thriving, safety_rule_of_law"
    assert result.eligible == ["ecology_livable", "civility_happiness"]
    # branch_strong's own criteria all hold: only other_four_stars fails
    own = [x for x in result.criteria if x.star == "branch_strong" and not x.met]
    assert [x.criterion for x in own] == ["other_four_stars"]


def test_branch_strong_own_failure_does_not_touch_the_others():
    records = [*base_village(), incident("V1", "member_violation", "2024-08-08", id="mv")]
    result = judge(records)
    assert result.eligible == ALL_VILLAGE[1:]
    assert crit(result, "branch_strong", "other_four_stars").met is True


# ----------------------------------------------------------- weak and lax
def _spell(designated: str, lifted: str | None = None) -> Records:
    out = [rec("weakness.designated", "V1", designated, reason="软弱涣散", id="wd")]
    if lifted:
        out.append(rec("weakness.lifted", "V1", lifted, reason="整顿完成", id="wl"))
    return out


@pytest.mark.parametrize(
    ("designated", "lifted", "excluded"),
    [
        ("2024-03-01", None, True),
        ("2024-12-31", None, True),
        ("2025-01-01", None, False),
        ("2022-05-01", None, True),
        ("2023-05-01", "2024-01-01", False),
        ("2023-05-01", "2024-01-02", True),
        ("2023-05-01", "2023-12-31", False),
        ("2024-01-01", "2024-01-02", True),
        ("2024-06-01", "2024-09-01", True),
        ("2024-12-31", "2025-02-01", True),
    ],
)
def test_weak_and_lax_exclusion(designated: str, lifted: str | None, excluded: bool):
    records = [*base_village(), *_spell(designated, lifted)]
    result = judge(records)
    assert result.excluded is excluded
    # criteria are still all reported and met
    assert len(result.criteria) == sum(len(v) for v in VILLAGE_CRITERIA.values())
    assert all(c.met for c in result.criteria)
    if excluded:
        assert result.eligible == []
        assert result.exclusion is not None
        expected_ids = ["wd", "wl"] if lifted else ["wd"]
        assert result.exclusion.evidence == expected_ids
        assert f"weak and lax from {designated} (wd)" in result.exclusion.detail
        assert (f"lifted {lifted} (wl)" if lifted else "not lifted") in result.exclusion.detail
    else:
        assert result.exclusion is None
        assert result.eligible == ALL_VILLAGE


def test_weak_and_lax_years_around_the_spell():
    records = [
        village("V1"),
        *five_star_village_year("V1", 2023),
        *five_star_village_year("V1", 2024),
        *five_star_village_year("V1", 2025),
        *_spell("2024-06-01", "2025-01-01"),
    ]
    assert judge(records, year=2023).excluded is False
    assert judge(records, year=2024).excluded is True
    assert judge(records, year=2025).excluded is False
    assert judge(records, year=2025).eligible == ALL_VILLAGE


def test_two_spells_in_a_year_both_named():
    records = [
        *base_village(),
        rec("weakness.designated", "V1", "2024-02-01", id="w1"),
        rec("weakness.lifted", "V1", "2024-04-01", id="w2"),
        rec("weakness.designated", "V1", "2024-09-01", id="w3"),
    ]
    result = judge(records)
    assert result.excluded and result.eligible == []
    assert result.exclusion is not None
    assert result.exclusion.evidence == ["w1", "w2", "w3"]
    assert result.exclusion.detail == (
        "weak and lax from 2024-02-01 (w1), lifted 2024-04-01 (w2); "
        "weak and lax from 2024-09-01 (w3), not lifted"
    )


def test_community_can_be_excluded_too():
    records = [*base_community(), rec("weakness.designated", "C1", "2024-10-01", id="cw")]
    result = judge(records)
    assert result.excluded and result.eligible == []
    assert result.exclusion is not None and result.exclusion.evidence == ["cw"]


# ------------------------------------------------- community either-or
def _community_employment(designation: str | None, attested: bool | None) -> Records:
    records = [
        r
        for r in base_community()
        if not (r["type"] == "designation.granted" and r["designation"] == "full_employment")
    ]
    if designation == "granted":
        records.append(
            rec("designation.granted", "C1", "2024-05-01", year=Y, designation="full_employment",
                id="fe")
        )  # fmt: skip
    elif designation == "revoked":
        records.append(
            rec("designation.granted", "C1", "2024-05-01", year=Y, designation="full_employment",
                id="fe")
        )  # fmt: skip
        records.append(
            rec("designation.revoked", "C1", "2024-09-01", year=Y, designation="full_employment",
                id="fe-x")
        )  # fmt: skip
    if attested is not None:
        records.append(attest("C1", "business_environment_experience", attested, id="bee"))
    return records


@pytest.mark.parametrize(
    ("designation", "attested", "met", "detail", "evidence"),
    [
        ("granted", None, True, "full_employment granted for 2024", ["fe"]),
        (None, True, True, "business_environment_experience attested met by 复核组", ["bee"]),
        ("granted", False, True, "full_employment granted for 2024", ["fe"]),
        ("revoked", True, True, "business_environment_experience attested met by 复核组",
         ["bee"]),
        (None, None, False,
         "full_employment not granted for 2024; business_environment_experience: "
         "no attestation of business_environment_experience for 2024", []),
        (None, False, False,
         "full_employment not granted for 2024; business_environment_experience: "
         "attested not met by 复核组", ["bee"]),
        ("revoked", None, False,
         "full_employment revoked for 2024; business_environment_experience: "
         "no attestation of business_environment_experience for 2024", ["fe-x"]),
    ],
)  # fmt: skip
def test_full_employment_or_experience(designation, attested, met, detail, evidence):
    result = judge(_community_employment(designation, attested))
    c = crit(result, "employment_business", "full_employment_or_experience")
    assert (c.met, c.detail, c.evidence) == (met, detail, evidence)
    if met:
        assert result.eligible == ALL_COMMUNITY
    else:
        assert_only_star_lost(result, "employment_business", ALL_COMMUNITY)


# ------------------------------------------------------ revision: 三会一课
QUOTA_MET = "party_congress 4/4, party_lesson 4/4, org_life 1/1, theme_day in 12/12 months"


@pytest.mark.parametrize("kind", ["village", "community"])
def test_org_life_quota_met(kind: str):
    records = base(kind, REVISION)
    result = judge(records, book=REVISION)
    c = crit(result, "branch_strong", "org_life_quota")
    assert c.met and c.detail == QUOTA_MET
    meeting_ids = {r["id"] for r in records if r["type"] == "meeting.held"}
    assert set(c.evidence) == meeting_ids and len(c.evidence) == 21
    assert "branch_strong" in result.eligible
    # the base rulebook has no such criterion: meetings do not matter there
    no_meetings = [r for r in records if r["type"] != "meeting.held"]
    assert judge(no_meetings, book=BASE).eligible == (
        ALL_VILLAGE if kind == "village" else ALL_COMMUNITY
    )


@pytest.mark.parametrize("kind", ["village", "community"])
def test_org_life_quota_missing_one_theme_day_month(kind: str):
    code = "V1" if kind == "village" else "C1"
    reg = village(code) if kind == "village" else community(code)
    facts = five_star_village_year if kind == "village" else five_star_community_year
    months = [m for m in range(1, 13) if m != 7]
    records = [reg, *facts(code, Y), *org_life_year(code, Y, theme_months=months)]
    # two theme days in one month do not make up for the missing one
    records.append(rec("meeting.held", code, "2024-08-25", kind="theme_day"))
    result = judge(records, book=REVISION)
    c = crit(result, "branch_strong", "org_life_quota")
    assert c.met is False
    assert c.detail == (
        "party_congress 4/4, party_lesson 4/4, org_life 1/1, "
        "theme_day in 11/12 months (missing 2024-07)"
    )
    assert "branch_strong" not in result.eligible
    assert len(result.eligible) == 4


def test_org_life_quota_missing_one_party_lesson():
    records = base_village(REVISION)
    lesson = next(r for r in records if r["type"] == "meeting.held" and r["kind"] == "party_lesson")
    records = [r for r in records if r is not lesson]
    result = judge(records, book=REVISION)
    c = crit(result, "branch_strong", "org_life_quota")
    assert c.met is False
    assert "party_lesson 3/4" in c.detail
    assert lesson["id"] not in c.evidence
    assert result.eligible == ALL_VILLAGE[1:]


def test_org_life_quota_counts_only_meetings_of_the_year():
    records = [
        village("V1"),
        *five_star_village_year("V1", Y),
        *org_life_year("V1", Y - 1),
    ]
    c = crit(judge(records, book=REVISION), "branch_strong", "org_life_quota")
    assert c.met is False
    assert c.detail.startswith("party_congress 0/4, party_lesson 0/4, org_life 0/1")
    assert c.evidence == []


def test_revision_applies_only_to_its_own_changes():
    """0.82 passes puyang-2022 and fails the revision; nothing else differs."""
    records = [*base_village(REVISION), metric("V1", "sanitary_toilet_ratio", 0.82, id="st")]
    old, new = judge(records, book=BASE), judge(records, book=REVISION)
    assert old.eligible == ALL_VILLAGE
    assert new.eligible == ["industry_thriving", "safety_rule_of_law", "civility_happiness"]
    changed = {
        (c.star, c.criterion)
        for c in new.criteria
        if (c.star, c.criterion) not in {(o.star, o.criterion) for o in old.criteria}
        or crit(old, c.star, c.criterion).met != c.met
    }
    assert changed == {
        ("ecology_livable", "sanitary_toilet_ratio"),
        ("branch_strong", "org_life_quota"),
        ("branch_strong", "other_four_stars"),
    }


# ------------------------------------------------------- canonical order
def test_eligible_in_canonical_order_whatever_the_record_order():
    records = base_village()
    shuffled = [records[0], *reversed(records[1:])]
    result = judge(shuffled)
    assert result.eligible == ALL_VILLAGE
    broken = [*shuffled, incident("V1", "high_bride_price", "2024-02-02")]
    assert judge(broken).eligible == [
        "industry_thriving",
        "ecology_livable",
        "safety_rule_of_law",
    ]
    com = base_community()
    com = [com[0], *reversed(com[1:]), incident("C1", "property_dispute", "2024-02-02")]
    assert judge(com).eligible == [
        "safety_rule_of_law",
        "happiness_harmony",
        "employment_business",
    ]


def test_a_branch_with_no_facts_is_eligible_for_nothing():
    result = judge([village("V9")])
    assert result.eligible == []
    assert result.excluded is False
    assert len(result.criteria) == 24
    by_id = {(c.star, c.criterion): c for c in result.criteria}
    # no_incident holds on an empty record; everything needing a record fails
    assert all(c.met for (s, k), c in by_id.items() if k == "no_incident")
    assert not any(c.met for (s, k), c in by_id.items() if k != "no_incident")
