"""The facts a rulebook judges, folded from a branch's records in ledger order.

One fold (``apply``) serves the Branch aggregate (to check an award), the eligibility
projection (to build its read model) and the as-of replay, so what counts as "the latest
value" or "a retracted incident" is decided in one place. ``year_slice`` cuts out what the
evaluation of one rating year needs; the projection stores those slices so that another
rulebook can be evaluated without replaying the event store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, get_args

import msgspec
from msgspec import Struct, field

from domain.model.records import (
    AnyRecord,
    BranchRegisteredRecord,
    CriterionAttestedRecord,
    DesignationGrantedRecord,
    DesignationRevokedRecord,
    HonorGrantedRecord,
    IncidentRecordedRecord,
    IncidentRetractedRecord,
    MeetingHeldRecord,
    MemberDevelopedRecord,
    MetricReportedRecord,
    PlanSetRecord,
    RatingAwardedRecord,
    RatingDeclaredRecord,
    RatingRecommendedRecord,
    Record,
    WeaknessDesignatedRecord,
    WeaknessLiftedRecord,
)
from domain.model.rulebook import honour_reach


class Incident(Struct, gc=False, kw_only=True):
    id: str
    category: str
    on: date
    retracted_by: str | None = None


class Reported(Struct, gc=False, kw_only=True):
    id: str
    value: float


class Attestation(Struct, gc=False, kw_only=True):
    id: str
    met: bool
    by: str


class Designation(Struct, gc=False, kw_only=True):
    id: str
    held: bool


class Plan(Struct, gc=False, kw_only=True):
    id: str
    target: int


class Honour(Struct, gc=False, kw_only=True):
    id: str
    on: date
    kind: str
    level: str
    recipient: str


class Meeting(Struct, gc=False, kw_only=True):
    id: str
    kind: str
    month: int


class Spell(Struct, gc=False, kw_only=True):
    """A weak-and-lax spell [designated_on, lifted_on): not weak on the lift's date."""

    designated_id: str
    designated_on: date
    lifted_id: str | None = None
    lifted_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.designated_on <= day and (self.lifted_on is None or day < self.lifted_on)

    def overlaps_year(self, year: int) -> bool:
        return self.designated_on <= date(year, 12, 31) and (
            self.lifted_on is None or self.lifted_on > date(year, 1, 1)
        )


class BranchFacts(Struct, gc=False, kw_only=True):
    code: str
    kind: str
    county: str = ""
    township: str = ""
    incidents: dict[str, Incident] = field(default_factory=dict)
    metrics: dict[int, dict[str, Reported]] = field(default_factory=dict)
    attestations: dict[int, dict[str, Attestation]] = field(default_factory=dict)
    designations: dict[int, dict[str, Designation]] = field(default_factory=dict)
    plans: dict[int, Plan] = field(default_factory=dict)
    members: dict[int, list[str]] = field(default_factory=dict)
    honours: list[Honour] = field(default_factory=list)
    meetings: dict[int, list[Meeting]] = field(default_factory=dict)
    spells: list[Spell] = field(default_factory=list)
    rated_years: set[int] = field(default_factory=set)

    def open_spell(self) -> Spell | None:
        return self.spells[-1] if self.spells and self.spells[-1].lifted_on is None else None

    def years(self) -> set[int]:
        """Rating years for which this branch has facts of their own (a stored row each);
        other years are judged on demand from the branch's facts."""
        years = {i.on.year for i in self.incidents.values()} | self.rated_years
        for bucket in (self.metrics, self.attestations, self.designations, self.plans):
            years.update(bucket)
        years.update(self.members)
        years.update(self.meetings)
        years.update(h.on.year for h in self.honours)  # an honour writes its own year's row
        return years


class YearFacts(Struct, gc=False, kw_only=True):
    """Everything the evaluation of one branch-year needs, and nothing else."""

    branch: str
    year: int
    kind: str
    incidents: list[Incident] = field(default_factory=list)
    metrics: dict[str, Reported] = field(default_factory=dict)
    previous_metrics: dict[str, Reported] = field(default_factory=dict)
    attestations: dict[str, Attestation] = field(default_factory=dict)
    designations: dict[str, Designation] = field(default_factory=dict)
    plan: Plan | None = None
    members: list[str] = field(default_factory=list)
    honours: list[Honour] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    spells: list[Spell] = field(default_factory=list)


def new_facts(registration: BranchRegisteredRecord) -> BranchFacts:
    return BranchFacts(
        code=registration.branch,
        kind=registration.kind,
        county=registration.county,
        township=registration.township,
    )


def apply(facts: BranchFacts, record: Record) -> None:
    """Fold one accepted record into the facts (later in ledger order wins)."""
    handler = _HANDLERS.get(type(record))
    if handler is not None:
        handler(facts, record)


def _incident(f: BranchFacts, r: IncidentRecordedRecord) -> None:
    f.incidents[r.id] = Incident(id=r.id, category=r.category, on=r.on)


def _retraction(f: BranchFacts, r: IncidentRetractedRecord) -> None:
    f.incidents[r.ref].retracted_by = r.id


def _metric(f: BranchFacts, r: MetricReportedRecord) -> None:
    f.metrics.setdefault(r.year, {})[r.metric] = Reported(id=r.id, value=r.value)


def _attestation(f: BranchFacts, r: CriterionAttestedRecord) -> None:
    f.attestations.setdefault(r.year, {})[r.criterion] = Attestation(id=r.id, met=r.met, by=r.by)


def _granted(f: BranchFacts, r: DesignationGrantedRecord) -> None:
    f.designations.setdefault(r.year, {})[r.designation] = Designation(id=r.id, held=True)


def _revoked(f: BranchFacts, r: DesignationRevokedRecord) -> None:
    f.designations.setdefault(r.year, {})[r.designation] = Designation(id=r.id, held=False)


def _plan(f: BranchFacts, r: PlanSetRecord) -> None:
    f.plans[r.year] = Plan(id=r.id, target=r.target)


def _member(f: BranchFacts, r: MemberDevelopedRecord) -> None:
    f.members.setdefault(r.on.year, []).append(r.id)


def _honour(f: BranchFacts, r: HonorGrantedRecord) -> None:
    f.honours.append(Honour(id=r.id, on=r.on, kind=r.kind, level=r.level, recipient=r.recipient))


def _meeting(f: BranchFacts, r: MeetingHeldRecord) -> None:
    f.meetings.setdefault(r.on.year, []).append(Meeting(id=r.id, kind=r.kind, month=r.on.month))


def _rated(
    f: BranchFacts, r: RatingDeclaredRecord | RatingRecommendedRecord | RatingAwardedRecord
) -> None:
    f.rated_years.add(r.year)


def _designated(f: BranchFacts, r: WeaknessDesignatedRecord) -> None:
    f.spells.append(Spell(designated_id=r.id, designated_on=r.on))


def _lifted(f: BranchFacts, r: WeaknessLiftedRecord) -> None:
    spell = f.open_spell()
    if spell is not None:
        spell.lifted_id = r.id
        spell.lifted_on = r.on


_HANDLERS: dict[type, Callable[[BranchFacts, Any], None]] = {
    IncidentRecordedRecord: _incident,
    IncidentRetractedRecord: _retraction,
    MetricReportedRecord: _metric,
    CriterionAttestedRecord: _attestation,
    DesignationGrantedRecord: _granted,
    DesignationRevokedRecord: _revoked,
    PlanSetRecord: _plan,
    MemberDevelopedRecord: _member,
    HonorGrantedRecord: _honour,
    MeetingHeldRecord: _meeting,
    WeaknessDesignatedRecord: _designated,
    WeaknessLiftedRecord: _lifted,
    RatingDeclaredRecord: _rated,
    RatingRecommendedRecord: _rated,
    RatingAwardedRecord: _rated,
}


def affected_years(facts: BranchFacts, record: Record) -> set[int]:
    """Stored rating years whose evaluation may change once ``record`` is folded in: its own
    year, plus later years it reaches (growth, the honour window, a weak spell) that have
    facts of their own. A record the facts do not hold (a working-mechanism report with a
    ``year``) names no year: a row for it would not be rewritten by a later record that
    reaches that year (a weak spell), since it is no year of ``BranchFacts.years``."""
    kind = type(record)
    if kind not in _HANDLERS:
        return set()
    if kind is MetricReportedRecord:
        year = record.year  # type: ignore[attr-defined]
        return {year, year + 1} if has_year(facts, year + 1) else {year}
    if kind is HonorGrantedRecord:
        year = record.on.year
        return {year} | (set(range(year + 1, year + honour_reach())) & facts.years())
    if kind in _OWN_DATE_YEAR:
        return {record.on.year}
    if kind is IncidentRetractedRecord:
        incident = facts.incidents.get(record.ref)  # type: ignore[attr-defined]
        return {incident.on.year} if incident else set()
    if kind is WeaknessDesignatedRecord or kind is WeaknessLiftedRecord:
        # A lift changes the exclusion (its detail and evidence) of every year of the spell
        # it ends, back to the designation's, however long ago that was.
        start = record.on.year - 1
        if kind is WeaknessLiftedRecord and facts.spells:
            start = min(start, facts.spells[-1].designated_on.year)
        return {y for y in facts.years() if y >= start}
    year = getattr(record, "year", None)
    return {year} if isinstance(year, int) else set()


_OWN_DATE_YEAR = frozenset({IncidentRecordedRecord, MemberDevelopedRecord, MeetingHeldRecord})


def has_year(facts: BranchFacts, year: int) -> bool:
    """``year in facts.years()``, without building the set (a metric asks it of the next
    year every time: most branch-years have metrics)."""
    if (
        year in facts.rated_years
        or year in facts.metrics
        or year in facts.attestations
        or year in facts.designations
        or year in facts.plans
        or year in facts.members
        or year in facts.meetings
    ):
        return True
    for incident in facts.incidents.values():
        if incident.on.year == year:
            return True
    return bool(facts.honours) and any(honour.on.year == year for honour in facts.honours)


# ``apply`` and ``affected_years`` in one call per record, keyed by the record's type: the
# eligibility projection's hot path (``fold_into``). Each entry folds the record into the
# facts and adds to ``years`` exactly the years ``affected_years`` gives once it is folded;
# None: the record changes no fact and names no year.
Folder = Callable[[BranchFacts, Any, set[int]], None]


def _apply_then_years(facts: BranchFacts, record: Record, years: set[int]) -> None:
    apply(facts, record)
    years.update(affected_years(facts, record))


def _fold_own_year(handler: Callable[[BranchFacts, Any], None]) -> Folder:
    def fold(facts: BranchFacts, record: Any, years: set[int]) -> None:
        handler(facts, record)
        years.add(record.year)

    return fold


def _fold_date_year(handler: Callable[[BranchFacts, Any], None]) -> Folder:
    def fold(facts: BranchFacts, record: Any, years: set[int]) -> None:
        handler(facts, record)
        years.add(record.on.year)

    return fold


def _fold_metric(f: BranchFacts, r: MetricReportedRecord, years: set[int]) -> None:
    _metric(f, r)
    years.add(r.year)
    if has_year(f, r.year + 1):
        years.add(r.year + 1)


def _fold_meeting(f: BranchFacts, r: MeetingHeldRecord, years: set[int]) -> None:
    """``_meeting`` and its year, inline: a third of a ledger's records are meetings."""
    on = r.on
    year = on.year
    meeting = Meeting(id=r.id, kind=r.kind, month=on.month)
    held = f.meetings.get(year)
    if held is None:
        f.meetings[year] = [meeting]
    else:
        held.append(meeting)
    years.add(year)


def _fold_retraction(f: BranchFacts, r: IncidentRetractedRecord, years: set[int]) -> None:
    incident = f.incidents[r.ref]
    incident.retracted_by = r.id
    years.add(incident.on.year)


def _folders() -> dict[type, Folder | None]:
    """Every record type's entry; the rare or intricate ones fall back to the two calls."""
    table: dict[type, Folder | None] = {}
    for rtype in get_args(AnyRecord):
        handler = _HANDLERS.get(rtype)
        if rtype is MetricReportedRecord:
            table[rtype] = _fold_metric
        elif rtype is MeetingHeldRecord:
            table[rtype] = _fold_meeting
        elif rtype is IncidentRetractedRecord:
            table[rtype] = _fold_retraction
        elif handler is not None and rtype in _OWN_DATE_YEAR:
            table[rtype] = _fold_date_year(handler)
        elif handler is not None and "year" in rtype.__struct_fields__ and rtype not in _SPECIAL:
            table[rtype] = _fold_own_year(handler)
        elif handler is None and rtype not in _SPECIAL:
            table[rtype] = None  # no fact, so no year (``affected_years``)
        else:
            table[rtype] = _apply_then_years
    return table


_SPECIAL = frozenset({HonorGrantedRecord, WeaknessDesignatedRecord, WeaknessLiftedRecord})
FACT_FOLDERS: dict[type, Folder | None] = _folders()


def fold_into(facts: BranchFacts, record: Record, years: set[int]) -> None:
    """``apply(facts, record)``, then add ``affected_years(facts, record)`` to ``years``."""
    folder = FACT_FOLDERS.get(type(record), _apply_then_years)
    if folder is not None:
        folder(facts, record, years)


def year_slice(facts: BranchFacts, year: int) -> YearFacts:
    """The part of the branch's facts that the evaluation of ``year`` reads."""
    end = date(year, 12, 31)
    return YearFacts(
        branch=facts.code,
        year=year,
        kind=facts.kind,
        incidents=[
            i for i in facts.incidents.values() if i.on.year == year and i.retracted_by is None
        ],
        metrics=dict(facts.metrics.get(year, {})),
        previous_metrics=dict(facts.metrics.get(year - 1, {})),
        attestations=dict(facts.attestations.get(year, {})),
        designations=dict(facts.designations.get(year, {})),
        plan=facts.plans.get(year),
        members=list(facts.members.get(year, [])),
        honours=[h for h in facts.honours if h.on <= end],
        meetings=list(facts.meetings.get(year, [])),
        spells=[s for s in facts.spells if s.designated_on <= end],
    )


_facts_encoder = msgspec.msgpack.Encoder()
_branch_decoder = msgspec.msgpack.Decoder(BranchFacts)
_year_decoder = msgspec.msgpack.Decoder(YearFacts)


def encode_facts(facts: BranchFacts | YearFacts) -> bytes:
    return _facts_encoder.encode(facts)


def decode_branch_facts(data: bytes) -> BranchFacts:
    return _branch_decoder.decode(data)


def decode_year_facts(data: bytes) -> YearFacts:
    return _year_decoder.decode(data)
