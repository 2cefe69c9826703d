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
from datetime import date

from domain.model import compliance as c
from domain.model import records as r
from domain.model.events import EVENT_FOR_RECORD, BranchEvent, BranchRegistered
from domain.model.parameters import load_county_parameters, load_standards
from projections.tables import Positioned, ReadModel, ViewStore, ViewWriter

NAME = "compliance"
TABLES: dict[str, tuple[str, str]] = {
    # whole fold per branch, and the slice per branch-year that ``judge`` reads
    "mechanism_facts": ("code TEXT, facts {blob}", "code"),
    "compliance_years": ("year INTEGER, code TEXT, facts {blob}", "year, code"),
}


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
    fact_rows: list[tuple[object, ...]] = []
    year_rows: list[tuple[object, ...]] = []
    for code, years in dirty.items():
        ordered = sorted(years)
        whole, slices = c.encode_rows(facts[code], ordered)
        fact_rows.append((code, whole))
        year_rows.extend((year, code, data) for year, data in zip(ordered, slices, strict=True))
    return {"mechanism_facts": fact_rows, "compliance_years": year_rows}


class ComplianceProjection:
    """Applies a batch to the compliance tables (a read model of its own: ``READ_MODEL``)."""

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        # Only the events it folds, picked by their class (a set look-up per event).
        events: list[BranchEvent] = [e for _, e in batch if type(e) in _FOLDED]  # type: ignore[misc]
        wanted = {e.record.branch for e in events if type(e) is not BranchRegistered}
        facts = _load(w, wanted)
        dirty: dict[str, set[int]] = {}
        folders, registered = c.FOLDERS, r.BranchRegisteredRecord
        current = branch = years = None
        for event in events:
            record = event.record
            if record.branch != current or type(record) is registered:
                fold_event(facts, event, dirty)  # a branch's first event in a run of them
                current = record.branch
                branch, years = facts.get(current), dirty.get(current)
            elif branch is not None:  # the rest of the run, as ``fold_event`` does
                found = folders[type(record)](branch, record, event.originator_version)
                if years is None:
                    years = dirty[current] = set()
                years.update(found)
        for table, rows in rows_for(facts, dirty).items():
            w.upsert(table, rows)

    def committed(self, position: int) -> None:
        """Nothing is cached between batches."""

    def stream_rows(
        self, batch: Sequence[Positioned], ledger_events: Sequence[Positioned]
    ) -> dict[str, list[tuple[object, ...]]]:
        """The rows of whole branch streams into empty tables (``tables.py``): ``process``
        without its lookup, which finds nothing there."""
        facts: dict[str, c.MechanismFacts] = {}
        dirty: dict[str, set[int]] = {}
        folders, registered = c.FOLDERS, r.BranchRegisteredRecord
        current = branch = years = None
        for _, event in batch:
            record = event.record  # type: ignore[attr-defined]
            rtype = type(record)
            if record.branch != current or rtype is registered:
                fold_event(facts, event, dirty)  # type: ignore[arg-type]  # a stream's first
                current = record.branch
                branch, years = facts.get(current), dirty.get(current)
                continue
            folder = folders.get(rtype)
            if folder is not None and branch is not None:  # as ``fold_event`` does
                found = folder(branch, record, event.originator_version)
                if years is None:
                    years = dirty[current] = set()  # type: ignore[index]
                years.update(found)
        return rows_for(facts, dirty)


# The event classes whose records this read model folds (``c.FOLDERS``), and registrations.
_FOLDED = frozenset(
    {EVENT_FOR_RECORD[rtype] for rtype in c.FOLDERS} | {EVENT_FOR_RECORD[r.BranchRegisteredRecord]}
)


def _load(w: ViewWriter, codes: set[str]) -> dict[str, c.MechanismFacts]:
    facts: dict[str, c.MechanismFacts] = {}
    missing = sorted(codes)
    for i in range(0, len(missing), 500):
        chunk = missing[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in w.fetch(
            f"SELECT code, facts FROM {{p}}mechanism_facts WHERE code IN ({marks})", chunk
        ):
            facts[row["code"]] = c.decode_facts_lazily(bytes(row["facts"]))
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
    views: ViewStore,
    year: int,
    *,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
    kind: str | None = None,
    events: Iterable[Positioned] | None = None,
) -> list[c.ComplianceYear]:
    """Every registered branch's slice for ``year`` (filtered), sorted by code; folded from
    ``events`` (an as-of replay the application reads from the ledger) when given."""
    if events is not None:
        facts = replay(events)
        return [
            c.year_of(f, year)
            for code, f in sorted(facts.items())
            if _wanted(f.place, branch, county, township, kind)
        ]
    from projections.registry import branch_filter

    clauses, params = branch_filter(branch, county, township, kind, alias="b")
    where = "".join(f" AND {clause}" for clause in clauses)
    rows = views.query(
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
    return out


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
    views: ViewStore,
    year: int,
    on: date,
    *,
    branch: str | None = None,
    county: str | None = None,
    township: str | None = None,
    events: Iterable[Positioned] | None = None,
) -> list[c.Compliance]:
    """One judgement per registered branch (or ``branch``), sorted by code, against the
    working-mechanism standards of ``rulebooks/`` as they are now (judged, not stored)."""
    standards = load_standards()
    slices = year_slices(
        views,
        year,
        branch=branch,
        county=county,
        township=township,
        events=events,
    )
    return [c.judge(s, on, standards) for s in slices]


def staffing(views: ViewStore, year: int) -> list[c.Staffing]:
    """职业化 per county for ``year``, with the county parameters of ``rulebooks/``."""
    params = load_county_parameters()

    def figures(county: str) -> tuple[int | None, int | float | None]:
        found = params.for_year(county, year)
        return found.urban_population, found.wage_floor

    communities = year_slices(views, year, kind="community")
    return c.staffing(year, communities, figures, load_standards())


# 2: a register record dated before a stored later year's slice rewrites that slice
# (commit 36616d0): rows stored by version 1 may be stale.
READ_MODEL = ReadModel(NAME, TABLES, ComplianceProjection, version=2)
