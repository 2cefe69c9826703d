"""``(branch, id)`` is the idempotency key (interchange.md "Identity and repetition").

Same content is a no-op (``duplicate``), other content is refused; importing a file again
adds nothing the first import added and applies only what it refused and has since become
valid. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import FiveStar, HistoryEntry
from tests.support.builders import (
    ALL_VILLAGE,
    chain,
    community,
    five_star_community_year,
    five_star_village_year,
    org_life_year,
    rec,
    village,
)

WriteLedger = Callable[..., Path]


def full_history(service: FiveStar, codes: list[str]) -> dict[str, list[HistoryEntry]]:
    """Everything ``history`` shows: positions, recording times, recorders and records."""
    return {code: service.history(code) for code in codes}


def respell(record: dict[str, Any], number: str) -> str:
    """The record with its ``value`` written as the JSON number ``number``."""
    text = json.dumps({**record, "value": "@"})
    return text.replace('"@"', number)


def write_raw(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------ same content
def test_same_id_and_same_content_is_a_duplicate_in_any_spelling(
    service: FiveStar, tmp_path: Path
) -> None:
    reg = village("V1")
    # defaults omitted in the first file, given in the second ...
    member = rec("member.developed", "V1", "2024-03-01", person="王五", id="mem-1")
    incident = rec("incident.recorded", "V1", "2024-03-02", category="gambling", id="inc-1")
    weak = rec("weakness.designated", "V1", "2024-03-03", id="weak-1")
    # ... and given in the first, omitted in the second
    member2 = rec(
        "member.developed", "V1", "2024-03-04", person="赵六", wealth_leader=False, id="mem-2"
    )
    incident2 = rec(
        "incident.recorded", "V1", "2024-03-05", category="gambling", note="", id="inc-2"
    )
    lift = rec("weakness.lifted", "V1", "2024-04-01", reason="", id="lift-1")
    metric = rec(
        "metric.reported",
        "V1",
        "2024-12-20",
        year=2024,
        metric="collective_income",
        value=1,
        id="met-1",
    )
    ratio = rec(
        "metric.reported",
        "V1",
        "2024-12-20",
        year=2024,
        metric="sanitary_toilet_ratio",
        value=0.5,
        id="met-2",
    )
    first = [reg, member, incident, weak, member2, incident2, lift, metric, ratio]
    path1 = write_raw(tmp_path, "first.jsonl", [json.dumps(r, ensure_ascii=False) for r in first])
    report = service.import_file(path1, "test:first")
    assert (report.applied, report.refused) == (len(first), [])
    before = full_history(service, ["V1"])

    def spelled(record: dict[str, Any], **changes: Any) -> str:
        """Other key order, ASCII escapes, other whitespace, and ``changes``."""
        out = dict(reversed(list({**record, **changes}.items())))
        for key, value in changes.items():
            if value is None:
                out.pop(key)
        return json.dumps(out, ensure_ascii=True, indent=None, separators=(" ,", " :  "))

    second = [
        spelled(reg),
        spelled(member, wealth_leader=False),
        spelled(incident, note=""),
        spelled(weak, reason=""),
        spelled(member2, wealth_leader=None),
        spelled(incident2, note=None),
        spelled(lift, reason=None),
        spelled(metric, value=1.0),
        *[respell(metric, number) for number in ("1.000", "1e0", "10E-1", "1.0e+0")],
        respell(ratio, "5e-1"),
        respell(ratio, "0.50"),
    ]
    assert '"value" :  1.0' in second[7]
    report = service.import_file(write_raw(tmp_path, "second.jsonl", second), "test:second")
    assert report.refused == []
    assert (report.applied, report.duplicates) == (0, len(second))
    assert full_history(service, ["V1"]) == before


def test_an_exact_repeat_within_one_file_is_a_duplicate(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    meeting = rec("meeting.held", "V1", "2024-01-05", kind="theme_day")
    report = service.import_file(
        write_ledger([village("V1"), meeting, meeting, {**meeting, "kind": "theme_day"}]), "t"
    )
    assert (report.applied, report.duplicates, report.refused) == (2, 2, [])
    assert [e.record["id"] for e in service.history("V1")].count(meeting["id"]) == 1


def test_minus_zero_equals_zero_by_value(service: FiveStar, tmp_path: Path) -> None:
    """Regression: the content digest once kept the sign of -0.0."""
    metric = rec(
        "metric.reported", "V1", "2024-12-20", year=2024, metric="collective_income", value=0
    )
    lines = [json.dumps(village("V1")), json.dumps(metric), json.dumps({**metric, "value": -0.0})]
    report = service.import_file(write_raw(tmp_path, "zero.jsonl", lines), "t")
    assert report.refused == []
    assert report.duplicates == 1


# ----------------------------------------------------------------------- other content
@pytest.mark.parametrize(
    ("original", "changed"),
    [
        (
            rec("member.developed", "V1", "2024-03-01", person="王五", id="x"),
            {"wealth_leader": True},
        ),
        (
            rec("incident.recorded", "V1", "2024-03-01", category="gambling", id="x"),
            {"note": "另有说明"},
        ),
        (
            rec("incident.recorded", "V1", "2024-03-01", category="gambling", id="x"),
            {"category": "telecom_fraud"},
        ),
        (
            rec("weakness.designated", "V1", "2024-03-01", id="x"),
            {"reason": "班子不团结"},
        ),
        (
            rec(
                "metric.reported",
                "V1",
                "2024-12-20",
                year=2024,
                metric="collective_income",
                value=1,
                id="x",
            ),
            {"value": 1.0000001},
        ),
        (
            rec(
                "metric.reported",
                "V1",
                "2024-12-20",
                year=2024,
                metric="collective_income",
                value=1,
                id="x",
            ),
            {"year": 2023},
        ),
        (rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="x"), {"on": "2024-01-06"}),
        (rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="x"), {"kind": "org_life"}),
        (
            rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="x"),
            {"type": "weakness.designated", "kind": None},
        ),
    ],
    ids=[
        "wealth_leader",
        "note",
        "category",
        "reason",
        "value",
        "year",
        "on",
        "kind",
        "type",
    ],
)
def test_same_id_with_other_content_is_refused_and_changes_nothing(
    service: FiveStar, write_ledger: WriteLedger, original: dict[str, Any], changed: dict[str, Any]
) -> None:
    first = service.import_file(write_ledger([village("V1"), original]), "t")
    assert first.refused == []
    before = full_history(service, ["V1"])
    other = {k: v for k, v in {**original, **changed}.items() if v is not None}
    second = service.import_file(write_ledger([other]), "t")
    assert second.applied == 0
    assert [(line, rid) for line, rid, _ in second.refused] == [(1, "x")]
    reason = second.refused[0][2]
    assert reason.startswith("ledger:")
    assert "x" in reason.split()
    assert full_history(service, ["V1"]) == before


def test_the_same_id_in_another_branch_is_another_record(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    records = [
        village("V1"),
        village("V2"),
        rec("meeting.held", "V1", "2024-01-05", kind="theme_day", id="m"),
        rec("meeting.held", "V2", "2024-01-05", kind="theme_day", id="m"),
    ]
    report = service.import_file(write_ledger(records), "t")
    assert (report.applied, report.duplicates) == (4, 0)
    assert service.history("V2")[-1].record["id"] == "m"


# ---------------------------------------------------------------- importing a file again
def small_ledger() -> list[dict[str, Any]]:
    """Two branches rated for 2023, with records refused for each kind of reason."""
    award_stars = ["co_build_share", "safety_rule_of_law", "happiness_harmony"]
    out = [village("V1"), community("C1")]
    out += five_star_village_year("V1", 2023) + org_life_year("V1", 2023)
    out += five_star_community_year("C1", 2023) + org_life_year("C1", 2023)
    out.append(rec("incident.recorded", "V1", "2023-04-01", category="gambling", id="inc-1"))
    out.append(rec("incident.retracted", "V1", "2023-04-09", ref="inc-1", reason="误报"))
    out += chain("V1", 2023, ALL_VILLAGE, "province")
    out += chain("C1", 2023, award_stars, "county")
    out += [
        rec("meeting.held", "V404", "2023-01-05", kind="theme_day"),  # unregistered
        rec("metric.reported", "C1", "2023-12-20", year=2023, metric="collective_income", value=1),
        rec("rating.awarded", "C1", "2024-02-01", year=2023, stars=award_stars, by="county"),
        rec("weakness.lifted", "V1", "2024-02-01"),
        out[5],  # a repeat: duplicate
    ]
    return out


def test_importing_the_same_file_twice_adds_nothing(
    db: str, service: FiveStar, write_ledger: WriteLedger
) -> None:
    path = write_ledger(small_ledger())
    first = service.import_file(path, "test:first")
    assert len(first.refused) == 4
    assert first.duplicates == 1
    before = full_history(service, ["V1", "C1"])
    top = service.ledger.recorder.max_notification_id()
    assert sum(len(v) for v in before.values()) == first.applied == top

    second = service.import_file(path, "test:second")
    assert second.applied == 0
    assert second.duplicates == first.applied + first.duplicates
    assert second.refused == first.refused  # tried again, refused again, same reasons
    assert full_history(service, ["V1", "C1"]) == before

    # and from a fresh process, whose branch states come from the store alone
    with FiveStar(db) as fresh:
        third = fresh.import_file(path, "test:third")
        assert (third.applied, third.refused) == (0, first.refused)
        assert full_history(fresh, ["V1", "C1"]) == before
        assert fresh.ledger.recorder.max_notification_id() == top


def test_a_second_import_applies_what_has_since_become_valid(
    cli: Callable[..., Any], service: FiveStar, write_ledger: WriteLedger
) -> None:
    reg1, reg2 = village("V1"), village("V2")
    retraction = rec("incident.retracted", "V1", "2024-05-02", ref="inc-1", reason="误报")
    early = rec("meeting.held", "V2", "2024-01-05", kind="theme_day")
    recommendation = rec(
        "rating.recommended",
        "V1",
        "2025-01-10",
        year=2024,
        stars=["ecology_livable"],
        by="township",
    )
    incident = rec("incident.recorded", "V1", "2024-05-01", category="gambling", id="inc-1")
    declaration = rec("rating.declared", "V1", "2024-12-20", year=2024, stars=["ecology_livable"])
    never = rec("incident.recorded", "V1", "2024-05-01", category="illegal_construction")
    path = write_ledger(
        [reg1, retraction, early, recommendation, incident, reg2, declaration, never]
    )

    first = cli("import", str(path))
    assert first.code == 1
    refused_lines = [
        line.split(":")[0] for line in first.out.splitlines() if line.startswith("line ")
    ]
    assert refused_lines == ["line 2", "line 3", "line 4", "line 8"]
    v1_before = [e.record["id"] for e in service.history("V1")]
    assert v1_before == [reg1["id"], incident["id"], declaration["id"]]

    second = cli("import", str(path))
    assert second.code == 1  # line 8 is still refused
    refused_lines = [
        line.split(":")[0] for line in second.out.splitlines() if line.startswith("line ")
    ]
    assert refused_lines == ["line 8"]
    v1 = service.history("V1")
    # applied after what the first import added: ledger order is the order of acceptance
    assert [e.record["id"] for e in v1] == [*v1_before, retraction["id"], recommendation["id"]]
    assert [e.record["id"] for e in service.history("V2")] == [reg2["id"], early["id"]]

    top = service.ledger.recorder.max_notification_id()
    third = cli("import", str(path))
    assert third.code == 1
    assert service.ledger.recorder.max_notification_id() == top


def test_a_fixed_file_imported_again_exits_0(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    reg = village("V1")
    retraction = rec("incident.retracted", "V1", "2024-05-02", ref="inc-1", reason="误报")
    incident = rec("incident.recorded", "V1", "2024-05-01", category="gambling", id="inc-1")
    path = write_ledger([reg, retraction, incident])
    assert cli("import", str(path)).code == 1
    again = cli("import", str(path))
    assert again.code == 0, again.out
    assert not [line for line in again.out.splitlines() if line.startswith("line ")]
