"""``fivestar history B``: the branch's audit trail in ledger order, cut by position or time.

On SQLite and PostgreSQL, through the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import FiveStar
from domain.application.settings import Settings
from tests.support.builders import community, rec, village
from tests.support.cli import table_body

WriteLedger = Callable[..., Path]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def interleaved() -> list[dict[str, Any]]:
    """Two branches whose records alternate, so one branch's positions have gaps."""
    out = [village("V1"), community("C1")]
    for month in range(1, 5):
        out.append(rec("meeting.held", "V1", f"2024-{month:02d}-05", kind="theme_day"))
        out.append(rec("meeting.held", "C1", f"2024-{month:02d}-05", kind="party_lesson"))
    out.append(rec("member.developed", "V1", "2024-06-01", person="新党员"))  # default filled
    out.append(
        rec("metric.reported", "V1", "2024-12-20", year=2024, metric="collective_income", value=7)
    )
    return out


@pytest.fixture
def imported(
    cli: Callable[..., Any], write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    monkeypatch.setenv("LOGNAME", "clerk7")
    records = interleaved()
    assert cli("import", str(write_ledger(records))).code == 0
    return records


def history(cli: Callable[..., Any], *args: str) -> list[dict[str, Any]]:
    result = cli("history", *args, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_history_lists_the_branch_records_in_ledger_order(
    cli: Callable[..., Any], imported: list[dict[str, Any]]
) -> None:
    entries = history(cli, "V1")
    assert [set(e) for e in entries] == [{"position", "recorded_at", "recorder", "record"}] * len(
        entries
    )
    want = [r for r in imported if r["branch"] == "V1"]
    want[-2] = {**want[-2], "wealth_leader": False}  # defaults filled in
    want[-1] = {**want[-1], "value": 7.0}
    assert [e["record"] for e in entries] == want
    positions = [e["position"] for e in entries]
    assert positions == sorted(set(positions))
    assert all(isinstance(p, int) for p in positions)
    # interleaved with C1: V1's positions are not consecutive
    c1 = [e["position"] for e in history(cli, "C1")]
    assert set(positions).isdisjoint(c1)
    assert sorted(positions + c1) == list(range(1, len(imported) + 1))
    assert {e["recorder"] for e in entries} == {"cli:clerk7"}
    times = [parse_time(e["recorded_at"]) for e in entries]
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times)
    assert times == sorted(set(times))
    assert abs(datetime.now(UTC) - times[-1]) < timedelta(minutes=5)


def test_position_cuts_the_history_inclusively(
    cli: Callable[..., Any], imported: list[dict[str, Any]]
) -> None:
    full = history(cli, "V1")
    own = {e["position"] for e in full}
    others = 0
    for k, entry in enumerate(full):
        assert history(cli, "V1", "--position", str(entry["position"])) == full[: k + 1]
        if entry["position"] + 1 not in own:  # a position of a C1 record, just after
            others += 1
            assert history(cli, "V1", "--position", str(entry["position"] + 1)) == full[: k + 1]
    assert others >= 4
    assert history(cli, "V1", "--position", "0") == []
    assert history(cli, "V1", "--position", "1000000") == full


def test_as_of_cuts_the_history_inclusively(
    cli: Callable[..., Any], imported: list[dict[str, Any]]
) -> None:
    full = history(cli, "V1")
    for k, entry in enumerate(full):
        at = parse_time(entry["recorded_at"])
        assert history(cli, "V1", "--as-of", at.isoformat()) == full[: k + 1]
        just_before = at - timedelta(microseconds=1)
        assert history(cli, "V1", "--as-of", just_before.isoformat()) == full[:k]
    # no zone means UTC; another zone is converted
    at = parse_time(full[2]["recorded_at"])
    naive = at.replace(tzinfo=None).isoformat()
    beijing = at.astimezone(timezone(timedelta(hours=8))).isoformat()
    new_york = at.astimezone(timezone(timedelta(hours=-5))).isoformat()
    shifted = (at + timedelta(hours=8)).replace(tzinfo=None).isoformat() + "+08:00"
    for text in (naive, beijing, new_york, shifted):
        assert history(cli, "V1", "--as-of", text) == full[:3], text
    assert history(cli, "V1", "--as-of", "2000-01-01") == []


def test_recording_times_strictly_increase_through_the_whole_ledger(
    db: str, service: FiveStar, write_ledger: WriteLedger
) -> None:
    """Even when the clock stands still or goes back between imports and processes."""
    frozen = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
    clock = {"now": frozen}
    settings = Settings(clock=lambda: clock["now"])

    def load(records: list[dict[str, Any]]) -> None:
        with FiveStar(db, settings) as process:  # each import in a process of its own
            assert process.import_file(write_ledger(records), "test").ok

    first = [village("V1"), community("C1")]
    first += [rec("meeting.held", c, "2024-01-05", kind="theme_day") for c in ("V1", "C1") * 5]
    load(first)
    clock["now"] = frozen - timedelta(hours=1)  # the clock is set back
    second = [rec("meeting.held", c, "2024-02-05", kind="theme_day") for c in ("C1", "V1") * 5]
    load(second)
    clock["now"] = frozen + timedelta(days=1)
    third = [rec("meeting.held", "V1", "2024-03-05", kind="org_life")]
    load(third)

    entries = sorted(
        (e for code in ("V1", "C1") for e in service.history(code)), key=lambda e: e.position
    )
    assert len(entries) == len(first) + len(second) + len(third)
    times = [e.recorded_at for e in entries]
    assert all(a < b for a, b in pairwise(times)), times
    assert times[0] == frozen
    assert times[-1] == frozen + timedelta(days=1)


def test_an_unknown_branch_is_a_clear_usage_error(
    cli: Callable[..., Any], imported: list[dict[str, Any]]
) -> None:
    for args in (("V404",), ("V404", "--json"), ("v1", "--json")):
        result = cli("history", *args)
        assert result.code == 2
        assert result.out == ""
        assert args[0] in result.err
        assert "unknown branch" in result.err.lower()


def test_an_unknown_branch_in_an_empty_store_is_a_usage_error(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    assert cli("import", str(write_ledger([]))).code == 0  # creates the store, records nothing
    result = cli("history", "V1", "--json")
    assert result.code == 2
    assert "V1" in result.err


def test_the_readable_form_prints_one_line_per_record(
    cli: Callable[..., Any], imported: list[dict[str, Any]]
) -> None:
    full = history(cli, "V1")
    result = cli("history", "V1")
    assert result.code == 0
    lines = table_body(result.out)
    assert len(lines) == len(full)
    assert result.out.splitlines()[0].split()[:2] == ["位置", "position"]
    assert result.out.splitlines()[-1].startswith(f"{len(full)} records of V1")
    for line, entry in zip(lines, full, strict=True):
        record = entry["record"]
        assert re.match(rf"\s*{entry['position']}\b", line), line
        assert record["id"] in line.split()
        assert record["type"] in line.split()
        assert "cli:clerk7" in line
    cut = cli("history", "V1", "--position", str(full[1]["position"]))
    assert len(table_body(cut.out)) == 2


def test_the_readable_form_keeps_a_multi_line_note_on_one_line(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    """Regression: string fields were printed raw, a newline split the record's line."""
    records = [
        village("V1"),
        rec("incident.recorded", "V1", "2024-05-01", category="gambling", note="第一行\n第二行"),
    ]
    assert cli("import", str(write_ledger(records))).code == 0
    result = cli("history", "V1")
    lines = table_body(result.out)
    assert len(lines) == 2
    assert "第一行" in lines[1] and "第二行" in lines[1]


def test_an_import_reads_the_clock_once_per_sixty_four_records(
    db: str, service: FiveStar, write_ledger: WriteLedger
) -> None:
    """Reading the wall clock was a fiftieth of an import's decisions: it is read for every
    64th record of a batch, and the records between take a microsecond more each, so the
    recording times still strictly increase and stay within 63 microseconds of the last reading."""
    readings: list[datetime] = []
    start = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)

    def clock() -> datetime:
        readings.append(start + timedelta(seconds=len(readings)))
        return readings[-1]

    records = [village("V1")]
    records += [rec("meeting.held", "V1", "2024-01-05", kind="theme_day") for _ in range(199)]
    with FiveStar(db, Settings(clock=clock)) as process:
        assert process.import_file(write_ledger(records), "test").ok
    times = [e.recorded_at for e in service.history("V1")]
    assert len(times) == 200
    assert all(a < b for a, b in pairwise(times)), times
    assert len(readings) <= 200 // 64 + 2
    for i, t in enumerate(times):  # 63 microseconds at most after the reading before it
        assert readings[i // 64] <= t <= readings[i // 64] + timedelta(microseconds=63)
    assert times[64] == readings[1] and times[65] == readings[1] + timedelta(microseconds=1)
