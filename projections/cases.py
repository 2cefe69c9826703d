"""The cases read model (mechanisms.md §3): each case's records as steps, and the incidents a
case should have reported; queries that judge them on a business date D.

A case's answer depends on D (a running clock), so the table keeps its steps, not its
answer: "all overdue cases of a county on D" is one SELECT on the table's key (county first)
and ``domain.model.cases.judge_case`` over the rows, never a replay of the ledger. The model
keeps its own copy of each branch's kind and place so it depends on no other read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec

from domain.model import records as r
from domain.model.cases import (
    INCIDENT_CATEGORIES,
    CaseLimitsFile,
    CaseResult,
    CaseStep,
    IncidentEntry,
    SummaryRow,
    add_to_row,
    incidents_without_case,
    judge_case,
    load_case_limits,
)
from domain.model.events import EVENT_FOR_RECORD
from domain.model.rulebook import rulebook_dir
from projections.tables import Positioned, ReadModel, ViewStore, ViewWriter

NAME = "cases"
TABLES: dict[str, tuple[str, str]] = {
    "case_branches": ("code TEXT, kind TEXT, county TEXT, township TEXT", "code"),
    # Keyed county first: a county's (or township's) cases are a range of the key.
    "cases": (
        "county TEXT, township TEXT, code TEXT, case_id TEXT, reported_on TEXT, "
        "position BIGINT, steps {blob}",
        "county, township, code, case_id",
    ),
    "case_incidents": (
        "county TEXT, township TEXT, code TEXT, record_id TEXT, on_date TEXT, "
        "category TEXT, retracted_on TEXT",
        "county, township, code, record_id",
    ),
}

_steps_encoder = msgspec.msgpack.Encoder()
_steps_decoder = msgspec.msgpack.Decoder(list[CaseStep])
CASE_TYPES = (
    r.CaseReportedRecord,
    r.CaseAssignedRecord,
    r.CaseEscalatedRecord,
    r.CaseProgressedRecord,
    r.CaseResolvedRecord,
    r.CaseVerifiedRecord,
)


def case_step(record: r.Record) -> CaseStep:
    """The step the rules read from one ``case.*`` record."""
    kind = r.type_of(record)
    if isinstance(record, r.CaseReportedRecord):
        return CaseStep(
            id=record.id,
            type=kind,
            on=record.on,
            category=record.category,
            occurred_on=record.occurred_on,
            incident=record.incident or None,
        )
    if isinstance(record, r.CaseAssignedRecord):
        return CaseStep(id=record.id, type=kind, on=record.on, level=record.level)
    if isinstance(record, r.CaseVerifiedRecord):
        return CaseStep(id=record.id, type=kind, on=record.on, satisfied=record.satisfied)
    return CaseStep(id=record.id, type=kind, on=record.on)


class CasesProjection:
    """Applies a batch of events to the cases tables (idempotent: a step already stored by
    id is not added again)."""

    def committed(self, position: int) -> None:
        """Nothing is cached between batches."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        records = _records(batch)
        if not records:
            return
        places = self._places(w, records)
        cases: dict[tuple[str, str], list[Any]] = {}
        incidents: list[tuple[object, ...]] = []
        branches: list[tuple[object, ...]] = []  # written with one statement at the end
        for position, record in records:
            code = record.branch
            if isinstance(record, r.BranchRegisteredRecord):
                places[code] = (record.kind, record.county, record.township)
                branches.append((code, record.kind, record.county, record.township))
                continue
            place = places.get(code)
            if place is None:
                continue  # the ledger never accepts a record of an unregistered branch
            _, county, township = place
            if isinstance(record, r.IncidentRecordedRecord):
                incidents.append(
                    (
                        county,
                        township,
                        code,
                        record.id,
                        record.on.isoformat(),
                        record.category,
                        None,
                    )
                )
            elif isinstance(record, r.IncidentRetractedRecord):
                w.upsert("case_incidents", incidents)
                incidents = []
                w.execute(
                    "UPDATE {p}case_incidents SET retracted_on = ? WHERE county = ? AND "
                    "township = ? AND code = ? AND record_id = ? AND retracted_on IS NULL",
                    (record.on.isoformat(), county, township, code, record.ref),
                )
            else:
                self._add_step(w, cases, place, position, record)
        w.upsert("case_branches", branches)
        w.upsert("case_incidents", incidents)
        w.upsert(
            "cases",
            [
                (county, township, code, case, steps[0].on.isoformat(), position, _encode(steps))
                for (code, case), (county, township, position, steps) in cases.items()
            ],
        )

    def _places(
        self, w: ViewWriter, records: list[tuple[int, r.Record]]
    ) -> dict[str, tuple[str, str, str]]:
        codes = sorted({rec.branch for _, rec in records})
        places: dict[str, tuple[str, str, str]] = {}
        for i in range(0, len(codes), 500):
            chunk = codes[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in w.fetch(
                f"SELECT code, kind, county, township FROM {{p}}case_branches "
                f"WHERE code IN ({marks})",
                chunk,
            ):
                places[row["code"]] = (row["kind"], row["county"], row["township"])
        return places

    def _add_step(
        self,
        w: ViewWriter,
        cases: dict[tuple[str, str], list[Any]],
        place: tuple[str, str, str],
        position: int,
        record: r.Record,
    ) -> None:
        _, county, township = place
        key = (record.branch, record.case)  # type: ignore[attr-defined]
        entry = cases.get(key)
        if entry is None and isinstance(record, r.CaseReportedRecord):
            # a report opens the case: nothing stored yet (a rebuild never looks anything up)
            entry = cases[key] = [county, township, position, []]
        if entry is None:
            rows = w.fetch(
                "SELECT position, steps FROM {p}cases WHERE county = ? AND township = ? "
                "AND code = ? AND case_id = ?",
                (county, township, *key),
            )
            if rows:
                steps = _steps_decoder.decode(bytes(rows[0]["steps"]))
                entry = [county, township, rows[0]["position"], steps]
            else:
                entry = [county, township, position, []]
            cases[key] = entry
        steps = entry[3]
        if any(s.id == record.id for s in steps):
            return
        steps.append(case_step(record))

    def stream_rows(
        self, batch: Sequence[Positioned], ledger_events: Sequence[Positioned]
    ) -> dict[str, list[tuple[object, ...]]]:
        """The rows of whole branch streams into empty tables (``tables.py``): what
        ``process`` writes for them, folded in memory. Its lookups find nothing there (every
        case opens with its report, every branch with its registration in the same streams),
        and a retraction marks the incident the same streams recorded."""
        places: dict[str, tuple[str, str, str]] = {}
        branches: list[tuple[object, ...]] = []
        incidents: dict[tuple[str, str], list[object]] = {}
        cases: dict[tuple[str, str], list[Any]] = {}
        for position, record in _records(batch):
            code = record.branch
            if isinstance(record, r.BranchRegisteredRecord):
                places[code] = (record.kind, record.county, record.township)
                branches.append((code, record.kind, record.county, record.township))
                continue
            place = places.get(code)
            if place is None:
                continue
            _, county, township = place
            if isinstance(record, r.IncidentRecordedRecord):
                incidents[(code, record.id)] = [
                    county, township, code, record.id, record.on.isoformat(), record.category, None
                ]  # fmt: skip
            elif isinstance(record, r.IncidentRetractedRecord):
                found = incidents.get((code, record.ref))
                if found is not None and found[6] is None:
                    found[6] = record.on.isoformat()
            else:
                key = (code, record.case)
                entry = cases.get(key)
                if entry is None:
                    entry = cases[key] = [county, township, position, []]
                steps = entry[3]
                if not any(s.id == record.id for s in steps):
                    steps.append(case_step(record))
        return {
            "case_branches": branches,
            "case_incidents": [tuple(row) for row in incidents.values()],
            "cases": [
                (county, township, code, case, steps[0].on.isoformat(), position, _encode(steps))
                for (code, case), (county, township, position, steps) in cases.items()
            ],
        }


_ALWAYS = frozenset((*CASE_TYPES, r.BranchRegisteredRecord, r.IncidentRetractedRecord))


# The same, by the class of the event that carries the record (one per record type).
_ALWAYS_EVENTS = frozenset(EVENT_FOR_RECORD[kind] for kind in _ALWAYS)  # type: ignore[index]
_INCIDENT_EVENT = EVENT_FOR_RECORD[r.IncidentRecordedRecord]


def _records(batch: Sequence[Positioned]) -> list[tuple[int, Any]]:
    """The batch's records this read model folds (a set look-up of the event's class per
    event: it skips most)."""
    return [
        (position, event.record)  # type: ignore[attr-defined]
        for position, event in batch
        if type(event) in _ALWAYS_EVENTS
        or (
            type(event) is _INCIDENT_EVENT and event.record.category in INCIDENT_CATEGORIES  # type: ignore[attr-defined]
        )
    ]


def _encode(steps: list[CaseStep]) -> bytes:
    return _steps_encoder.encode(steps)


# ----------------------------------------------------------------------------- queries


class ReadModelNotBuilt(RuntimeError):
    """Read models built by a version without this one: answers would be silently empty."""


def require_built(views: ViewStore, table: str, what: str) -> None:
    """Refuse to answer from ``table`` when it does not hold every registered branch (read
    models built before it existed, until ``fivestar rebuild`` fills it)."""
    have = views.query(f"SELECT COUNT(*) AS n FROM {{p}}{table}")[0]["n"]
    registered = views.query("SELECT COUNT(*) AS n FROM {p}branches")[0]["n"]
    if have != registered:
        raise ReadModelNotBuilt(
            f"the {what} read model holds {have} of {registered} registered branches: the read "
            "models were built by an earlier version; run `fivestar rebuild`"
        )


def case_limits() -> CaseLimitsFile:
    """The limits in force when the command runs (``rulebooks/case-limits.toml``)."""
    return load_case_limits(rulebook_dir() / "case-limits.toml")


def _where(
    county: str | None, township: str | None, branch: str | None, alias: str = ""
) -> tuple[str, list[Any]]:
    prefix = f"{alias}." if alias else ""
    clauses, params = [], []
    for column, value in (("county", county), ("township", township), ("code", branch)):
        if value is not None:
            clauses.append(f"{prefix}{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def judged_cases(
    views: ViewStore,
    on: date,
    *,
    county: str | None = None,
    township: str | None = None,
    branch: str | None = None,
    case: str | None = None,
    limits: CaseLimitsFile | None = None,
) -> list[CaseResult]:
    """Every case reported on or before ``on`` in the filter, judged on ``on``, sorted by
    branch then case id."""
    judged = _judged(views, on, county, township, branch, case, limits or case_limits())
    return [result for _, result in judged]


def _judged(
    views: ViewStore,
    on: date,
    county: str | None,
    township: str | None,
    branch: str | None,
    case: str | None,
    limits: CaseLimitsFile,
) -> list[tuple[tuple[str, str], CaseResult]]:
    """((county, township), case object) for each case in the filter reported by ``on``."""
    require_built(views, "case_branches", "cases")
    where, params = _where(county, township, branch, alias="c")
    if case is not None:
        where += (" AND " if where else " WHERE ") + "c.case_id = ?"
        params.append(case)
    where += (" AND " if where else " WHERE ") + "c.reported_on <= ?"
    params.append(on.isoformat())
    rows = views.query(
        "SELECT c.code, c.case_id, c.county, c.township, c.steps, b.kind FROM {p}cases c "
        f"JOIN {{p}}case_branches b ON b.code = c.code{where}",
        params,
    )
    out = []
    for row in rows:
        name, in_force = limits.for_county(row["county"])
        steps = _steps_decoder.decode(bytes(row["steps"]))
        result = judge_case(row["code"], row["case_id"], row["kind"], steps, in_force, name, on)
        if result is not None:
            out.append(((row["county"], row["township"]), result))
    return sorted(out, key=lambda item: (item[1].branch, item[1].case))


def branch_known(views: ViewStore, code: str) -> bool:
    return bool(views.query("SELECT code FROM {p}case_branches WHERE code = ?", (code,)))


def case_steps(views: ViewStore, branch: str, case: str) -> list[CaseStep]:
    """The steps stored for one case (empty: no such case)."""
    rows = views.query("SELECT steps FROM {p}cases WHERE code = ? AND case_id = ?", (branch, case))
    return _steps_decoder.decode(bytes(rows[0]["steps"])) if rows else []


def case_summary(
    views: ViewStore,
    year: int,
    on: date,
    *,
    county: str | None = None,
    township: str | None = None,
    limits: CaseLimitsFile | None = None,
) -> list[SummaryRow]:
    """One row per county and township with a registered branch, over the cases reported in
    ``year`` judged on ``on``; sorted by county then township (code-point order)."""
    where, params = _where(county, township, None)
    rows: dict[tuple[str, str], SummaryRow] = {}
    for row in views.query(
        f"SELECT DISTINCT county, township FROM {{p}}case_branches{where}", params
    ):
        rows[(row["county"], row["township"])] = SummaryRow(
            county=row["county"], township=row["township"]
        )
    named: dict[str, set[str]] = {}
    judged = _judged(views, on, county, township, None, None, limits or case_limits())
    for place, result in judged:
        if result.incident:
            named.setdefault(result.branch, set()).add(result.incident)
        if result.reported_on.year == year and place in rows:
            add_to_row(rows[place], result)
    incidents: dict[tuple[str, str, str], list[IncidentEntry]] = {}
    for row in views.query(
        f"SELECT county, township, code, record_id, on_date, category, retracted_on "
        f"FROM {{p}}case_incidents{where}",
        params,
    ):
        incidents.setdefault((row["county"], row["township"], row["code"]), []).append(
            IncidentEntry(
                id=row["record_id"],
                on=date.fromisoformat(row["on_date"]),
                category=row["category"],
                retracted_on=date.fromisoformat(row["retracted_on"])
                if row["retracted_on"]
                else None,
            )
        )
    for (c, t, code), entries in incidents.items():
        if (c, t) in rows:
            missing = incidents_without_case(entries, named.get(code, set()), year, on)
            rows[(c, t)].incidents_without_case.extend(missing)
    for row in rows.values():
        row.incidents_without_case.sort()
    return [rows[k] for k in sorted(rows)]


READ_MODEL = ReadModel(NAME, TABLES, CasesProjection)
