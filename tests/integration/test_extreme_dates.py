"""Business dates at the ends of the calendar (SQLite and PostgreSQL).

Only a date that does not exist is refused (interchange.md), so a record dated 0001-01-01 or
9999-12-31 is accepted. Accepted records must never stop the read models nor crash a read:
a honour window reaching before year 1, an intervention term or a failure day past
9999-12-31 are cut at the ends of the calendar instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from domain.application import case_reads
from domain.application.service import FiveStar, rebuild_views
from domain.model.ladder import ladder_json
from tests.support.builders import community, rec, village

WriteLedger = Callable[..., Path]


def _eligible(service: FiveStar, year: int) -> dict[str, list[str]]:
    return {e.branch: list(e.eligible) for e in service.eligibility(year)}


def test_records_dated_in_the_first_years_of_the_calendar_keep_the_read_models_running(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    # given a village with a meeting dated 0001-01-01 and an honour dated 0002-07-01
    lines: list[dict[str, Any]] = [
        village("V1"),
        rec("meeting.held", "V1", "0001-01-01", kind="theme_day"),
        rec(
            "honor.granted",
            "V1",
            "0002-07-01",
            kind="two_excellent_one_advanced",
            level="county",
            recipient="branch",
            title="先进基层党组织",
        ),
    ]
    # when the ledger is imported
    report = service.import_file(write_ledger(lines), "test")
    # then every record is accepted and the read models reach the ledger's head
    assert report.ok, report.refused
    assert service.position() == service.head() == 3
    # and the years of those records are judged like any other (the honour counts in year 2)
    honour = next(
        c
        for e in service.eligibility(2, branch="V1")
        for c in e.criteria
        if c.criterion == "honour_within_three_years"
    )
    assert honour.met and honour.evidence == [lines[2]["id"]]
    assert _eligible(service, 1) == {"V1": []}
    # and the replay as of the ledger's head and a rebuild give the same answers
    before = [e.criteria for e in service.eligibility(2, branch="V1")]
    assert [e.criteria for e in service.eligibility(2, branch="V1", position=3)] == before
    rebuild_views(service)
    assert [e.criteria for e in service.eligibility(2, branch="V1")] == before


def test_interventions_whose_term_ends_after_9999_are_judged_without_a_crash(
    service: FiveStar, write_ledger: WriteLedger
) -> None:
    # given a village reorganised from 9999-06-01 (a five-year term) and a community whose
    # street leader started on 9999-10-01 (a term past the calendar's end), both with a
    # problem open
    lines = [
        village("V1"),
        community("C1"),
        rec(
            "problem.registered",
            "V1",
            "9999-06-01",
            problem="p1",
            area="branch_strong",
            summary="x",
            deadline="9999-06-30",
        ),
        rec(
            "intervention.started",
            "V1",
            "9999-06-01",
            intervention="i1",
            measure="reorganisation",
            people=["a", "b", "c"],
        ),
        rec(
            "problem.registered",
            "C1",
            "9999-01-01",
            problem="p1",
            area="co_build_share",
            summary="x",
            deadline="9999-01-31",
        ),
        rec(
            "intervention.started",
            "C1",
            "9999-10-01",
            intervention="i1",
            measure="street_leader",
            people=["a"],
        ),
    ]
    report = service.import_file(write_ledger(lines), "test")
    assert report.ok, report.refused
    # when the ladder is judged on the calendar's last day
    judged: dict[str, Any] = {
        r.branch: ladder_json(r) for r in case_reads.judged_ladder(service, date(9999, 12, 31))
    }
    # then the terms end on the last day of the calendar, and nothing has failed yet
    assert judged["V1"]["active"]["until"] == "9999-12-31"
    assert judged["C1"]["active"]["until"] == "9999-12-31"
    assert judged["V1"]["required"] == "first_secretary"  # 1 overdue area: no failure counts
    assert not any("failed" in reason for o in judged.values() for reason in o["reasons"])
