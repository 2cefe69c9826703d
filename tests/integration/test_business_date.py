"""One "today" everywhere: the default business date D of compliance, cases and the ladder is
the clock's date where the programme keeps its calendar (``business_utc_offset_hours``,
China Standard Time by default), on the command line, over HTTP and on the dashboard alike.
Before, compliance took the server's local date and cases and the ladder the UTC date, so
between 00:00 and 08:00 in Puyang they judged different days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.application.settings import Settings
from tests.conftest import CliResult
from tests.support.api import api_for
from tests.support.builders import village


def at(text: str) -> Callable[[], datetime]:
    return lambda: datetime.fromisoformat(text).astimezone(UTC)


def test_today_is_the_clock_s_date_at_the_programme_s_offset() -> None:
    # given the clock at 17:00 UTC on 31 December, which is 01:00 on 1 January in Puyang
    late = at("2026-12-31T17:00:00+00:00")
    # then the business date is already the new year's, unless the offset says otherwise
    assert Settings(clock=late).today() == date(2027, 1, 1)
    assert Settings(clock=late, business_utc_offset_hours=0).today() == date(2026, 12, 31)
    assert Settings(
        clock=at("2027-01-01T05:00:00+00:00"), business_utc_offset_hours=-12
    ).today() == (date(2026, 12, 31))


def expected_today(offset: int) -> set[date]:
    """The business date at ``offset`` now (and a moment later: a test may cross midnight)."""
    settings = Settings(business_utc_offset_hours=offset)
    return {settings.today()}


# offsets 26 hours apart always name two different dates
OFFSETS = [14, -12]


@pytest.mark.parametrize("offset", OFFSETS)
def test_every_command_judges_the_same_default_day(
    offset: int,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., CliResult],
    write_ledger: Callable[[list[dict[str, Any]]], Path],
) -> None:
    # given a village and the programme's calendar at an offset
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    monkeypatch.setenv("FIVESTAR_BUSINESS_UTC_OFFSET_HOURS", str(offset))
    before = expected_today(offset)
    # when compliance and the ladder are asked without --on
    compliance = cli("compliance", "--year", "2026", "--json")
    ladder = cli("ladder", "--json")
    # then both judged the business date at that offset
    days = before | expected_today(offset)
    assert compliance.code == 0 and ladder.code == 0
    assert date.fromisoformat(compliance.json()[0]["on"]) in days
    assert date.fromisoformat(ladder.json()[0]["on"]) in days


@pytest.mark.parametrize("offset", OFFSETS)
def test_every_endpoint_judges_the_same_default_day(
    offset: int, monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    # given the programme's calendar at an offset and a served ledger with one village
    monkeypatch.setenv("FIVESTAR_BUSINESS_UTC_OFFSET_HOURS", str(offset))
    before = expected_today(offset)
    for api in api_for(db):
        api.register()
        # when compliance and the ladder are asked without `on`
        compliance = api.get("/compliance", api.admin, year=2026)
        ladder = api.get("/ladder", api.admin)
        # then both judged the business date at that offset
        days = before | expected_today(offset)
        assert compliance.status_code == 200 and ladder.status_code == 200, ladder.text
        assert date.fromisoformat(compliance.json()[0]["on"]) in days
        assert date.fromisoformat(ladder.json()[0]["on"]) in days
