"""A linkage report's ``month`` outside the years interchange.md accepts (2000-2100) is refused
with the rule it breaks: the reason said "must be a month of the form YYYY-MM" for
``1999-12`` and ``2101-01``, which are of that form."""

from __future__ import annotations

import json

import pytest

from domain.model.records import RecordError, decode_record

LINKAGE = {"id": "l1", "type": "linkage.reported", "branch": "V1", "on": "2102-01-01",
           "households": 10, "households_linked": 10, "members": 3, "members_exempt": 0,
           "members_linking": 3, "members_contacting_weekly": 3}  # fmt: skip


@pytest.mark.parametrize("month", ["1999-12", "2101-01", "2024-13", "2024-00", "2024-1"])
def test_a_month_outside_the_years_or_the_form_names_both_rules(month: str) -> None:
    with pytest.raises(RecordError) as caught:
        decode_record(json.dumps({**LINKAGE, "month": month}))
    reason = str(caught.value)
    assert "month:" in reason and "YYYY-MM" in reason and "2000-2100" in reason


@pytest.mark.parametrize("month", ["2000-01", "2100-12"])
def test_the_first_and_last_months_are_accepted(month: str) -> None:
    assert decode_record(json.dumps({**LINKAGE, "month": month})).month == month
