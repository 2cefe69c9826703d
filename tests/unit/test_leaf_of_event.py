"""The write path's leaf of an event, computed from the event it decided, is byte for byte the
leaf ``entry_of`` gives the stored event (what rebuild, verify and the feed hash): over every
record type, an award with and without its basis, and values whose JSON is delicate."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from domain.application.ledger_tree import entry_of, entry_of_event, leaf_rows
from domain.application.mapper import stored_with_leaf
from domain.model import merkle
from domain.model import records as r
from domain.model.events import EVENT_FOR_RECORD, branch_stream_id

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("*.jsonl"))
GENERATOR = ROOT / "scripts" / "generate_ledger.py"

# The types neither the fixtures nor the generator may hold, and values whose encoding could
# differ between the Struct and the object its JSON decodes to (floats, escapes, non-ASCII).
EXTRA: list[dict[str, typing.Any]] = [
    {"type": "grid.retired", "grid": "G1"},
    {"type": "partner.left", "partner": "P1"},
    {"type": "cooperative.unbound", "cooperative": "K1"},
    {"type": "metric.reported", "year": 2024, "metric": "per_capita_income", "value": 0.1},
    {"type": "metric.reported", "year": 2024, "metric": "per_capita_income", "value": 1e300},
    {"type": "metric.reported", "year": 2024, "metric": "per_capita_income", "value": 12345.0},
    {"type": "metric.reported", "year": 2024, "metric": "sanitary_toilet_ratio", "value": 1},
    {
        "type": "branch.registered",
        "kind": "village",
        "name": 'a "quoted" \\ name\t\u2028 </script> 村党支部 \U0001f600 \u00e9',
    },
]


def _records() -> list[r.AnyRecord]:
    lines: list[bytes] = []
    for path in FIXTURES:
        lines.extend(line for line in path.read_bytes().splitlines() if line.strip())
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--branches", "12", "--seed", "7"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    lines.extend(done.stdout.splitlines())
    base = {"branch": "B1", "on": "2024-03-01"}
    lines.extend(
        json.dumps({"id": f"x{i}", **base, **extra}).encode() for i, extra in enumerate(EXTRA)
    )
    records = []
    for line in lines:
        try:
            records.append(r.decode_record(line))
        except r.RecordError:
            continue  # a fixture line that is refused on purpose
    return records


@pytest.fixture(scope="module")
def records() -> list[r.AnyRecord]:
    return _records()


def _event(record: r.AnyRecord, version: int, at: datetime, basis: object = None) -> typing.Any:
    fields: dict[str, typing.Any] = {
        "originator_id": branch_stream_id(record.branch),
        "originator_version": version,
        "timestamp": at,
        "recorder": 'cli:运维 "ops"',
        "record": record,
    }
    if basis is not None:
        fields["basis"] = basis
    return EVENT_FOR_RECORD[type(record)](**fields)


def test_every_record_type_is_covered(records: list[r.AnyRecord]) -> None:
    assert {type(rec) for rec in records} == set(typing.get_args(r.AnyRecord))


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 30, 4, 5, 6, 123456, tzinfo=UTC),
        datetime(2026, 11, 30, 4, 5, 6, tzinfo=UTC),  # no fraction
        datetime(2026, 1, 2, 3, 4, 5, 1000, tzinfo=timezone(timedelta(hours=8))),
    ],
)
def test_the_leaf_of_the_event_is_the_leaf_of_its_stored_state(
    records: list[r.AnyRecord], at: datetime
) -> None:
    basis = merkle.Basis(position=9, size=8, root="ab" * 32, rulebook="r", rulebook_sha256="cd")
    for version, record in enumerate(records, start=1):
        events = [_event(record, version, at)]
        if isinstance(record, r.RatingAwardedRecord):
            events.append(_event(record, version, at, basis))
        for event in events:
            stored = stored_with_leaf(event)
            assert stored.state == msgspec.json.encode(event)
            branch, entry = entry_of(version, stored.state)
            assert entry_of_event(event) == (branch, entry), record
            assert (stored.branch, stored.leaf_hash) == (branch, merkle.leaf_hash(entry))


def test_leaf_rows_take_the_carried_leaf_and_hash_any_other(records: list[r.AnyRecord]) -> None:
    at = datetime(2026, 11, 30, tzinfo=UTC)
    leafed = [stored_with_leaf(_event(rec, i, at)) for i, rec in enumerate(records[:50], 1)]
    bare = [StoredEvent(e.originator_id, e.originator_version, e.topic, e.state) for e in leafed]
    positions = list(range(100, 150))
    assert leaf_rows(leafed, positions) == leaf_rows(bare, positions)
