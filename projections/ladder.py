"""The ladder read model (mechanisms.md §4): per branch, its problems, interventions and
weak-and-lax spells; queries that judge them on a business date D, and ``--apply``.

The answer depends on D (terms run out, deadlines pass), so the table keeps the inputs of
``domain.model.ladder.judge_ladder``, one row per registered branch keyed county first:
"every branch of a county with a shortfall on D" is one SELECT on a key range and the pure
computation over its rows. ``apply_listing`` records the weak-and-lax designations the rules
require (ADR 0019: a listing is a recorded designation, not a derived one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import msgspec

from domain.model import records as r
from domain.model.events import EVENT_FOR_RECORD
from domain.model.ladder import (
    InterventionEntry,
    LadderInput,
    LadderResult,
    ProblemEntry,
    SpellEntry,
    judge_ladder,
)
from domain.model.parameters import LadderStandards, load_standards
from domain.model.vocabulary import vocabulary
from projections.tables import Positioned, ReadModel, ViewStore, ViewWriter

NAME = "ladder"
TABLES: dict[str, tuple[str, str]] = {
    # keyed county first: a county's (or township's) branches are a range of the key
    "ladder": (
        "county TEXT, township TEXT, code TEXT, kind TEXT, position BIGINT, data {blob}",
        "county, township, code",
    ),
    # where each branch's row is (the projection finds a branch's row by its code)
    "ladder_places": ("code TEXT, county TEXT, township TEXT", "code"),
}
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(LadderInput)
LADDER_TYPES = (
    r.BranchRegisteredRecord,
    r.ProblemRegisteredRecord,
    r.ProblemResolvedRecord,
    r.InterventionStartedRecord,
    r.InterventionEndedRecord,
    r.WeaknessDesignatedRecord,
    r.WeaknessLiftedRecord,
)


@dataclass
class _Row:
    county: str
    township: str
    kind: str
    position: int  # the last position folded in (a replayed event is skipped)
    data: LadderInput


class LadderProjection:
    """Folds problem, intervention and weakness records into each branch's row."""

    def committed(self, position: int) -> None:
        """Nothing is cached between batches."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        records = _records(batch)
        if not records:
            return
        registered = {rec.branch for _, rec in records if isinstance(rec, r.BranchRegisteredRecord)}
        rows = self._load(w, {rec.branch for _, rec in records} - registered)
        places = _fold(records, rows)
        w.upsert("ladder_places", places)
        w.upsert("ladder", _rows(rows))

    def stream_rows(
        self, batch: Sequence[Positioned], ledger_events: Sequence[Positioned]
    ) -> dict[str, list[tuple[object, ...]]]:
        """The rows of whole branch streams into empty tables (``tables.py``): ``process``
        without its lookups, which find nothing there (each stream opens with its
        registration)."""
        rows: dict[str, _Row] = {}
        places = _fold(_records(batch), rows)
        return {"ladder_places": list(places), "ladder": _rows(rows)}

    def _load(self, w: ViewWriter, codes: set[str]) -> dict[str, _Row]:
        """The stored rows of branches registered in earlier batches: their places by code,
        then each row by its full key."""
        ordered = sorted(codes)
        places = []
        for i in range(0, len(ordered), 500):
            chunk = ordered[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            places += w.fetch(
                f"SELECT code, county, township FROM {{p}}ladder_places WHERE code IN ({marks})",
                chunk,
            )
        rows: dict[str, _Row] = {}
        for place in places:
            for row in w.fetch(
                "SELECT county, township, code, kind, position, data FROM {p}ladder "
                "WHERE county = ? AND township = ? AND code = ?",
                (place["county"], place["township"], place["code"]),
            ):
                rows[row["code"]] = _Row(
                    row["county"],
                    row["township"],
                    row["kind"],
                    row["position"],
                    _decoder.decode(bytes(row["data"])),
                )
        return rows


# The classes of the events that carry them (one per record type).
_LADDER_EVENTS = frozenset(EVENT_FOR_RECORD[kind] for kind in LADDER_TYPES)


def _records(batch: Sequence[Positioned]) -> list[tuple[int, r.Record]]:
    """The batch's records this read model folds (a set look-up of the event's class per
    event: it skips most)."""
    return [
        (position, event.record)  # type: ignore[attr-defined]
        for position, event in batch
        if type(event) in _LADDER_EVENTS
    ]


def _fold(records: list[tuple[int, r.Record]], rows: dict[str, _Row]) -> list[tuple[str, str, str]]:
    """Fold ``records`` (ledger order per branch) into ``rows``; the places of the branches
    registered among them."""
    places = []
    for position, record in records:
        if isinstance(record, r.BranchRegisteredRecord):
            if record.branch in rows:
                continue  # already folded (a batch replayed after a crash)
            rows[record.branch] = _Row(
                record.county, record.township, record.kind, position, LadderInput()
            )
            places.append((record.branch, record.county, record.township))
            continue
        row = rows.get(record.branch)
        if row is None or position <= row.position:
            continue
        fold(row.data, position, record)
        row.position = position
    return places


def _rows(rows: dict[str, _Row]) -> list[tuple[object, ...]]:
    return [
        (row.county, row.township, code, row.kind, row.position, _encoder.encode(row.data))
        for code, row in rows.items()
    ]


def fold(data: LadderInput, position: int, record: r.Record) -> None:
    """One accepted record into a branch's ladder inputs (ledger order)."""
    if isinstance(record, r.ProblemRegisteredRecord):
        data.problems.append(
            ProblemEntry(
                id=record.id,
                position=position,
                problem=record.problem,
                area=record.area,
                on=record.on,
                deadline=record.deadline,
                paralysis=record.paralysis,
            )
        )
    elif isinstance(record, r.ProblemResolvedRecord):
        for problem in data.problems:
            if problem.problem == record.problem and problem.resolved_on is None:
                problem.resolved_on, problem.resolved_id = record.on, record.id
    elif isinstance(record, r.InterventionStartedRecord):
        data.interventions.append(
            InterventionEntry(
                id=record.id,
                position=position,
                intervention=record.intervention,
                measure=record.measure,
                on=record.on,
            )
        )
    elif isinstance(record, r.InterventionEndedRecord):
        for item in data.interventions:
            if item.intervention == record.intervention and item.ended_on is None:
                item.ended_on, item.ended_id = record.on, record.id
    elif isinstance(record, r.WeaknessDesignatedRecord):
        data.spells.append(SpellEntry(designated_id=record.id, designated_on=record.on))
    elif (
        isinstance(record, r.WeaknessLiftedRecord)
        and data.spells
        and data.spells[-1].lifted_on is None
    ):
        data.spells[-1].lifted_on = record.on


# ----------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class LadderRow:
    """One branch's stored inputs and place (what the queries judge)."""

    code: str
    kind: str
    county: str
    township: str
    data: LadderInput


def ladder_rows(
    views: ViewStore,
    *,
    county: str | None = None,
    township: str | None = None,
    branch: str | None = None,
) -> list[LadderRow]:
    clauses, params = [], []
    for column, value in (("county", county), ("township", township), ("code", branch)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    from projections.cases import require_built

    require_built(views, "ladder_places", "ladder")
    rows = views.query(f"SELECT county, township, code, kind, data FROM {{p}}ladder{where}", params)
    out = [
        LadderRow(
            row["code"],
            row["kind"],
            row["county"],
            row["township"],
            _decoder.decode(bytes(row["data"])),
        )
        for row in rows
    ]
    return sorted(out, key=lambda row: row.code)


def judge_row(row: LadderRow, on: date, standards: LadderStandards) -> LadderResult:
    return judge_ladder(row.code, row.kind, row.data, on, vocabulary(row.kind).stars, standards)


def judged_ladder(
    views: ViewStore,
    on: date,
    *,
    county: str | None = None,
    township: str | None = None,
    branch: str | None = None,
    required: str | None = None,
    shortfall: bool = False,
) -> list[LadderResult]:
    """The ladder object of every registered branch in the filter on ``on``, by code;
    ``required`` keeps those needing that measure, ``shortfall`` those falling short."""
    out = []
    standards = load_standards().ladder  # the file as it is now: judged, not stored
    for row in ladder_rows(views, county=county, township=township, branch=branch):
        result = judge_row(row, on, standards)
        if required is not None and result.required != required:
            continue
        if shortfall and not result.shortfall:
            continue
        out.append(result)
    return out


READ_MODEL = ReadModel(NAME, TABLES, LadderProjection)
