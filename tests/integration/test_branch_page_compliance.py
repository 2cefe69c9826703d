"""The branch page's compliance of a past year counts what mechanisms.md §2 counts for it,
on SQLite and PostgreSQL.

D is "the day up to which records count"; state checks are judged on S = min(D, Y-12-31)
whatever D is. Records for Y dated after Y-12-31 count for Y: the December linkage report given
at January's theme day, the facility report for Y filed in Y+1, the briefings of an ISO week
ending in Y+1. The page judged a past year on Y-12-31, so such a report never counted there
(public toilets reported for 2022 in January 2023: "missed" on the page, "met" from
``fivestar compliance --year 2022`` and ``GET /branches/V1/compliance/2022``), and periods
ending after Y-12-31 were never due (a village's ``linkage_monthly`` "pending" for good).
"""

from __future__ import annotations

from domain.application.service import FiveStar
from tests.support.builders import full_linkage, rec, village


def test_a_past_year_on_the_branch_page_counts_its_reports_filed_the_next_year(
    service: FiveStar,
) -> None:
    # given a village whose 2022 toilets (1800 people: 2 needed) and December linkage were
    # reported in January 2023
    records = [
        village("V1"),
        rec("facility.reported", "V1", "2023-01-10", id="wc", year=2022,
            facility="public_toilets", value=2),
        full_linkage("V1", "2023-01-05", "2022-12", id="dec"),
    ]  # fmt: skip
    assert all(o.status == "applied" for o in service.submit(records, "test"))
    service.catch_up()

    # when the branch page shows 2022
    page = {row["requirement"]: row for row in service.branch_compliance("V1", 2022)}

    # then it counts them, as the compliance command does with its default D (today)
    assert page["public_toilets"]["status"] == "met"
    assert page["linkage_monthly"]["held"] == 1
    assert page["linkage_monthly"]["due"] == 12
    [answer] = service.compliance(2022, service.today(), branch="V1")
    assert {q.requirement: (q.status, q.due, q.held) for q in answer.requirements} == {
        name: (row["status"], row["due"], row["held"]) for name, row in page.items()
    }


def test_a_past_year_s_case_closed_the_next_january_shows_closed_on_its_page(
    service: FiveStar,
) -> None:
    # given a village's dispute reported on 20 December 2022 and resolved on 3 January 2023
    records = [
        village("V1"),
        rec("case.reported", "V1", "2022-12-20", case="k1", category="dispute",
            occurred_on="2022-12-20"),
        rec("case.resolved", "V1", "2023-01-03", case="k1", outcome="调解成功"),
    ]  # fmt: skip
    assert all(o.status == "applied" for o in service.submit(records, "test"))
    service.catch_up()

    # when the branch page shows 2022
    [case] = service.branch_cases("V1", 2022)

    # then the case is as `fivestar cases` judges it today: resolved, not open and overdue
    assert case["state"] != "open" and case["overdue"] is False
    assert case["stages"][-1]["end"] is not None
