"""The eligibility read model: registry, facts per branch-year, eligibility, awards, adoptions.

The first entry of ``projections.READ_MODELS`` (see ``tables.py`` for the interface). One pass
over a batch of events updates its tables, and the runner its tracking position, in one
transaction, so a crash between two batches loses nothing and counts nothing twice. The
facts are folded with ``domain.model.facts.apply`` and judged with
``domain.model.evaluation.evaluate``, the very functions the Branch aggregate uses to check
an award. Its queries are ``queries.py`` and ``registry.py``.
"""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence

import msgspec

from domain.model import records as r
from domain.model.evaluation import Eligibility, evaluate
from domain.model.events import BranchEvent, BranchRegistered, RulebookAdopted
from domain.model.facts import (
    FACT_FOLDERS,
    BranchFacts,
    YearFacts,
    affected_years,
    apply,
    decode_branch_facts,
    decode_year_facts,
    encode_facts,
    fold_into,
    new_facts,
    year_slice,
)
from domain.model.rulebook import BASE_RULEBOOK, load_rulebook
from projections.tables import Positioned, ReadModel, ViewWriter

NAME = "eligibility"
TABLES: dict[str, tuple[str, str]] = {
    # name: (columns, primary key)
    "branches": (
        "code TEXT, name TEXT, kind TEXT, county TEXT, township TEXT, households BIGINT, "
        "population BIGINT, registered_on TEXT, position BIGINT",
        "code",
    ),
    "secretaries": (
        "code TEXT, position BIGINT, on_date TEXT, person TEXT, civil_servant INTEGER, "
        "record_id TEXT",
        "code, position",
    ),
    "branch_facts": ("code TEXT, facts {blob}", "code"),
    "year_facts": ("year INTEGER, code TEXT, facts {blob}", "year, code"),
    "eligibility": (
        "year INTEGER, code TEXT, county TEXT, township TEXT, rulebook TEXT, "
        "excluded INTEGER, eligible TEXT, result {blob}",
        "year, code",
    ),
    "awards": (
        "year INTEGER, code TEXT, record_id TEXT, stars TEXT, by_level TEXT, on_date TEXT, "
        "position BIGINT, recorded_at TEXT",
        "year, code",
    ),
    "adoptions": (
        "position BIGINT, year INTEGER, rulebook TEXT, reason TEXT, recorder TEXT, "
        "recorded_at TEXT",
        "position",
    ),
}
_json = msgspec.json.Encoder()


def evaluate_under(facts: YearFacts, in_force: dict[int, str]) -> Eligibility:
    return evaluate(facts, load_rulebook(in_force.get(facts.year, BASE_RULEBOOK)))


def eligibility_row(facts: BranchFacts, result: Eligibility) -> tuple[object, ...]:
    return (
        result.year,
        result.branch,
        facts.county,
        facts.township,
        result.rulebook,
        int(result.excluded),
        json.dumps(result.eligible),
        _json.encode(result),
    )


def adoptions_in_force(rows: Iterable[tuple[int, str]]) -> dict[int, str]:
    """Rows of (year, rulebook) in ledger order: the last adoption for a year wins."""
    in_force: dict[int, str] = {}
    for year, rulebook in rows:
        in_force[year] = rulebook
    return in_force


# Events that need no stored facts: an adoption, a registration (its facts start anew).
_NO_FACTS_TO_LOAD = frozenset((RulebookAdopted, BranchRegistered))


class LedgerProjection:
    """Applies batches of positioned events to the read models through a ``ViewWriter``.

    Branch facts read from the tables are kept in a bounded cache between batches while
    the tracked position is the one this projection last committed; any doubt (another
    projector advanced it, a batch failed) empties the cache.
    """

    CACHE_SIZE = 2000

    def __init__(self) -> None:
        self._cache: OrderedDict[str, BranchFacts] = OrderedDict()
        self._cache_position: int | None = None
        self._stored_looked_up = False  # in this batch (``_find_facts``)

    def committed(self, position: int) -> None:
        """Called once the batch ending at ``position`` is committed."""
        self._cache_position = position

    def process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        if self._cache_position is None or self._cache_position != w.store.position(NAME):
            self._cache.clear()
        self._cache_position = None  # until committed() confirms this batch
        try:
            self._process(w, batch)
        except BaseException:
            self._cache.clear()
            raise

    def _process(self, w: ViewWriter, batch: Sequence[Positioned]) -> None:
        in_force = adoptions_in_force(
            (row["year"], row["rulebook"])
            for row in w.fetch("SELECT year, rulebook FROM {p}adoptions ORDER BY position")
        )
        facts: dict[str, BranchFacts] = {}  # found as the branches are met (``_find_facts``)
        dirty: dict[str, set[int]] = defaultdict(set)
        adopted: set[int] = set()
        rows = Rows()
        self._stored_looked_up = False
        self._fold(w, rows, batch, facts, dirty, in_force, adopted)
        rows.write(w)
        self.write_branches(w, facts, dirty, in_force)
        for year in sorted(adopted):
            judged = {code for code, years in dirty.items() if year in years}
            self._reevaluate_year(w, year, in_force, done=judged)
        for code in dirty:
            self._cache[code] = facts[code]
            self._cache.move_to_end(code)
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    def _fold(
        self,
        w: ViewWriter,
        rows: Rows,
        batch: Sequence[Positioned],
        facts: dict[str, BranchFacts],
        dirty: dict[str, set[int]],
        in_force: dict[int, str],
        adopted: set[int],
    ) -> None:
        """``branch_event`` for each event, but the events that follow one of the same
        branch and have no rows of their own are folded inline, by one look-up of their
        type (``FACT_FOLDERS``): the projector's hot loop, a batch holding runs of events of
        one branch."""
        folders, row_types, fallback = FACT_FOLDERS, _ROW_TYPES, fold_into
        adoption = RulebookAdopted
        current = branch = years = None
        for position, event in batch:
            if type(event) is adoption:
                rows.adoption(position, event)
                in_force[event.year] = event.rulebook
                adopted.add(event.year)
                continue
            record = event.record  # type: ignore[attr-defined]  # the log holds only these two kinds
            rtype = type(record)
            if record.branch == current and rtype not in row_types:
                folder = folders.get(rtype, fallback)
                if folder is not None:
                    folder(branch, record, years)  # type: ignore[arg-type]
                continue
            current = record.branch
            if current not in facts and rtype is not r.BranchRegisteredRecord:
                self._find_facts(w, current, batch, facts)
            self.branch_event(rows, position, event, facts, dirty)  # type: ignore[arg-type]
            branch, years = facts[current], dirty[current]

    def stream_rows(
        self, batch: Sequence[Positioned], ledger_events: Sequence[Positioned]
    ) -> dict[str, Sequence[tuple[object, ...]]]:
        """The rows of whole branch streams into tables that hold the ledger events (the
        adoptions) and nothing of these branches (``tables.py``): each branch folded once,
        each of its years judged once, under the rulebooks adopted by then."""
        in_force = adoptions_in_force(
            (e.year, e.rulebook) for _, e in ledger_events if isinstance(e, RulebookAdopted)
        )
        rows = Rows()
        facts: dict[str, BranchFacts] = {}
        dirty: dict[str, set[int]] = defaultdict(set)
        current = branch = years = None
        on_year, no_year = _ON_YEAR, _NO_YEAR
        for position, event in batch:
            record = event.record  # type: ignore[attr-defined]
            rtype = type(record)
            if rtype in _ROW_TYPES or record.branch != current:
                # rows of its own, or a stream's first event: the general path
                self.branch_event(rows, position, event, facts, dirty)  # type: ignore[arg-type]
                current = record.branch
                branch, years = facts[current], dirty[current]
                continue
            apply(branch, record)  # type: ignore[arg-type]  # as ``branch_event`` does
            # the record's own year: over a whole stream, the union of these is the union
            # of ``affected_years`` (see ``_ON_YEAR``)
            if rtype in on_year:
                years.add(record.on.year)  # type: ignore[union-attr]
            elif rtype not in no_year:
                year = getattr(record, "year", None)
                if isinstance(year, int):
                    years.add(year)  # type: ignore[union-attr]
        return {
            "branches": rows.branches,
            "secretaries": rows.secretaries,
            "awards": rows.awards,
            **branch_rows(facts, dirty, in_force),
        }

    def branch_event(
        self,
        rows: Rows,
        position: int,
        event: BranchEvent,
        facts: dict[str, BranchFacts],
        dirty: dict[str, set[int]],
    ) -> None:
        record = event.record
        code = record.branch
        rtype = type(record)
        if rtype is r.BranchRegisteredRecord:
            assert isinstance(record, r.BranchRegisteredRecord)
            facts[code] = new_facts(record)
            dirty.setdefault(code, set())  # registered: no year to judge yet
            rows.branches.append(
                (
                    code,
                    record.name,
                    record.kind,
                    record.county,
                    record.township,
                    record.households,
                    record.population,
                    record.on.isoformat(),
                    position,
                )
            )
            return
        branch = facts.get(code)
        if branch is None:
            raise LookupError(f"projection: event {record.id} of unregistered branch {code}")
        apply(branch, record)
        dirty[code].update(affected_years(branch, record))
        if rtype is r.SecretaryAppointedRecord:
            assert isinstance(record, r.SecretaryAppointedRecord)
            rows.secretaries.append(
                (
                    code,
                    position,
                    record.on.isoformat(),
                    record.person,
                    int(record.civil_servant),
                    record.id,
                )
            )
        elif rtype is r.RatingAwardedRecord:
            assert isinstance(record, r.RatingAwardedRecord)
            rows.awards.append(
                (
                    record.year,
                    code,
                    record.id,
                    json.dumps(record.stars),
                    record.by,
                    record.on.isoformat(),
                    position,
                    event.timestamp.isoformat(),
                )
            )

    def _find_facts(
        self, w: ViewWriter, code: str, batch: Sequence[Positioned], facts: dict[str, BranchFacts]
    ) -> None:
        """Put the facts of ``code``, a branch the batch meets for the first time, in
        ``facts``: cached, else stored. The first branch of a batch found in neither the
        cache nor ``facts`` reads the stored facts of every such branch of the batch, in a
        few queries (with every branch cached, nothing is read and the batch is not even
        scanned for its branches)."""
        cached = self._cache.get(code)
        if cached is not None:
            facts[code] = cached
            return
        if self._stored_looked_up:
            return  # not stored either: ``branch_event`` says so
        self._stored_looked_up = True
        codes = {e.record.branch for _, e in batch if type(e) not in _NO_FACTS_TO_LOAD}  # type: ignore[attr-defined]
        missing = sorted(codes - facts.keys() - self._cache.keys())
        for i in range(0, len(missing), 500):
            chunk = missing[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in w.fetch(
                f"SELECT code, facts FROM {{p}}branch_facts WHERE code IN ({marks})", chunk
            ):
                facts[row["code"]] = decode_branch_facts(bytes(row["facts"]))

    def write_branches(
        self,
        w: ViewWriter,
        facts: dict[str, BranchFacts],
        dirty: dict[str, set[int]],
        in_force: dict[int, str],
    ) -> None:
        for table, rows in branch_rows(facts, dirty, in_force).items():
            w.upsert(table, rows)

    def _reevaluate_year(
        self, w: ViewWriter, year: int, in_force: dict[int, str], done: set[str]
    ) -> None:
        """A new rulebook for ``year``: judge every stored branch-year again."""
        rows = w.fetch(
            "SELECT f.code, f.facts, b.county, b.township FROM {p}year_facts f "
            "JOIN {p}branches b ON b.code = f.code WHERE f.year = ?",
            (year,),
        )
        out = []
        for row in rows:
            if row["code"] in done:
                continue
            sliced = decode_year_facts(bytes(row["facts"]))
            result = evaluate_under(sliced, in_force)
            place = BranchFacts(
                code=row["code"], kind=sliced.kind, county=row["county"], township=row["township"]
            )
            out.append(eligibility_row(place, result))
        w.upsert("eligibility", out)


# Record types with rows of their own (``branch_event``): every other one only folds.
_ROW_TYPES = frozenset(
    (r.BranchRegisteredRecord, r.SecretaryAppointedRecord, r.RatingAwardedRecord)
)
# A record's own year for ``stream_rows``: the year of its date (these types), none (the
# years of these are years some earlier record of the stream already made its own: a
# retraction's incident's, a weak spell's years with facts), else its ``year``. Every year
# ``BranchFacts.years`` holds is some folded record's own year, and ``affected_years`` gives
# a record's own year plus years ``BranchFacts.years`` held before it: so over a whole
# stream the own years and the affected years have the same union, without building a set
# per event (the property test compares the rebuilt rows with the incremental ones).
_ON_YEAR = frozenset(
    (r.IncidentRecordedRecord, r.MemberDevelopedRecord, r.MeetingHeldRecord, r.HonorGrantedRecord)
)
_NO_YEAR = frozenset(
    (r.IncidentRetractedRecord, r.WeaknessDesignatedRecord, r.WeaknessLiftedRecord)
) | frozenset(rtype for rtype, folder in FACT_FOLDERS.items() if folder is None)


def branch_rows(
    facts: dict[str, BranchFacts], dirty: dict[str, set[int]], in_force: dict[int, str]
) -> dict[str, Sequence[tuple[object, ...]]]:
    """The facts of each dirty branch, and the facts and judgement of each dirty year."""
    year_rows, eligibility_rows = [], []
    for code, years in dirty.items():
        branch = facts[code]
        for year in sorted(years):
            sliced = year_slice(branch, year)
            year_rows.append((year, code, encode_facts(sliced)))
            eligibility_rows.append(eligibility_row(branch, evaluate_under(sliced, in_force)))
    return {
        "branch_facts": [(code, encode_facts(facts[code])) for code in dirty],
        "year_facts": year_rows,
        "eligibility": eligibility_rows,
    }


class Rows:
    """Rows of a batch, written with one statement per table."""

    def __init__(self) -> None:
        self.branches: list[tuple[object, ...]] = []
        self.secretaries: list[tuple[object, ...]] = []
        self.awards: list[tuple[object, ...]] = []
        self.adoptions: list[tuple[object, ...]] = []

    def adoption(self, position: int, event: RulebookAdopted) -> None:
        self.adoptions.append(
            (
                position,
                event.year,
                event.rulebook,
                event.reason,
                event.recorder,
                event.timestamp.isoformat(),
            )
        )

    def write(self, w: ViewWriter) -> None:
        w.upsert("branches", self.branches)
        w.upsert("secretaries", self.secretaries)
        w.upsert("awards", self.awards)
        w.upsert("adoptions", self.adoptions)


def replay(events: Iterable[Positioned]) -> tuple[dict[str, BranchFacts], dict[int, str]]:
    """Fold events in memory (the as-of replay): facts per branch and rulebooks in force."""
    facts: dict[str, BranchFacts] = {}
    adoptions: list[tuple[int, str]] = []
    for _, event in events:
        if isinstance(event, RulebookAdopted):
            adoptions.append((event.year, event.rulebook))
        elif isinstance(event, BranchEvent):
            record = event.record
            if isinstance(record, r.BranchRegisteredRecord):
                facts[record.branch] = new_facts(record)
            elif record.branch in facts:
                apply(facts[record.branch], record)
    return facts, adoptions_in_force(adoptions)


# 2: a working-mechanism report with a ``year`` (staffing, facilities) no longer writes a
# year row, which a weak spell recorded later left stale (version 1 rows may be).
READ_MODEL = ReadModel(NAME, TABLES, LedgerProjection, version=2)
