"""Compliance with the working mechanisms (mechanisms.md §2): a pure function of a branch's
mechanism facts for a year Y and a business date D.

The facts are folded per branch (``MechanismFacts``, every year) and cut per branch-year
(``ComplianceYear``: the registers, which state checks judge on any date, and the one bucket
of dated items Y needs). ``judge`` reads only records dated on or before D:

- a **period** (quarter, month, ISO week of ISO week-year Y, the year, the two-year window) is
  due when it ended on or before D; a linkage month M is due from the 5th of the month after;
- a **state check** is judged on S = min(D, Y-12-31) against the registers' state that day;
- arithmetic is exact: counts are integers and reported numbers are compared as the decimal
  the record was written with (``Decimal(repr(x))``), never after a float multiplication.

ADR 0015 says why it is stored this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import Struct, field

from domain.model import records as r
from domain.model.registers import Cooperative, Grid, Partner, fold

if TYPE_CHECKING:
    from domain.model.parameters import MechanismStandards

# ----------------------------------------------------------------------- facts


class Dated(Struct, gc=False, array_like=True):
    """A meeting, activity or member development: what the periodic checks count."""

    seq: int  # ledger order within the branch (the event's version)
    id: str
    on: date
    kind: str
    grid: str = ""


class Linkage(Struct, gc=False, array_like=True):
    seq: int
    id: str
    on: date
    month: str
    households: int
    households_linked: int
    members: int
    members_exempt: int
    members_linking: int
    members_contacting_weekly: int

    @property
    def complete(self) -> bool:
        """每户有1名党员联系; every member but the exempt takes part; each weekly."""
        return (
            self.households_linked == self.households
            and self.members_linking >= self.members - self.members_exempt
            and self.members_contacting_weekly == self.members_linking
        )


class Reported(Struct, gc=False, array_like=True):
    """A ``facility.reported`` (``what`` = the facility) or ``staffing.reported``."""

    seq: int
    id: str
    on: date
    what: str
    value: float
    workers: int = 0
    social_insurance: bool = False
    housing_fund: bool = False


class Bucket(Struct, gc=False, kw_only=True):
    """The dated items compliance of one year reads (ledger order within each list)."""

    meetings: list[Dated] = field(default_factory=list)
    activities: list[Dated] = field(default_factory=list)
    linkage: list[Linkage] = field(default_factory=list)
    facilities: list[Reported] = field(default_factory=list)
    staffing: list[Reported] = field(default_factory=list)
    wealth_leaders: list[Dated] = field(default_factory=list)


class Place(Struct, gc=False, kw_only=True):
    code: str
    kind: str
    county: str
    township: str
    households: int
    population: int


class MechanismFacts(Struct, gc=False, kw_only=True):
    """Everything the compliance read model folds for one branch, every year."""

    place: Place
    grids: dict[str, Grid] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    buckets: dict[int, Bucket] = field(default_factory=dict)


class ComplianceYear(Struct, gc=False, kw_only=True):
    """One branch-year of the read model: what ``judge`` needs for Y, and nothing else."""

    year: int
    place: Place
    grids: dict[str, Grid] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    bucket: Bucket = field(default_factory=Bucket)


def new_mechanism_facts(record: r.BranchRegisteredRecord) -> MechanismFacts:
    return MechanismFacts(
        place=Place(
            code=record.branch,
            kind=record.kind,
            county=record.county,
            township=record.township,
            households=record.households,
            population=record.population,
        )
    )


REGISTER_TYPES = (
    r.GridDefinedRecord,
    r.GridRetiredRecord,
    r.PartnerJoinedRecord,
    r.PartnerLeftRecord,
    r.CooperativeBoundRecord,
    r.CooperativeUnboundRecord,
)


def fold_mechanism(facts: MechanismFacts, record: r.Record, seq: int) -> Iterable[int]:
    """Fold one accepted record; return the years whose stored slice it changes (for a
    register record: its year and every other year with a bucket of its own)."""
    folder = FOLDERS.get(type(record))
    return folder(facts, record, seq) if folder is not None else ()


def _bucket(facts: MechanismFacts, year: int) -> Bucket:
    """The year's bucket, made when it has none, decoded when still stored (see
    ``decode_facts_lazily``)."""
    bucket: Any = facts.buckets.get(year)
    if bucket is None:
        bucket = facts.buckets[year] = Bucket()
    elif type(bucket) is not Bucket:
        bucket = facts.buckets[year] = _bucket_decoder.decode(bucket)
    return bucket


def _register(facts: MechanismFacts, record: r.Record, seq: int) -> Iterable[int]:
    fold(_RegisterView(facts), record, facts.place.kind, seq)  # type: ignore[arg-type]
    year = record.on.year
    # The record's year gets a slice, so it gets a bucket. Every slice holds the whole
    # registers (``year_of``), so every stored one is rewritten: a record dated after an
    # earlier year's slice leaves that year's judgement alone (it reads days up to its
    # 31 December) but not its row, which a rebuild would cut with the record in it.
    _bucket(facts, year)
    return list(facts.buckets)


def _meeting(facts: MechanismFacts, record: r.MeetingHeldRecord, seq: int) -> Iterable[int]:
    """A meeting counts in its year; a briefing also in its ISO week-year (late December or
    early January)."""
    on = record.on
    year = on.year
    item = Dated(seq, record.id, on, record.kind)
    bucket = facts.buckets.get(year)  # ``_bucket``, inline: a third of the records land here
    if type(bucket) is not Bucket:
        bucket = _bucket(facts, year)
    bucket.meetings.append(item)
    if record.kind == "two_committee_briefing":
        iso_year = on.isocalendar()[0]
        if iso_year != year:
            _bucket(facts, iso_year).meetings.append(item)
            return (year, iso_year)
    return (year,)


def _activity(facts: MechanismFacts, record: r.ActivityHeldRecord, seq: int) -> Iterable[int]:
    on = record.on
    year = on.year
    bucket = facts.buckets.get(year)  # ``_bucket``, inline
    if type(bucket) is not Bucket:
        bucket = _bucket(facts, year)
    bucket.activities.append(Dated(seq, record.id, on, record.kind, record.grid))
    return (year,)


def _linkage(facts: MechanismFacts, record: r.LinkageReportedRecord, seq: int) -> Iterable[int]:
    year = int(record.month[:4])
    _bucket(facts, year).linkage.append(
        Linkage(
            seq,
            record.id,
            record.on,
            record.month,
            record.households,
            record.households_linked,
            record.members,
            record.members_exempt,
            record.members_linking,
            record.members_contacting_weekly,
        )
    )
    return (year,)


def _facility(facts: MechanismFacts, record: r.FacilityReportedRecord, seq: int) -> Iterable[int]:
    item = Reported(seq, record.id, record.on, record.facility, record.value)
    _bucket(facts, record.year).facilities.append(item)
    return (record.year,)


def _staffing(facts: MechanismFacts, record: r.StaffingReportedRecord, seq: int) -> Iterable[int]:
    item = Reported(
        seq,
        record.id,
        record.on,
        "staffing",
        record.lowest_pay,
        record.workers,
        record.social_insurance,
        record.housing_fund,
    )
    _bucket(facts, record.year).staffing.append(item)
    return (record.year,)


def _member(facts: MechanismFacts, record: r.MemberDevelopedRecord, seq: int) -> Iterable[int]:
    """A wealth leader counts in the two-year windows ending in its year and the next."""
    if not record.wealth_leader:
        return ()
    item = Dated(seq, record.id, record.on, "wealth_leader")
    year = record.on.year
    _bucket(facts, year).wealth_leaders.append(item)
    _bucket(facts, year + 1).wealth_leaders.append(item)
    return (year, year + 1)


class _RegisterView:
    """The three registers of ``MechanismFacts`` under the names ``registers.fold`` uses."""

    def __init__(self, facts: MechanismFacts) -> None:
        self.grids = facts.grids
        self.partners = facts.partners
        self.cooperatives = facts.cooperatives


FOLDERS: dict[type, Callable[[MechanismFacts, Any, int], Iterable[int]]] = {
    r.MeetingHeldRecord: _meeting,
    r.ActivityHeldRecord: _activity,
    r.LinkageReportedRecord: _linkage,
    r.FacilityReportedRecord: _facility,
    r.StaffingReportedRecord: _staffing,
    r.MemberDevelopedRecord: _member,
    **{rtype: _register for rtype in REGISTER_TYPES},
}


def year_of(facts: MechanismFacts, year: int) -> ComplianceYear:
    """The branch-year slice stored by the read model (or cut on demand)."""
    bucket: Bucket | msgspec.Raw | None = facts.buckets.get(year)
    if bucket is None:
        bucket = Bucket()
    elif type(bucket) is not Bucket:
        bucket = _bucket_decoder.decode(bucket)  # type: ignore[arg-type]
    return ComplianceYear(
        year=year,
        place=facts.place,
        grids=facts.grids,
        partners=facts.partners,
        cooperatives=facts.cooperatives,
        bucket=bucket,
    )


class _StoredFacts(Struct, gc=False, kw_only=True):
    """``MechanismFacts`` as stored (the same fields, in the same order), each year's bucket
    left encoded: ``msgspec.Raw`` is the bucket's own bytes, decoded by ``_bucket`` when a
    fold needs it and encoded back verbatim."""

    place: Place
    grids: dict[str, Grid] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    buckets: dict[int, msgspec.Raw] = field(default_factory=dict)


_encoder = msgspec.msgpack.Encoder()
_facts_decoder = msgspec.msgpack.Decoder(MechanismFacts)
_year_decoder = msgspec.msgpack.Decoder(ComplianceYear)
_stored_decoder = msgspec.msgpack.Decoder(_StoredFacts)
_bucket_decoder = msgspec.msgpack.Decoder(Bucket)


def encode_rows(facts: MechanismFacts, years: Iterable[int]) -> tuple[bytes, list[bytes]]:
    """``encode(facts)`` and ``encode(year_of(facts, y))`` for each of ``years``, byte for
    byte, with the place, the registers and each bucket encoded once (``msgspec.Raw``)
    rather than once per row that holds them."""
    shared: dict[str, Any] = {
        "place": _raw(facts.place),
        "grids": _raw(facts.grids),
        "partners": _raw(facts.partners),
        "cooperatives": _raw(facts.cooperatives),
    }
    buckets: dict[int, Any] = dict(facts.buckets)
    slices = []
    for year in years:
        bucket: Any = buckets.get(year)
        if bucket is None:
            bucket = _raw(Bucket())  # the slice of a year with no bucket
        elif type(bucket) is Bucket:
            bucket = buckets[year] = _raw(bucket)
        slices.append(_encoder.encode(ComplianceYear(year=year, bucket=bucket, **shared)))
    return _encoder.encode(MechanismFacts(buckets=buckets, **shared)), slices


def _raw(obj: Any) -> msgspec.Raw:
    return msgspec.Raw(_encoder.encode(obj))


def decode_facts_lazily(data: bytes) -> MechanismFacts:
    """A branch's stored fold for folding more records into and encoding back: only the
    buckets of the years folded into get decoded (a batch of a year-ordered ledger touches
    a year or two of a branch, whose row holds every year), and the encoding is
    byte-for-byte what the whole decode would give. Its ``buckets`` may hold
    ``msgspec.Raw`` values: read them through ``_bucket``/``year_of`` only."""
    stored = _stored_decoder.decode(data)
    return MechanismFacts(
        place=stored.place,
        grids=stored.grids,
        partners=stored.partners,
        cooperatives=stored.cooperatives,
        buckets=stored.buckets,  # type: ignore[arg-type]
    )


def encode(obj: MechanismFacts | ComplianceYear) -> bytes:
    return _encoder.encode(obj)


def decode_facts(data: bytes) -> MechanismFacts:
    return _facts_decoder.decode(data)


def decode_year(data: bytes) -> ComplianceYear:
    return _year_decoder.decode(data)


# --------------------------------------------------------------------- results


class Requirement(Struct, gc=False, kw_only=True):
    requirement: str
    status: str
    due: int
    held: int
    missing: list[str]
    warnings: list[str]
    evidence: list[str]


class Compliance(Struct, gc=False, kw_only=True):
    branch: str
    year: int
    on: date
    kind: str
    requirements: list[Requirement]


# The requirements in output order: id, kinds, label (Chinese) and period word.
REQUIREMENTS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("party_congress_quarterly", ("village", "community"), "党员大会", "每季度"),
    ("party_lesson_quarterly", ("village", "community"), "党课", "每季度"),
    ("theme_day_monthly", ("village", "community"), "主题党日", "每月"),
    ("org_life_yearly", ("village", "community"), "组织生活会", "每年"),
    ("briefing_weekly", ("village",), "支部会商", "每周"),
    ("linkage_monthly", ("village",), "党员联户", "每月"),
    ("wealth_leader_biennial", ("village",), "发展致富能手", "每2年"),
    ("dual_binding_register", ("village",), "双绑台账", "状态"),
    ("public_toilets", ("village",), "公共厕所", "每{people_per_public_toilet}人1座"),
    ("emergency_drill_yearly", ("community",), "应急演练", "每年"),
    ("grid_standard", ("community",), "网格设置", "状态"),
    ("door_knocking_monthly", ("community",), "敲门行动", "每月每网格"),
    ("joint_building_partners", ("community",), "党建联建", "状态"),
    (
        "service_centre_area",
        ("community",),
        "服务中心面积",
        "每百户{service_centre_m2_per_100_households}㎡",
    ),
)
LABELS = {rid: (label, period) for rid, _, label, period in REQUIREMENTS}


def labels(standards: MechanismStandards) -> dict[str, tuple[str, str]]:
    """Each requirement's Chinese label and period word, with the standards' figures in."""
    figures = standards.model_dump()
    return {rid: (label, period.format(**figures)) for rid, (label, period) in LABELS.items()}


class _Tally:
    """Due periods of one requirement: which were satisfied, and by what."""

    def __init__(self) -> None:
        self.due = 0
        self.held = 0
        self.missing: list[str] = []
        self.warnings: list[str] = []
        self.evidence: list[tuple[int, str]] = []
        self.all_due = True

    def period(self, label: str, is_due: bool, satisfied_by: Iterable[tuple[int, str]]) -> None:
        if not is_due:
            self.all_due = False
            return
        self.due += 1
        found = list(satisfied_by)
        if found:
            self.held += 1
            self.evidence.extend(found)
        else:
            self.missing.append(label)

    def result(self, requirement: str) -> Requirement:
        if self.missing:
            status = "missed"
        elif self.all_due:
            status = "met"
        else:
            status = "pending"
        return Requirement(
            requirement=requirement,
            status=status,
            due=self.due,
            held=self.held,
            missing=self.missing,
            warnings=self.warnings,
            evidence=_ordered(self.evidence),
        )


def _ordered(evidence: Iterable[tuple[int, str]]) -> list[str]:
    """Record ids in ledger order, each once."""
    seen: dict[str, int] = {}
    for seq, rid in evidence:
        seen.setdefault(rid, seq)
    return [rid for rid, _ in sorted(seen.items(), key=lambda item: item[1])]


# ----------------------------------------------------------------------- periods


def quarters(year: int) -> list[tuple[str, date, date]]:
    out = []
    for q in range(4):
        start = date(year, 3 * q + 1, 1)
        out.append((f"{year}-Q{q + 1}", start, _month_end(year, 3 * q + 3)))
    return out


def months(year: int) -> list[tuple[str, date, date]]:
    return [(f"{year}-{m:02d}", date(year, m, 1), _month_end(year, m)) for m in range(1, 13)]


def iso_weeks(year: int) -> list[tuple[str, date, date]]:
    """ISO weeks of ISO week-year ``year``: W01..W52, or W53 when the year has one."""
    count = date(year, 12, 28).isocalendar()[1]  # 28 Dec is always in the last ISO week
    out = []
    for w in range(1, count + 1):
        monday = date.fromisocalendar(year, w, 1)
        out.append((f"{year}-W{w:02d}", monday, monday + timedelta(days=6)))
    return out


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _linkage_due_from(month_label: str, day: int) -> date:
    """A linkage month is due from ``day`` of the next month (the next theme day)."""
    year, month = int(month_label[:4]), int(month_label[5:])
    return date(year + month // 12, month % 12 + 1, day)


def _ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th ... 21st ... 28th."""
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def exact(value: float) -> Decimal:
    """The number as the record wrote it (shortest round-trip decimal of the float)."""
    return Decimal(repr(float(value)))


# ------------------------------------------------------------------------- judge


def judge(facts: ComplianceYear, on: date, standards: MechanismStandards) -> Compliance:
    """Every requirement of the branch's kind for ``facts.year`` as of ``on`` (= D), against
    the figures of ``standards``."""
    kind = facts.place.kind
    ctx = _Context(facts, on, standards)
    requirements = [
        _JUDGES[rid](ctx).result(rid) for rid, kinds, _, _ in REQUIREMENTS if kind in kinds
    ]
    return Compliance(
        branch=facts.place.code, year=facts.year, on=on, kind=kind, requirements=requirements
    )


class _Context:
    """The year's facts cut to records dated on or before D."""

    def __init__(self, facts: ComplianceYear, on: date, standards: MechanismStandards) -> None:
        self.facts = facts
        self.standards = standards
        self.year = facts.year
        self.on = on
        self.state_day = min(on, date(facts.year, 12, 31))
        b = facts.bucket
        self.meetings = [m for m in b.meetings if m.on <= on]
        self.activities = [a for a in b.activities if a.on <= on]
        self.linkage = [x for x in b.linkage if x.on <= on]
        self.facilities = [x for x in b.facilities if x.on <= on]
        self.wealth_leaders = [x for x in b.wealth_leaders if x.on <= on]
        self.year_end_due = date(facts.year, 12, 31) <= on

    def held(self, kind: str, start: date, end: date) -> list[tuple[int, str]]:
        return [(m.seq, m.id) for m in self.meetings if m.kind == kind and start <= m.on <= end]


def _meetings_per(
    kind: str, periods: Callable[[int], list[tuple[str, date, date]]]
) -> Callable[[_Context], _Tally]:
    def check(ctx: _Context) -> _Tally:
        tally = _Tally()
        for label, start, end in periods(ctx.year):
            tally.period(label, end <= ctx.on, ctx.held(kind, start, end))
        return tally

    return check


def _the_year(year: int) -> list[tuple[str, date, date]]:
    return [(str(year), date(year, 1, 1), date(year, 12, 31))]


def _theme_days(ctx: _Context) -> _Tally:
    tally = _Tally()
    day = ctx.standards.theme_day
    for label, start, end in months(ctx.year):
        due = end <= ctx.on
        held = [m for m in ctx.meetings if m.kind == "theme_day" and start <= m.on <= end]
        tally.period(label, due, [(m.seq, m.id) for m in held])
        if due:
            tally.warnings += [
                f"{label}: theme day on {m.on.isoformat()}, not the {_ordinal(day)}"
                for m in held
                if m.on.day != day
            ]
    return tally


def _linkage_judged(ctx: _Context) -> _Tally:
    tally = _Tally()
    registered = ctx.facts.place.households
    for label, _, _ in months(ctx.year):
        due = _linkage_due_from(label, ctx.standards.linkage_due_day) <= ctx.on
        judged = None
        for report in ctx.linkage:  # ledger order: the last one dated on or before D wins
            if report.month == label:
                judged = report
        ok = [(judged.seq, judged.id)] if judged is not None and judged.complete else []
        tally.period(label, due, ok)
        if due and judged is not None and judged.households != registered:
            tally.warnings.append(
                f"{label}: linkage report gives {judged.households} households, "
                f"registered {registered}"
            )
    return tally


def _wealth_leader(ctx: _Context) -> _Tally:
    tally = _Tally()
    start, end = date(ctx.year - 1, 1, 1), date(ctx.year, 12, 31)
    found = [(m.seq, m.id) for m in ctx.wealth_leaders if start <= m.on <= end]
    tally.period(f"{ctx.year - 1}-{ctx.year}", ctx.year_end_due, found)
    return tally


def _latest_figure(ctx: _Context, facility: str) -> Reported | None:
    latest = None
    for item in ctx.facilities:
        if item.what == facility:
            latest = item
    return latest


def _public_toilets(ctx: _Context) -> _Tally:
    tally = _Tally()
    per = ctx.standards.people_per_public_toilet
    needed = -(-ctx.facts.place.population // per)  # ceil(population / per)
    latest = _latest_figure(ctx, "public_toilets")
    ok = latest is not None and exact(latest.value) >= needed
    tally.period(str(ctx.year), ctx.year_end_due, [(latest.seq, latest.id)] if ok else [])  # type: ignore[union-attr]
    return tally


def _service_centre(ctx: _Context) -> _Tally:
    tally = _Tally()
    households = ctx.facts.place.households
    latest = _latest_figure(ctx, "service_centre_m2")
    per_100 = exact(ctx.standards.service_centre_m2_per_100_households)
    ok = latest is not None and exact(latest.value) * 100 >= per_100 * households
    tally.period(str(ctx.year), ctx.year_end_due, [(latest.seq, latest.id)] if ok else [])  # type: ignore[union-attr]
    return tally


def _activities(kind: str) -> Callable[[_Context], _Tally]:
    def check(ctx: _Context) -> _Tally:
        tally = _Tally()
        found = [(a.seq, a.id) for a in ctx.activities if a.kind == kind and a.on.year == ctx.year]
        tally.period(str(ctx.year), ctx.year_end_due, found)
        return tally

    return check


def _door_knocking(ctx: _Context) -> _Tally:
    tally = _Tally()
    grids = sorted(ctx.facts.grids)
    knocks = [a for a in ctx.activities if a.kind == "door_knocking"]
    for label, start, end in months(ctx.year):
        due = end <= ctx.on
        if not due:
            tally.all_due = False
            continue
        for g in grids:
            grid = ctx.facts.grids[g]
            if grid.state_on(start) is None or grid.state_on(end) is None:
                continue
            found = [(a.seq, a.id) for a in knocks if a.grid == g and start <= a.on <= end]
            tally.period(f"{g} {label}", True, found)
    return tally


def _state(tally: _Tally, reasons: list[str], evidence: list[tuple[int, str]]) -> _Tally:
    tally.due = 1
    if reasons:
        tally.missing = reasons
    else:
        tally.held = 1
        tally.evidence = evidence
    return tally


def _grid_standard(ctx: _Context) -> _Tally:
    tally = _Tally()
    day = ctx.state_day
    active = []
    for g in sorted(ctx.facts.grids):
        version = ctx.facts.grids[g].state_on(day)
        if version is not None:
            active.append((g, version))
    if not active:
        return _state(tally, ["no active grid (未设网格)"], [])
    standards = ctx.standards
    needed = standards.grid_full_time_workers
    reasons = [
        f"{g}: {v.full_time_workers} full-time grid workers, {needed} needed"
        if v.full_time_workers
        else f"{g}: no full-time grid worker"
        for g, v in active
        if v.full_time_workers < needed
    ]
    total = sum(v.households for _, v in active)
    registered = ctx.facts.place.households
    if total != registered:
        reasons.append(f"grids hold {total} households, registered {registered}")
    low, high = standards.grid_households_min, standards.grid_households_max
    tally.warnings = [
        f"{g}: {v.households} households, outside {low}-{high}"
        for g, v in active
        if not low <= v.households <= high
    ]
    return _state(tally, reasons, [(v.seq, v.id) for _, v in active])


def _partners(ctx: _Context) -> _Tally:
    tally = _Tally()
    evidence = []
    for p in sorted(ctx.facts.partners):
        spell = ctx.facts.partners[p].active_on(ctx.state_day)
        if spell is not None:
            evidence.append((spell.seq, spell.joined_id))
    reasons = [] if evidence else ["no active joint-building partner (无共建单位)"]
    return _state(tally, reasons, evidence)


def _dual_binding(ctx: _Context) -> _Tally:
    tally = _Tally()
    evidence = []
    for c in sorted(ctx.facts.cooperatives):
        binding = ctx.facts.cooperatives[c].state_on(ctx.state_day)
        if binding is not None and binding.enterprise:
            evidence.append((binding.seq, binding.id))
    reasons = [] if evidence else ["no cooperative bound to a leading enterprise"]
    return _state(tally, reasons, evidence)


_JUDGES: dict[str, Callable[[_Context], _Tally]] = {
    "party_congress_quarterly": _meetings_per("party_congress", quarters),
    "party_lesson_quarterly": _meetings_per("party_lesson", quarters),
    "theme_day_monthly": _theme_days,
    "org_life_yearly": _meetings_per("org_life", _the_year),
    "briefing_weekly": _meetings_per("two_committee_briefing", iso_weeks),
    "linkage_monthly": _linkage_judged,
    "wealth_leader_biennial": _wealth_leader,
    "dual_binding_register": _dual_binding,
    "public_toilets": _public_toilets,
    "emergency_drill_yearly": _activities("emergency_drill"),
    "grid_standard": _grid_standard,
    "door_knocking_monthly": _door_knocking,
    "joint_building_partners": _partners,
    "service_centre_area": _service_centre,
}


# ---------------------------------------------------------------------- staffing


class Staffing(Struct, gc=False, kw_only=True):
    """职业化 of one county for Y (mechanisms.md §2)."""

    county: str
    year: int
    communities: int
    workers: int
    urban_population: int | None
    per_10k: str | None
    meets_ratio: bool | None
    wage_floor: int | float | None
    below_wage: list[str] | None
    without_insurance: list[str]
    unreported: list[str]


def latest_staffing(facts: ComplianceYear) -> Reported | None:
    """The community's last ``staffing.reported`` for the year, in ledger order."""
    return facts.bucket.staffing[-1] if facts.bucket.staffing else None


def staffing(
    year: int,
    communities: Iterable[ComplianceYear],
    figures: Callable[[str], tuple[int | None, int | float | None]],
    standards: MechanismStandards,
) -> list[Staffing]:
    """One object per county that has communities, counties in code-point order;
    ``figures(county)`` gives (urban_population, wage_floor) for Y, either may be None;
    the ratio is judged against ``standards.workers_per_10k``."""
    by_county: dict[str, list[ComplianceYear]] = {}
    for f in communities:
        by_county.setdefault(f.place.county, []).append(f)
    return [
        _county_staffing(
            county,
            year,
            sorted(rows, key=lambda f: f.place.code),
            *figures(county),
            exact(standards.workers_per_10k),
        )
        for county, rows in sorted(by_county.items())
    ]


def _county_staffing(
    county: str,
    year: int,
    rows: list[ComplianceYear],
    urban: int | None,
    floor: int | float | None,
    per_10k_needed: Decimal,
) -> Staffing:
    workers = 0
    below: list[str] = []
    uninsured: list[str] = []
    unreported: list[str] = []
    for f in rows:
        report = latest_staffing(f)
        if report is None:
            unreported.append(f.place.code)
            continue
        workers += report.workers
        if floor is not None and exact(report.value) < exact(floor):
            below.append(f.place.code)
        if not (report.social_insurance and report.housing_fund):
            uninsured.append(f.place.code)
    return Staffing(
        county=county,
        year=year,
        communities=len(rows),
        workers=workers,
        urban_population=urban,
        per_10k=None if urban is None else per_10k(workers, urban),
        meets_ratio=None if urban is None else workers * 10_000 >= per_10k_needed * urban,
        wage_floor=floor,
        below_wage=None if floor is None else below,
        without_insurance=uninsured,
        unreported=unreported,
    )


def workers_short(workers: int, population: int, per_10k_needed: int | float) -> int:
    """How many more workers would meet the ratio (0 when it is met): the rounded ``per_10k``
    can read 18.00 while the exact comparison fails."""
    needed = (exact(per_10k_needed) * population / 10_000).to_integral_value(ROUND_CEILING)
    return max(0, int(needed) - workers)


def per_10k(workers: int, population: int) -> str:
    """workers × 10,000 / population, rounded half-up to 2 decimals, in integers."""
    hundredths, rest = divmod(workers * 10_000 * 100, population)
    if rest * 2 >= population:
        hundredths += 1
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def filtered(
    results: list[Compliance], requirement: str | None, status: str | None
) -> list[Compliance]:
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
