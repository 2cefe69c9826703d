"""The synthetic ledger generator: deterministic, well formed, kind-valid identifiers."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate_ledger.py"

# interchange.md: record types and their fields (beyond id, type, branch, on)
FIELDS = {
    "branch.registered": {"name", "kind", "county", "township", "households", "population"},
    "branch.secretary_appointed": {"person", "civil_servant"},
    "incident.recorded": {"category", "note"},
    "incident.retracted": {"ref", "reason"},
    "meeting.held": {"kind"},
    "member.developed": {"person", "wealth_leader"},
    "plan.set": {"year", "target"},
    "honor.granted": {"kind", "level", "recipient", "title"},
    "metric.reported": {"year", "metric", "value"},
    "criterion.attested": {"year", "criterion", "met", "by"},
    "designation.granted": {"year", "designation"},
    "designation.revoked": {"year", "designation"},
    "weakness.designated": {"reason"},
    "weakness.lifted": {"reason"},
    "rating.declared": {"year", "stars"},
    "rating.recommended": {"year", "stars", "by"},
    "rating.awarded": {"year", "stars", "by"},
}
# mechanisms.md §1: cases and problem registers (scripts/ledger_cases.py)
FIELDS.update(
    {
        "case.reported": {"case", "category", "occurred_on", "grid", "incident", "summary"},
        "case.assigned": {"case", "level", "unit", "lead"},
        "case.escalated": {"case", "reason"},
        "case.progressed": {"case", "note"},
        "case.resolved": {"case", "outcome"},
        "case.verified": {"case", "satisfied"},
        "problem.registered": {"problem", "area", "summary", "deadline", "paralysis"},
        "problem.resolved": {"problem"},
        "intervention.started": {"intervention", "measure", "people", "from_unit"},
        "intervention.ended": {"intervention", "note"},
    }
)
CASE_OPTIONAL = {
    "case.reported": {"grid", "incident", "summary"},
    "case.assigned": {"lead"},
    "case.escalated": {"reason"},
    "problem.registered": {"paralysis"},
    "intervention.started": {"from_unit"},
    "intervention.ended": {"note"},
}
OPTIONAL = {
    "incident.recorded": {"note"},
    "member.developed": {"wealth_leader"},
    "weakness.designated": {"reason"},
    "weakness.lifted": {"reason"},
}
OPTIONAL.update(CASE_OPTIONAL)
MEETING_KINDS = {
    "branch_committee",
    "party_congress",
    "party_group",
    "party_lesson",
    "theme_day",
    "org_life",
    "two_committee_briefing",
}

# rules.md §2 and §4, rulebook puyang-2022
STARS = {
    "village": {
        "branch_strong",
        "industry_thriving",
        "ecology_livable",
        "safety_rule_of_law",
        "civility_happiness",
    },
    "community": {
        "branch_strong",
        "co_build_share",
        "safety_rule_of_law",
        "happiness_harmony",
        "employment_business",
    },
}
SAFETY = {
    "telecom_fraud",
    "illegal_fundraising",
    "illegal_religion",
    "gambling",
    "safety_accident",
    "illegal_petition",
    "major_case",
    "emergency_failure",
    "other_safety_problem",
}
CATEGORIES = {
    "village": SAFETY
    | {
        "member_violation",
        "large_scale_poverty_return",
        "black_odorous_water",
        "river_blockage",
        "illegal_logging",
        "farmland_occupation",
        "ecological_damage",
        "high_bride_price",
        "extravagant_ceremony",
        "school_dropout",
        "elderly_neglect",
        "women_children_rights",
        "other_civility_problem",
    },
    "community": SAFETY
    | {
        "member_violation",
        "illegal_construction",
        "green_space_occupation",
        "property_dispute",
        "official_criticism",
        "negative_public_opinion",
        "business_complaint",
    },
}
CRITERIA = {
    "village": {
        "one_village_one_product",
        "dual_binding",
        "manure_treatment",
        "garbage_sorting",
        "village_planning",
        "village_clean",
        "service_center_standard",
        "clinic_standard",
        "org_tasks_complete",
    },
    "community": {
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
        "business_environment_experience",
        "org_tasks_complete",
    },
}
METRICS = {
    "village": {
        "collective_income",
        "per_capita_income",
        "sanitary_toilet_ratio",
        "medical_insurance_rate",
        "pension_insurance_rate",
    },
    "community": set(),
}
RATIOS = {"sanitary_toilet_ratio", "medical_insurance_rate", "pension_insurance_rate"}
DESIGNATIONS = {
    "village": {"three_zero", "epidemic_free"},
    "community": {"three_zero", "epidemic_free", "full_employment"},
}
ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def generate(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--no-mechanisms", *args],  # v1 records only
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    return done.stdout


@pytest.fixture(scope="module")
def ledger() -> str:
    return generate("--branches", "30", "--seed", "7")


@pytest.fixture(scope="module")
def records(ledger: str) -> list[dict]:
    return [json.loads(line) for line in ledger.splitlines()]


def test_same_seed_same_output_other_seed_other_output(ledger: str) -> None:
    assert ledger
    assert generate("--branches", "30", "--seed", "7") == ledger
    assert generate("--branches", "30", "--seed", "8") != ledger


def test_every_line_is_a_record_with_the_common_fields(ledger: str, records: list[dict]) -> None:
    assert len(records) == len(ledger.splitlines()) > 30 * 5 * 10
    for rec in records:
        assert isinstance(rec, dict)
        assert list(rec)[:4] == ["id", "type", "branch", "on"], rec
        assert ID_RE.match(rec["id"]), rec
        assert isinstance(rec["branch"], str) and 1 <= len(rec["branch"]) <= 64
        assert dt.date.fromisoformat(rec["on"]).isoformat() == rec["on"], rec


def test_ids_are_unique(records: list[dict]) -> None:
    ids = [rec["id"] for rec in records]
    assert len(set(ids)) == len(ids)


def test_types_and_fields_are_those_of_interchange(records: list[dict]) -> None:
    for rec in records:
        assert rec["type"] in FIELDS, rec
        extra = set(rec) - {"id", "type", "branch", "on"}
        required = FIELDS[rec["type"]] - OPTIONAL.get(rec["type"], set())
        assert required <= extra <= FIELDS[rec["type"]], rec
        if "year" in rec:
            assert isinstance(rec["year"], int) and 2000 <= rec["year"] <= 2100, rec
        if rec["type"] == "meeting.held":
            assert rec["kind"] in MEETING_KINDS, rec


def test_branches_are_registered_first(records: list[dict]) -> None:
    kinds: dict[str, str] = {}
    seen_other = False
    for rec in records:
        if rec["type"] == "branch.registered":
            assert rec["branch"] not in kinds, rec
            assert not seen_other, "registrations come first"
            assert rec["kind"] in ("village", "community")
            assert rec["branch"][0] == ("V" if rec["kind"] == "village" else "C")
            kinds[rec["branch"]] = rec["kind"]
        else:
            seen_other = True
            assert rec["branch"] in kinds, rec
    assert len(kinds) == 30
    assert set(kinds.values()) == {"village", "community"}


def test_identifiers_are_valid_for_the_branch_kind(records: list[dict]) -> None:
    kinds = {r["branch"]: r["kind"] for r in records if r["type"] == "branch.registered"}
    incidents: dict[str, set[str]] = {}
    used: dict[str, set[str]] = {
        "category": set(),
        "criterion": set(),
        "metric": set(),
        "designation": set(),
    }
    for rec in records:
        kind = kinds[rec["branch"]]
        typ = rec["type"]
        if typ == "incident.recorded":
            assert rec["category"] in CATEGORIES[kind], rec
            incidents.setdefault(rec["branch"], set()).add(rec["id"])
            used["category"].add(rec["category"])
        elif typ == "incident.retracted":
            assert rec["ref"] in incidents.get(rec["branch"], set()), rec
        elif typ == "criterion.attested":
            assert rec["criterion"] in CRITERIA[kind], rec
            assert isinstance(rec["met"], bool) and rec["by"], rec
            used["criterion"].add(rec["criterion"])
        elif typ == "metric.reported":
            assert rec["metric"] in METRICS[kind], rec
            if rec["metric"] in RATIOS:
                assert 0 <= rec["value"] <= 1, rec
            elif rec["metric"] == "per_capita_income":
                assert rec["value"] >= 0, rec
            used["metric"].add(rec["metric"])
        elif typ in ("designation.granted", "designation.revoked"):
            assert rec["designation"] in DESIGNATIONS[kind], rec
            used["designation"].add(rec["designation"])
        elif typ.startswith("rating."):
            stars = rec["stars"]
            assert stars and len(set(stars)) == len(stars), rec
            assert set(stars) <= STARS[kind], rec
            if "branch_strong" in stars:
                assert set(stars) == STARS[kind], rec
    assert used["metric"] == METRICS["village"]
    assert used["designation"] == DESIGNATIONS["community"]
    assert used["criterion"] == CRITERIA["village"] | CRITERIA["community"]
    assert used["category"]


def test_rating_chain_follows_the_year_facts(records: list[dict]) -> None:
    """Facts of year Y for a branch precede its rating records for Y."""
    last_fact: dict[tuple[str, int], int] = {}
    for pos, rec in enumerate(records):
        if "year" in rec and not rec["type"].startswith("rating."):
            last_fact[(rec["branch"], rec["year"])] = pos
    ratings = 0
    for pos, rec in enumerate(records):
        if rec["type"].startswith("rating."):
            ratings += 1
            assert last_fact.get((rec["branch"], rec["year"]), -1) < pos, rec
    assert ratings > 0


def test_no_ratings_flag() -> None:
    out = generate("--branches", "5", "--seed", "7", "--years", "2024-2025", "--no-ratings")
    recs = [json.loads(line) for line in out.splitlines()]
    assert recs and not any(r["type"].startswith("rating.") for r in recs)
    assert all(r["on"] < "2026-01-01" for r in recs)


def test_cases_and_problem_registers_are_in_the_ledger() -> None:
    """Cases of both kinds, escalations, reopened checks and the ladder's measures."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--branches", "30", "--seed", "7"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    types = Counter(rec["type"] for rec in records)
    assert types["case.reported"] > 0 and types["case.escalated"] > 0
    assert types["problem.registered"] > 0 and types["intervention.started"] > 0
    measures = {rec["measure"] for rec in records if rec["type"] == "intervention.started"}
    assert {"first_secretary", "work_team", "street_leader", "work_group"} <= measures
    ladder = [
        r for r in records if r["type"] == "weakness.designated" and r["id"].startswith("ladder-")
    ]
    assert len(ladder) == 1
