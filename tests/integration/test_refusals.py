"""What an import refuses (interchange.md), on SQLite and PostgreSQL.

Structural refusals that need the branch's kind, ledger refusals, the refusal line format of
``fivestar import`` and its exit code, and that a refused line changes nothing while the lines
after it are still applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import FiveStar, UnknownBranch
from tests.support.builders import ALL_COMMUNITY, ALL_VILLAGE, community, rec, village

REFUSAL_LINE = re.compile(r"^line (\d+): (\S+): (.+)$")
WriteLedger = Callable[..., Path]

# A record expected refused carries ``"expect": "<reason prefix>"`` and the field the reason
# must name as ``"names": "<field>"``; the key is stripped before the line is written.


def refused(record: dict[str, Any], prefix: str, names: str) -> dict[str, Any]:
    return {**record, "expect": prefix, "names": names}


def run(
    service: FiveStar, write_ledger: WriteLedger, records: list[dict[str, Any]]
) -> tuple[list[tuple[int, str, str]], list[dict[str, Any]]]:
    """Import ``records`` and check each refusal is the expected one, with its reason."""
    lines = [{k: v for k, v in r.items() if k not in ("expect", "names")} for r in records]
    report = service.import_file(write_ledger(lines), "test:refusals")
    expected = {
        (n, r["id"]): (r["expect"], r["names"]) for n, r in enumerate(records, 1) if "expect" in r
    }
    got = {(line, rid): reason for line, rid, reason in report.refused}
    assert set(got) == set(expected), "\n".join(f"{k}: {v}" for k, v in sorted(got.items()))
    for key, reason in got.items():
        prefix, field = expected[key]
        assert reason.startswith(prefix), (key, reason)
        assert re.search(rf"\b{re.escape(field)}\b", reason), (key, field, reason)
    assert report.applied == len(records) - len(expected)
    return report.refused, lines


def ids_in(service: FiveStar, code: str) -> list[str]:
    try:
        return [e.record.get("id", "") for e in service.history(code)]
    except UnknownBranch:
        return []


def applied_ids(lines: list[dict[str, Any]], refusals: list[tuple[int, str, str]], code: str):
    refused_lines = {line for line, _, _ in refusals}
    return [
        r["id"] for n, r in enumerate(lines, 1) if r["branch"] == code and n not in refused_lines
    ]


# ------------------------------------------------------------ structural, with the kind
def test_star_lists_are_checked_against_the_branch_kind(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    def declared(code: str, stars: list[str]) -> dict[str, Any]:
        return rec("rating.declared", code, "2024-12-20", year=2024, stars=stars)

    s = "structural:"
    records = [
        village("V1"),
        community("C1"),
        refused(declared("V1", ["co_build_share"]), s, "co_build_share"),
        refused(declared("C1", ["industry_thriving"]), s, "industry_thriving"),
        refused(declared("C1", ["civility_happiness", "co_build_share"]), s, "civility_happiness"),
        refused(declared("V1", ["gold_star"]), s, "gold_star"),
        refused(declared("V1", []), s, "stars"),
        refused(declared("C1", []), s, "stars"),
        refused(declared("V1", ["industry_thriving", "industry_thriving"]), s, "stars"),
        refused(
            declared("C1", ["co_build_share", "happiness_harmony", "co_build_share"]), s, "stars"
        ),
        refused(declared("V1", ["branch_strong"]), s, "stars"),
        refused(declared("V1", ALL_VILLAGE[:4]), s, "stars"),
        refused(declared("C1", ALL_COMMUNITY[:4]), s, "stars"),
        refused(declared("V1", [*ALL_VILLAGE, "branch_strong"]), s, "stars"),
        # the star checks come before the workflow's for every rating record
        refused(
            rec("rating.recommended", "V1", "2025-01-10", year=2024, stars=[], by="township"),
            s,
            "stars",
        ),
        refused(
            rec(
                "rating.recommended",
                "V1",
                "2025-01-10",
                year=2024,
                stars=["branch_strong", "industry_thriving"],
                by="township",
            ),
            s,
            "stars",
        ),
        refused(
            rec(
                "rating.awarded",
                "C1",
                "2025-01-10",
                year=2024,
                stars=["co_build_share", "co_build_share"],
                by="county",
            ),
            s,
            "stars",
        ),
        refused(
            rec(
                "rating.awarded",
                "C1",
                "2025-01-10",
                year=2024,
                stars=["ecology_livable"],
                by="county",
            ),
            s,
            "ecology_livable",
        ),
        # accepted: all five with branch_strong, and subsets without it, in any order
        declared("V1", ALL_VILLAGE),
        declared("C1", list(reversed(ALL_COMMUNITY))),
        declared("V1", ["civility_happiness", "industry_thriving"]),
        declared("C1", ["employment_business"]),
    ]
    refusals, lines = run(service, write_ledger, records)
    for code in ("V1", "C1"):
        assert ids_in(service, code) == applied_ids(lines, refusals, code)


def test_identifiers_not_rated_for_the_kind_are_refused(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    s = "structural:"

    def incident(code: str, category: str) -> dict[str, Any]:
        return rec("incident.recorded", code, "2024-05-01", category=category)

    def attested(code: str, criterion: str) -> dict[str, Any]:
        by = "乡镇党委"
        return rec(
            "criterion.attested",
            code,
            "2024-11-15",
            year=2024,
            criterion=criterion,
            met=True,
            by=by,
        )

    def designation(type_: str, code: str, name: str) -> dict[str, Any]:
        return rec(type_, code, "2024-11-01", year=2024, designation=name)

    def metric(code: str, name: str, value: float = 0.5) -> dict[str, Any]:
        return rec("metric.reported", code, "2024-12-20", year=2024, metric=name, value=value)

    metrics = [
        "collective_income",
        "per_capita_income",
        "sanitary_toilet_ratio",
        "medical_insurance_rate",
        "pension_insurance_rate",
    ]
    records = [
        village("V1"),
        community("C1"),
        # a village
        refused(incident("V1", "illegal_construction"), s, "category"),
        refused(incident("V1", "property_dispute"), s, "category"),
        refused(incident("V1", "no_such_category"), s, "category"),
        refused(designation("designation.granted", "V1", "full_employment"), s, "designation"),
        refused(designation("designation.revoked", "V1", "full_employment"), s, "designation"),
        refused(designation("designation.granted", "V1", "civilised_village"), s, "designation"),
        refused(attested("V1", "consultation_method"), s, "criterion"),
        refused(attested("V1", "no_such_criterion"), s, "criterion"),
        refused(metric("V1", "gdp"), s, "metric"),
        incident("V1", "member_violation"),
        incident("V1", "high_bride_price"),
        attested("V1", "org_tasks_complete"),
        attested("V1", "village_clean"),
        designation("designation.granted", "V1", "three_zero"),
        designation("designation.revoked", "V1", "epidemic_free"),
        *[metric("V1", m) for m in metrics],
        # a community: no metric at all
        *[refused(metric("C1", m), s, "metric") for m in metrics],
        refused(incident("C1", "high_bride_price"), s, "category"),
        refused(incident("C1", "farmland_occupation"), s, "category"),
        refused(attested("C1", "one_village_one_product"), s, "criterion"),
        refused(attested("C1", "village_clean"), s, "criterion"),
        incident("C1", "member_violation"),
        incident("C1", "illegal_construction"),
        attested("C1", "org_tasks_complete"),
        attested("C1", "owners_committee"),
        designation("designation.granted", "C1", "full_employment"),
        designation("designation.revoked", "C1", "full_employment"),
        designation("designation.granted", "C1", "three_zero"),
    ]
    refusals, lines = run(service, write_ledger, records)
    for code in ("V1", "C1"):
        assert ids_in(service, code) == applied_ids(lines, refusals, code)


# --------------------------------------------------------------------- ledger refusals
def test_records_for_an_unregistered_branch_are_refused(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    records = [
        village("V1"),
        refused(rec("meeting.held", "V9", "2024-01-05", kind="theme_day"), "ledger:", "V9"),
        refused(rec("incident.recorded", "v1", "2024-01-05", category="gambling"), "ledger:", "v1"),
        # even a kind-dependent record is refused by the ledger first: there is no kind
        refused(
            rec("metric.reported", "C9", "2024-12-20", year=2024, metric="gdp", value=1),
            "ledger:",
            "C9",
        ),
        rec("meeting.held", "V1", "2024-01-05", kind="theme_day"),
        village("V9"),
        rec("meeting.held", "V9", "2024-02-05", kind="theme_day"),
    ]
    refusals, lines = run(service, write_ledger, records)
    for code in ("V1", "V9"):
        assert ids_in(service, code) == applied_ids(lines, refusals, code)
    for code in ("v1", "C9"):
        with pytest.raises(UnknownBranch):
            service.history(code)


def test_a_second_registration_is_refused(service: FiveStar, write_ledger: WriteLedger) -> None:
    first = village("V1")
    again = {**first, "id": "reg-again"}
    as_community = {**community("V1"), "id": "reg-community"}
    records = [
        first,
        refused(again, "ledger:", "V1"),
        refused(as_community, "ledger:", "V1"),
        # the branch is still a village: a community-only category stays refused
        refused(
            rec("incident.recorded", "V1", "2024-03-01", category="illegal_construction"),
            "structural:",
            "category",
        ),
        rec("incident.recorded", "V1", "2024-03-01", category="high_bride_price"),
    ]
    refusals, lines = run(service, write_ledger, records)
    history = service.history("V1")
    assert [e.record["id"] for e in history] == applied_ids(lines, refusals, "V1")
    assert history[0].record["kind"] == "village"
    assert [e.record["type"] for e in history].count("branch.registered") == 1


def test_an_id_reused_with_other_content_is_refused(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    reg = village("V1")
    meeting = rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="m-1")
    records = [
        reg,
        village("V2"),
        meeting,
        refused({**meeting, "kind": "org_life"}, "ledger:", "m-1"),
        refused({**meeting, "on": "2024-01-06"}, "ledger:", "m-1"),
        refused(
            rec("plan.set", "V1", "2024-01-05", year=2024, target=1, id="m-1"), "ledger:", "m-1"
        ),
        # the registration's id is taken too
        refused({**meeting, "id": reg["id"]}, "ledger:", reg["id"]),
        # (branch, id) is the key: the same id in another branch is another record
        {**meeting, "branch": "V2", "kind": "org_life"},
    ]
    refusals, lines = run(service, write_ledger, records)
    assert service.history("V1")[1].record == meeting
    assert service.history("V2")[1].record["kind"] == "org_life"
    assert ids_in(service, "V1") == applied_ids(lines, refusals, "V1")


def test_retractions_must_name_an_unretracted_incident_of_the_branch(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    def retract(code: str, ref: str, rid: str | None = None) -> dict[str, Any]:
        return rec("incident.retracted", code, "2024-06-01", ref=ref, reason="误报", id=rid)

    records = [
        village("V1"),
        community("C1"),
        rec("incident.recorded", "V1", "2024-05-01", category="gambling", id="inc-1"),
        rec("meeting.held", "V1", "2024-05-02", kind="theme_day", id="meet-1"),
        rec("incident.recorded", "C1", "2024-05-01", category="gambling", id="inc-c"),
        refused(retract("V1", "meet-1"), "ledger:", "ref"),  # not an incident
        refused(retract("V1", "nothing-1"), "ledger:", "ref"),  # unknown ref
        refused(retract("V1", "inc-c"), "ledger:", "ref"),  # another branch's incident
        retract("V1", "inc-1", "ret-1"),
        refused(retract("V1", "inc-1"), "ledger:", "ref"),  # already retracted
        refused(retract("V1", "ret-1"), "ledger:", "ref"),  # a retraction is no incident
        retract("C1", "inc-c"),
    ]
    refusals, lines = run(service, write_ledger, records)
    for code in ("V1", "C1"):
        assert ids_in(service, code) == applied_ids(lines, refusals, code)
    already = next(reason for line, _, reason in refusals if line == 10)
    assert "inc-1" in already


def test_weak_and_lax_spells_are_well_formed(service: FiveStar, write_ledger: WriteLedger) -> None:
    def designate(on: str) -> dict[str, Any]:
        return rec("weakness.designated", "V1", on, reason="软弱涣散")

    def lift(on: str) -> dict[str, Any]:
        return rec("weakness.lifted", "V1", on)

    records = [
        village("V1"),
        refused(lift("2023-01-10"), "ledger:", "weakness.lifted"),  # none open
        designate("2023-03-01"),
        refused(designate("2023-05-01"), "ledger:", "weakness.designated"),  # one is open
        refused(designate("2022-01-01"), "ledger:", "weakness.designated"),
        refused(lift("2023-02-28"), "ledger:", "on"),  # before the designation
        lift("2023-03-01"),  # the same day is fine
        refused(lift("2023-09-01"), "ledger:", "weakness.lifted"),  # none open any more
        designate("2024-01-01"),
        lift("2024-12-31"),
    ]
    refusals, lines = run(service, write_ledger, records)
    assert ids_in(service, "V1") == applied_ids(lines, refusals, "V1")


# ----------------------------------------------------------- the command's contract
def test_refusal_lines_name_the_line_the_id_and_the_reason(
    cli: Callable[..., Any], write_ledger: WriteLedger, tmp_path: Path
) -> None:
    reg = village("V1")
    meeting = rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="m-ok")
    lines = [
        json_line(reg),  # 1
        "",  # 2: blank lines are skipped but still counted
        "[1, 2, 3]",  # 3: not an object, no id
        json_line({**meeting, "id": "bad id"}),  # 4: an id outside the character set
        json_line(rec("meeting.held", "V7", "2024-01-05", kind="theme_day", id="m-v7")),  # 5
        json_line(meeting),  # 6
        '{"id": "m-cut", "type": "meeting.held", "branch": "V1", "on": "2024-0',  # 7: truncated
        json_line({**meeting, "id": "m-2", "colour": "red"}),  # 8
        "   ",  # 9: whitespace only is blank
        json_line({**meeting, "id": "m-3", "on": "2024-02-30"}),  # 10
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.code == 1
    out = result.out.splitlines()
    refusal_lines = [line for line in out if line.startswith("line ")]
    parsed = [REFUSAL_LINE.match(line) for line in refusal_lines]
    assert all(parsed), refusal_lines
    assert [(int(m[1]), m[2]) for m in parsed if m] == [
        (3, "-"),
        (4, "-"),
        (5, "m-v7"),
        (7, "-"),
        (8, "m-2"),
        (10, "m-3"),
    ]
    reasons = {int(m[1]): m[3] for m in parsed if m}
    assert "V7" in reasons[5]
    assert "colour" in reasons[8]
    assert re.search(r"\bon\b", reasons[10])
    # then a summary, after the refusals
    assert not out[-1].startswith("line ")
    assert re.search(r"\b6 refused\b", out[-1]), out[-1]
    assert re.search(r"\b2 applied\b", out[-1]), out[-1]


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def test_exit_code_is_0_without_refusals_and_1_with_any(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    reg = village("V1")
    good = write_ledger([reg, rec("meeting.held", "V1", "2024-01-05", kind="theme_day")])
    first = cli("import", str(good))
    assert first.code == 0, first.out
    assert not [line for line in first.out.splitlines() if line.startswith("line ")]
    # duplicates are not refusals
    again = cli("import", str(good))
    assert again.code == 0, again.out
    one_bad = write_ledger(
        [
            rec("meeting.held", "V1", "2024-01-06", kind="theme_day"),
            rec("meeting.held", "V1", "2024-01-06", kind="nap"),
        ]
    )
    bad = cli("import", str(one_bad))
    assert bad.code == 1
    assert len([line for line in bad.out.splitlines() if line.startswith("line 2: ")]) == 1


def test_an_import_of_a_missing_file_is_a_usage_error(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    result = cli("import", str(tmp_path / "no-such.jsonl"))
    assert result.code == 2
    assert "no-such.jsonl" in result.err


def test_a_refused_line_changes_nothing_and_later_lines_still_apply(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    records = [
        village("V1"),
        rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="a"),
        refused(
            rec("incident.recorded", "V1", "2024-02-01", category="illegal_construction", id="b"),
            "structural:",
            "category",
        ),
        refused(rec("meeting.held", "V2", "2024-02-01", kind="theme_day", id="c"), "ledger:", "V2"),
        refused(
            rec("incident.retracted", "V1", "2024-02-02", ref="b", reason="x", id="d"),
            "ledger:",
            "ref",
        ),
        # "b" was refused, so it is not in the ledger: the id is free, no clash
        rec("incident.recorded", "V1", "2024-02-01", category="gambling", id="b"),
        rec("incident.retracted", "V1", "2024-02-03", ref="b", reason="x", id="d2"),
        rec("meeting.held", "V1", "2024-03-05", kind="theme_day", id="e"),
    ]
    run(service, write_ledger, records)
    history = service.history("V1")
    assert [e.record["id"] for e in history] == [records[0]["id"], "a", "b", "d2", "e"]
    assert history[2].record["category"] == "gambling"
    with pytest.raises(UnknownBranch):
        service.history("V2")
    # nothing else reached the store: positions are exactly the five accepted records
    assert service.ledger.recorder.max_notification_id() == history[-1].position
    assert len({e.position for e in history}) == 5
