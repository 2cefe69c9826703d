"""The compliance read model (mechanisms.md §2): mechanism facts per branch and per branch-year.

``mechanism_facts`` holds each branch's whole fold (``MechanismFacts``) so the next event can
be folded without replaying the stream; ``compliance_years`` holds, per branch-year, exactly
what ``domain.model.compliance.judge`` reads for that year (the registers and the year's
bucket). A county list for (Y, D) is one SELECT over ``branches`` joined to the year rows,
then the pure judgement; a branch with no row for Y is cut from its whole fold in the same
SELECT. The projection keeps both tables in the same transaction as the other read models;
``fivestar rebuild`` refills them stream by stream. The as-of replay folds the log in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from domain.model import compliance as c
from domain.model import records as r
from domain.model.events import BranchEvent, LedgerEvent
from domain.model.parameters import load_county_parameters
from projections.views import ViewWriter

Positioned = tuple[int, LedgerEvent]


def fold_event(
    facts: dict[str, c.MechanismFacts], event: BranchEvent, dirty: dict[str, set[int]]
) -> None:
    """Fold one branch event into ``facts`` and note which of its years changed."""
    record = event.record
    rtype = type(record)
    if rtype is r.BranchRegisteredRecord:
        facts[record.branch] = c.new_mechanism_facts(record)  # type: ignore[arg-type]
        dirty.setdefault(record.branch, set())
        return
    folder = c.FOLDERS.get(rtype)
    branch = facts.get(record.branch) if folder is not None else None
    if branch is None:
        return
    years = folder(branch, record, event.originator_version)  # type: ignore[misc]
    seen = dirty.get(record.branch)
    if seen is None:
        seen = dirty[record.branch] = set()
    seen.update(years)


def rows_for(
    facts: dict[str, c.MechanismFacts], dirty: dict[str, set[int]]
) -> dict[str, list[tuple[object, ...]]]:
    """The rows to upsert for the branches and years ``dirty`` names."""
    year_rows = [
        (year, code, c.encode(c.year_of(facts[code], year)))
        for code, years in dirty.items()
        for year in sorted(years)
    ]
    return {
        "mechanism_facts": [(code, c.encode(facts[code])) for code in dirty],
        "compliance_years": year_rows,
    }


class ComplianceProjection:
    """Applies a batch to the compliance tables (called by ``LedgerProjection``)."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        events = [e for _, e in batch if isinstance(e, BranchEvent)]
        wanted = {e.record.branch for e in events if type(e.record) in c.FOLDERS}
        facts = _load(w, wanted)
        dirty: dict[str, set[int]] = {}
        for event in events:
            fold_event(facts, event, dirty)
        for table, rows in rows_for(facts, dirty).items():
            w.upsert(table, rows)


def _load(w: ViewWriter, codes: set[str]) -> dict[str, c.MechanismFacts]:
    facts: dict[str, c.MechanismFacts] = {}
    missing = sorted(codes)
    for i in range(0, len(missing), 500):
        chunk = missing[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in w.fetch(
            f"SELECT code, facts FROM {{p}}mechanism_facts WHERE code IN ({marks})", chunk
        ):
            facts[row["code"]] = c.decode_facts(bytes(row["facts"]))
    return facts


def replay(events: Iterable[Positioned]) -> dict[str, c.MechanismFacts]:
    """Fold the log in memory (the as-of replay)."""
    facts: dict[str, c.MechanismFacts] = {}
    dirty: dict[str, set[int]] = {}
    for _, event in events:
        if isinstance(event, BranchEvent):
            fold_event(facts, event, dirty)
    return facts


# --------------------------------------------------------------------- queries
def year_slices(
    svc: Any,
    year: int,
    *,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
    kind: str | None = None,
    as_of: datetime | None = None,
    position: int | None = None,
) -> list[c.ComplianceYear]:
    """Every registered branch's slice for ``year`` (filtered), sorted by code."""
    if as_of is not None or position is not None:
        facts = replay(svc.events_until(as_of, position))
        return [
            c.year_of(f, year)
            for code, f in sorted(facts.items())
            if _wanted(f.place, branch, county, township, kind)
        ]
    from projections.registry import branch_filter

    clauses, params = branch_filter(branch, county, township, kind, alias="b")
    where = "".join(f" AND {clause}" for clause in clauses)
    rows = svc.views.query(
        "SELECT b.code, y.facts AS year_facts, m.facts AS all_facts FROM {p}branches b "
        "LEFT JOIN {p}compliance_years y ON y.code = b.code AND y.year = ? "
        "LEFT JOIN {p}mechanism_facts m ON m.code = b.code AND y.code IS NULL "
        f"WHERE 1 = 1{where} ORDER BY b.code",
        [year, *params],
    )
    out = []
    for row in rows:
        if row["year_facts"] is not None:
            out.append(c.decode_year(bytes(row["year_facts"])))
        elif row["all_facts"] is not None:
            out.append(c.year_of(c.decode_facts(bytes(row["all_facts"])), year))
        else:  # read models built before this read model existed: until `fivestar rebuild`
            folded = _replay_stream(svc, row["code"])
            if folded is not None:
                out.append(c.year_of(folded, year))
    return out


def _replay_stream(svc: Any, code: str) -> c.MechanismFacts | None:
    """One branch folded from its own stream (only for read models that predate this one)."""
    from domain.model.events import branch_stream_id

    facts: dict[str, c.MechanismFacts] = {}
    dirty: dict[str, set[int]] = {}
    for note in svc.ledger.recorder.select_stream(branch_stream_id(code)):
        fold_event(facts, svc.ledger.mapper.to_domain_event(note), dirty)
    return facts.get(code)


def _wanted(
    place: c.Place, branch: str | None, county: str | None, township: str | None, kind: str | None
) -> bool:
    return (
        (branch is None or place.code == branch)
        and (county is None or place.county == county)
        and (township is None or place.township == township)
        and (kind is None or place.kind == kind)
    )


def compliance(
    svc: Any,
    year: int,
    on: date,
    *,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
    as_of: datetime | None = None,
    position: int | None = None,
) -> list[c.Compliance]:
    """One judgement per registered branch (or ``branch``), sorted by code."""
    slices = year_slices(
        svc,
        year,
        branch=branch,
        county=county,
        township=township,
        as_of=as_of,
        position=position,
    )
    return [c.judge(s, on) for s in slices]


def filtered(
    results: list[c.Compliance], requirement: str | None, status: str | None
) -> list[c.Compliance]:
    """Only the requirements asked for; a branch left with none is dropped (when filtering)."""
    if requirement is None and status is None:
        return results
    out = []
    for result in results:
        kept = [
            req
            for req in result.requirements
            if (requirement is None or req.requirement == requirement)
            and (status is None or req.status == status)
        ]
        if kept:
            out.append(msgspec.structs.replace(result, requirements=kept))
    return out


def staffing(svc: Any, year: int) -> list[c.Staffing]:
    """职业化 per county for ``year``, with the county parameters of ``rulebooks/``."""
    params = load_county_parameters()

    def figures(county: str) -> tuple[int | None, int | float | None]:
        found = params.for_year(county, year)
        return found.urban_population, found.wage_floor

    return c.staffing(year, year_slices(svc, year, kind="community"), figures)
