"""The per-branch registers of the working mechanisms (mechanisms.md §1) and their refusals.

The Branch aggregate keeps one ``Registers`` (grids, partners, cooperatives, cases, problems,
interventions) in its state and its snapshot, so every ledger refusal of §1 is decided on the
aggregate, never on a read model. The same small structs are folded by the compliance read
model (grids, partners, cooperatives), so "the grid in force on a day" is decided in one place.

Dates follow §1: an item is active from the date of the record that opens it up to the day
before the record that closes it; "latest" is last in ledger order among the records dated on
or before the day judged.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import date

from msgspec import Struct, field

from domain.model import records as r

RULE = "(mechanisms.md §1)"


class Refusal(Exception):
    """A record the registers refuse; the aggregate turns it into ``Refused``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------ grids
class GridVersion(Struct, gc=False, kw_only=True):
    """One ``grid.defined``: the grid's definition from its ``on``."""

    id: str
    on: date
    households: int
    full_time_workers: int
    head: str = ""
    seq: int = 0  # ledger order within the branch (the event's version)


class Grid(Struct, gc=False, kw_only=True):
    grid: str
    versions: list[GridVersion] = field(default_factory=list)  # ledger order
    retired_id: str | None = None
    retired_on: date | None = None

    @property
    def first_on(self) -> date:
        return min(v.on for v in self.versions)

    def state_on(self, day: date) -> GridVersion | None:
        """The definition in force on ``day``: the latest (ledger order) dated on or before
        it, none once the grid is retired on or before ``day``."""
        if self.retired_on is not None and self.retired_on <= day:
            return None
        best = None
        for version in self.versions:
            if version.on <= day:
                best = version
        return best


# --------------------------------------------------------------------- partners
class PartnerSpell(Struct, gc=False, kw_only=True):
    joined_id: str
    joined_on: date
    unit: str
    unit_kind: str
    left_id: str | None = None
    left_on: date | None = None
    seq: int = 0  # the join's ledger order within the branch

    def covers(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


class Partner(Struct, gc=False, kw_only=True):
    partner: str
    spells: list[PartnerSpell] = field(default_factory=list)

    def open_spell(self) -> PartnerSpell | None:
        """The spell with no ``partner.left`` in the ledger yet."""
        return self.spells[-1] if self.spells and self.spells[-1].left_id is None else None

    def active_on(self, day: date) -> PartnerSpell | None:
        return next((s for s in self.spells if s.covers(day)), None)


# ------------------------------------------------------------------ cooperatives
class Binding(Struct, gc=False, kw_only=True):
    """A ``cooperative.bound`` (``bound`` true) or ``cooperative.unbound`` (false)."""

    id: str
    on: date
    bound: bool
    households: int = 0
    enterprise: str = ""
    name: str = ""
    seq: int = 0  # ledger order within the branch


class Cooperative(Struct, gc=False, kw_only=True):
    cooperative: str
    changes: list[Binding] = field(default_factory=list)  # ledger order
    bound_since: date | None = None  # the binding that opened the current spell, if bound

    def state_on(self, day: date) -> Binding | None:
        """The binding in force on ``day``: the latest change dated on or before it, when it
        is a binding."""
        best = None
        for change in self.changes:
            if change.on <= day:
                best = change
        return best if best is not None and best.bound else None


# ------------------------------------------------------------------------ cases
class CaseState(Struct, gc=False, kw_only=True):
    """What the refusals of §1 need of a case: where it is, and whether it is closed."""

    case: str
    report_id: str
    reported_on: date
    level: str | None = None  # township / county; a community case's is None until assigned
    escalated: bool = False
    resolved: bool = False  # resolved and not reopened
    closed: bool = False  # village: resolved; community: verified satisfied


# --------------------------------------------------------------- problems, ladder
class ProblemState(Struct, gc=False, kw_only=True):
    problem: str
    registered_id: str
    on: date
    area: str
    deadline: date
    paralysis: bool = False
    resolved_id: str | None = None
    resolved_on: date | None = None


class InterventionState(Struct, gc=False, kw_only=True):
    intervention: str
    started_id: str
    on: date
    measure: str
    ended_id: str | None = None
    ended_on: date | None = None


class Registers(Struct, gc=False, kw_only=True):
    """Every register of one branch, keyed by the item's id."""

    grids: dict[str, Grid] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    cooperatives: dict[str, Cooperative] = field(default_factory=dict)
    cases: dict[str, CaseState] = field(default_factory=dict)
    problems: dict[str, ProblemState] = field(default_factory=dict)
    interventions: dict[str, InterventionState] = field(default_factory=dict)

    def active_grid(self, grid: str, day: date) -> GridVersion | None:
        found = self.grids.get(grid)
        return found.state_on(day) if found is not None else None


# ======================================================================= folding
def fold(reg: Registers, record: r.Record, kind: str, seq: int = 0) -> None:
    """Fold one accepted record into the registers (ledger order); ``seq`` is its place in
    the branch's stream (the event's version), kept where evidence is listed in ledger order."""
    handler = _FOLD.get(type(record))
    if handler is not None:
        handler(reg, record, kind, seq)


def _grid_defined(reg: Registers, rec: r.GridDefinedRecord, kind: str, seq: int) -> None:
    grid = reg.grids.setdefault(rec.grid, Grid(grid=rec.grid))
    grid.versions.append(
        GridVersion(
            id=rec.id,
            on=rec.on,
            households=rec.households,
            full_time_workers=rec.full_time_workers,
            head=rec.head,
            seq=seq,
        )
    )


def _grid_retired(reg: Registers, rec: r.GridRetiredRecord, kind: str, seq: int) -> None:
    grid = reg.grids[rec.grid]
    grid.retired_id, grid.retired_on = rec.id, rec.on


def _partner_joined(reg: Registers, rec: r.PartnerJoinedRecord, kind: str, seq: int) -> None:
    partner = reg.partners.setdefault(rec.partner, Partner(partner=rec.partner))
    partner.spells.append(
        PartnerSpell(
            joined_id=rec.id, joined_on=rec.on, unit=rec.unit, unit_kind=rec.unit_kind, seq=seq
        )
    )


def _partner_left(reg: Registers, rec: r.PartnerLeftRecord, kind: str, seq: int) -> None:
    spell = reg.partners[rec.partner].open_spell()
    assert spell is not None
    spell.left_id, spell.left_on = rec.id, rec.on


def _bound(reg: Registers, rec: r.CooperativeBoundRecord, kind: str, seq: int) -> None:
    coop = reg.cooperatives.setdefault(rec.cooperative, Cooperative(cooperative=rec.cooperative))
    coop.changes.append(
        Binding(
            id=rec.id,
            on=rec.on,
            bound=True,
            households=rec.households,
            enterprise=rec.enterprise,
            name=rec.name,
            seq=seq,
        )
    )
    if coop.bound_since is None:
        coop.bound_since = rec.on


def _unbound(reg: Registers, rec: r.CooperativeUnboundRecord, kind: str, seq: int) -> None:
    coop = reg.cooperatives[rec.cooperative]
    coop.changes.append(Binding(id=rec.id, on=rec.on, bound=False, seq=seq))
    coop.bound_since = None


def _case(reg: Registers, rec: r.CaseRecord, kind: str, seq: int) -> None:
    if isinstance(rec, r.CaseReportedRecord):
        reg.cases[rec.case] = CaseState(
            case=rec.case,
            report_id=rec.id,
            reported_on=rec.on,
            level="township" if kind == "village" else None,
        )
        return
    case = reg.cases[rec.case]
    if isinstance(rec, r.CaseAssignedRecord):
        if case.level is None:
            case.level = rec.level
    elif isinstance(rec, r.CaseEscalatedRecord):
        case.level, case.escalated = "county", True
    elif isinstance(rec, r.CaseResolvedRecord):
        case.resolved = True
        case.closed = kind == "village"
    elif isinstance(rec, r.CaseVerifiedRecord):
        case.closed = rec.satisfied
        case.resolved = rec.satisfied


def _problem_registered(
    reg: Registers, rec: r.ProblemRegisteredRecord, kind: str, seq: int
) -> None:
    reg.problems[rec.problem] = ProblemState(
        problem=rec.problem,
        registered_id=rec.id,
        on=rec.on,
        area=rec.area,
        deadline=rec.deadline,
        paralysis=rec.paralysis,
    )


def _problem_resolved(reg: Registers, rec: r.ProblemResolvedRecord, kind: str, seq: int) -> None:
    problem = reg.problems[rec.problem]
    problem.resolved_id, problem.resolved_on = rec.id, rec.on


def _started(reg: Registers, rec: r.InterventionStartedRecord, kind: str, seq: int) -> None:
    reg.interventions[rec.intervention] = InterventionState(
        intervention=rec.intervention, started_id=rec.id, on=rec.on, measure=rec.measure
    )


def _ended(reg: Registers, rec: r.InterventionEndedRecord, kind: str, seq: int) -> None:
    item = reg.interventions[rec.intervention]
    item.ended_id, item.ended_on = rec.id, rec.on


_FOLD: dict[type, Callable[..., None]] = {
    r.GridDefinedRecord: _grid_defined,
    r.GridRetiredRecord: _grid_retired,
    r.PartnerJoinedRecord: _partner_joined,
    r.PartnerLeftRecord: _partner_left,
    r.CooperativeBoundRecord: _bound,
    r.CooperativeUnboundRecord: _unbound,
    r.CaseReportedRecord: _case,
    r.CaseAssignedRecord: _case,
    r.CaseEscalatedRecord: _case,
    r.CaseProgressedRecord: _case,
    r.CaseResolvedRecord: _case,
    r.CaseVerifiedRecord: _case,
    r.ProblemRegisteredRecord: _problem_registered,
    r.ProblemResolvedRecord: _problem_resolved,
    r.InterventionStartedRecord: _started,
    r.InterventionEndedRecord: _ended,
}
MECHANISM_TYPES = frozenset(_FOLD) | {
    r.ActivityHeldRecord,
    r.LinkageReportedRecord,
    r.FacilityReportedRecord,
    r.StaffingReportedRecord,
}

# ================================================================ structural (kind)
VILLAGE_ONLY = {r.LinkageReportedRecord, r.CooperativeBoundRecord, r.CooperativeUnboundRecord}
COMMUNITY_ONLY = {
    r.GridDefinedRecord,
    r.GridRetiredRecord,
    r.PartnerJoinedRecord,
    r.PartnerLeftRecord,
    r.StaffingReportedRecord,
    r.CaseVerifiedRecord,
}
VILLAGE_MEASURES = ("first_secretary", "work_team", "reorganisation")
COMMUNITY_MEASURES = ("street_leader", "work_group")
FACILITY_KIND = {"public_toilets": "village", "service_centre_m2": "community"}


def check_kind(record: r.Record, kind: str, stars: Callable[[], tuple[str, ...]]) -> None:
    """Structural refusals of §1 that need the branch's kind; ``stars`` gives the kind's stars
    (asked only for a problem's area: the vocabulary look-up is not free, this runs per record)."""
    rtype = type(record)
    if rtype in VILLAGE_ONLY and kind != "village":
        tag = r.type_of(record)
        raise Refusal(f"structural: type: {tag} is for villages only, not a {kind} {RULE}")
    if rtype in COMMUNITY_ONLY and kind != "community":
        tag = r.type_of(record)
        raise Refusal(f"structural: type: {tag} is for communities only, not a {kind} {RULE}")
    if isinstance(record, r.MeetingHeldRecord) and record.kind == "joint_meeting":
        _community_value(kind, "kind", "joint_meeting (党建联席会议)")
    elif isinstance(record, r.ActivityHeldRecord):
        if record.kind == "door_knocking":
            _community_value(kind, "kind", "door_knocking (敲门行动)")
            if not record.grid:
                raise Refusal(f"structural: grid: required for a door_knocking activity {RULE}")
    elif isinstance(record, r.FacilityReportedRecord):
        wanted = FACILITY_KIND[record.facility]
        if wanted != kind:
            raise Refusal(
                f"structural: facility: {record.facility} is reported by {wanted}s only, "
                f"not a {kind} {RULE}"
            )
    elif isinstance(record, r.ProblemRegisteredRecord):
        if record.area not in stars():
            raise Refusal(f"structural: area: {record.area!r} is not a star of a {kind} {RULE}")
        if record.paralysis and kind != "village":
            raise Refusal(f"structural: paralysis: villages only, not a {kind} {RULE}")
    elif isinstance(record, r.InterventionStartedRecord):
        measures = VILLAGE_MEASURES if kind == "village" else COMMUNITY_MEASURES
        if record.measure not in measures:
            raise Refusal(
                f"structural: measure: {record.measure} is not a measure for a {kind} "
                f"({', '.join(measures)}) {RULE}"
            )


def _community_value(kind: str, name: str, what: str) -> None:
    if kind != "community":
        raise Refusal(f"structural: {name}: {what} is for communities only, not a {kind} {RULE}")


# ===================================================================== ledger
def check_ledger(reg: Registers, record: r.Record, kind: str, incidents: Container[str]) -> None:
    """Ledger refusals of §1, decided on the registers as they stand before ``record``."""
    check = _LEDGER.get(type(record))
    if check is not None:
        check(reg, record, kind, incidents)


def _not_before(record: r.Record, opened_on: date, what: str) -> None:
    if record.on < opened_on:
        raise Refusal(f"ledger: on: {record.on} is before {what} ({opened_on}) {RULE}")


def _activity(
    reg: Registers, rec: r.ActivityHeldRecord, kind: str, incidents: Container[str]
) -> None:
    if rec.grid and reg.active_grid(rec.grid, rec.on) is None:
        raise Refusal(
            f"ledger: grid: {rec.grid} is not an active grid of the branch on {rec.on} {RULE}"
        )


def _linkage(
    reg: Registers, rec: r.LinkageReportedRecord, kind: str, incidents: Container[str]
) -> None:
    first = date(int(rec.month[:4]), int(rec.month[5:]), 1)
    if rec.on < first:
        raise Refusal(
            f"ledger: on: a linkage report for {rec.month} is dated {rec.on}, "
            f"before the month's first day {RULE}"
        )


def _grid_defined_check(
    reg: Registers, rec: r.GridDefinedRecord, kind: str, incidents: Container[str]
) -> None:
    grid = reg.grids.get(rec.grid)
    if grid is not None and grid.retired_id is not None:
        raise Refusal(
            f"ledger: grid: {rec.grid} was retired on {grid.retired_on} ({grid.retired_id}); "
            f"a retired grid is not defined again {RULE}"
        )


def _grid_retired_check(
    reg: Registers, rec: r.GridRetiredRecord, kind: str, incidents: Container[str]
) -> None:
    grid = reg.grids.get(rec.grid)
    if grid is None:
        raise Refusal(f"ledger: grid: {rec.grid} is not a grid defined for the branch {RULE}")
    if grid.retired_id is not None:
        raise Refusal(
            f"ledger: grid: {rec.grid} is already retired "
            f"({grid.retired_on}, {grid.retired_id}) {RULE}"
        )
    _not_before(rec, grid.first_on, "the grid's first definition")


def _partner_joined_check(
    reg: Registers, rec: r.PartnerJoinedRecord, kind: str, incidents: Container[str]
) -> None:
    partner = reg.partners.get(rec.partner)
    spell = partner.open_spell() if partner is not None else None
    if spell is not None:
        raise Refusal(
            f"ledger: partner: {rec.partner} is already active (joined {spell.joined_on}, "
            f"{spell.joined_id}) {RULE}"
        )
    # "while it is active" is also a matter of dates (§1 Dates): a join dated inside an
    # earlier spell would open a second spell overlapping it.
    covering = partner.active_on(rec.on) if partner is not None else None
    if covering is not None:
        raise Refusal(
            f"ledger: partner: {rec.partner} is active on {rec.on} (joined "
            f"{covering.joined_on}, {covering.joined_id}; left {covering.left_on}, "
            f"{covering.left_id}); it joins again from the day it left {RULE}"
        )


def _partner_left_check(
    reg: Registers, rec: r.PartnerLeftRecord, kind: str, incidents: Container[str]
) -> None:
    partner = reg.partners.get(rec.partner)
    spell = partner.open_spell() if partner is not None else None
    if spell is None:
        raise Refusal(
            f"ledger: partner: {rec.partner} is not an active partner of the branch {RULE}"
        )
    _not_before(rec, spell.joined_on, "the partner's join")


def _bound_check(
    reg: Registers, rec: r.CooperativeBoundRecord, kind: str, incidents: Container[str]
) -> None:
    return None  # a later binding replaces the earlier one from its date


def _unbound_check(
    reg: Registers, rec: r.CooperativeUnboundRecord, kind: str, incidents: Container[str]
) -> None:
    coop = reg.cooperatives.get(rec.cooperative)
    if coop is None or coop.bound_since is None:
        raise Refusal(
            f"ledger: cooperative: {rec.cooperative} is not a bound cooperative "
            f"of the branch {RULE}"
        )
    _not_before(rec, coop.bound_since, "the cooperative's binding")


def _case_check(reg: Registers, rec: r.CaseRecord, kind: str, incidents: Container[str]) -> None:
    if isinstance(rec, r.CaseReportedRecord):
        _case_report_check(reg, rec, incidents)
        return
    case = reg.cases.get(rec.case)
    if case is None:
        raise Refusal(f"ledger: case: {rec.case} is not a case reported by the branch {RULE}")
    _not_before(rec, case.reported_on, f"the case's report ({case.report_id})")
    tag = r.type_of(rec)
    if case.closed:
        raise Refusal(f"ledger: case: {rec.case} is closed; {tag} is refused {RULE}")
    if isinstance(rec, r.CaseVerifiedRecord):
        if not case.resolved:
            raise Refusal(f"ledger: case: {rec.case} is not resolved; nothing to verify {RULE}")
        return
    if case.resolved:
        raise Refusal(
            f"ledger: case: {rec.case} is resolved and awaits the grid head's case.verified; "
            f"{tag} is refused until a verification with satisfied false reopens it {RULE}"
        )
    if isinstance(rec, r.CaseEscalatedRecord) and case.level == "county":
        raise Refusal(
            f"ledger: case: {rec.case} is already at county level; cannot escalate {RULE}"
        )
    if (
        isinstance(rec, r.CaseAssignedRecord)
        and rec.level == "county"
        and kind == "village"
        and not case.escalated
    ):
        raise Refusal(
            f"ledger: level: village case {rec.case} goes to the county only after "
            f"case.escalated (村报告、乡处理、县办结) {RULE}"
        )


def _case_report_check(
    reg: Registers, rec: r.CaseReportedRecord, incidents: Container[str]
) -> None:
    known = reg.cases.get(rec.case)
    if known is not None:
        raise Refusal(f"ledger: case: {rec.case} is already reported ({known.report_id}) {RULE}")
    if rec.grid and reg.active_grid(rec.grid, rec.on) is None:
        raise Refusal(
            f"ledger: grid: {rec.grid} is not an active grid of the branch on {rec.on} {RULE}"
        )
    if rec.incident and rec.incident not in incidents:
        raise Refusal(f"ledger: incident: {rec.incident} is not an incident of the branch {RULE}")


def _problem_check(
    reg: Registers, rec: r.ProblemRegisteredRecord, kind: str, incidents: Container[str]
) -> None:
    known = reg.problems.get(rec.problem)
    if known is not None:
        raise Refusal(
            f"ledger: problem: {rec.problem} is already registered ({known.registered_id}) {RULE}"
        )


def _problem_resolved_check(
    reg: Registers, rec: r.ProblemResolvedRecord, kind: str, incidents: Container[str]
) -> None:
    problem = reg.problems.get(rec.problem)
    if problem is None:
        raise Refusal(
            f"ledger: problem: {rec.problem} is not a problem registered for the branch {RULE}"
        )
    if problem.resolved_id is not None:
        raise Refusal(
            f"ledger: problem: {rec.problem} is already resolved ({problem.resolved_on}, "
            f"{problem.resolved_id}) {RULE}"
        )
    _not_before(rec, problem.on, f"the problem's registration ({problem.registered_id})")


def _started_check(
    reg: Registers, rec: r.InterventionStartedRecord, kind: str, incidents: Container[str]
) -> None:
    known = reg.interventions.get(rec.intervention)
    if known is not None:
        raise Refusal(
            f"ledger: intervention: {rec.intervention} is already started "
            f"({known.started_id}) {RULE}"
        )
    for other in reg.interventions.values():
        if other.ended_on is None:
            raise Refusal(
                f"ledger: intervention: {other.intervention} ({other.measure}, from {other.on}) "
                f"has not ended; one intervention at a time {RULE}"
            )
        if other.ended_on > rec.on:
            raise Refusal(
                f"ledger: on: {other.intervention} ended on {other.ended_on}, after this start "
                f"({rec.on}); one intervention at a time, in date order {RULE}"
            )


def _ended_check(
    reg: Registers, rec: r.InterventionEndedRecord, kind: str, incidents: Container[str]
) -> None:
    item = reg.interventions.get(rec.intervention)
    if item is None:
        raise Refusal(
            f"ledger: intervention: {rec.intervention} is not an intervention of the branch {RULE}"
        )
    if item.ended_id is not None:
        raise Refusal(
            f"ledger: intervention: {rec.intervention} already ended ({item.ended_on}, "
            f"{item.ended_id}) {RULE}"
        )
    _not_before(rec, item.on, f"the intervention's start ({item.started_id})")


_LEDGER: dict[type, Callable[..., None]] = {
    r.ActivityHeldRecord: _activity,
    r.LinkageReportedRecord: _linkage,
    r.GridDefinedRecord: _grid_defined_check,
    r.GridRetiredRecord: _grid_retired_check,
    r.PartnerJoinedRecord: _partner_joined_check,
    r.PartnerLeftRecord: _partner_left_check,
    r.CooperativeBoundRecord: _bound_check,
    r.CooperativeUnboundRecord: _unbound_check,
    r.CaseReportedRecord: _case_check,
    r.CaseAssignedRecord: _case_check,
    r.CaseEscalatedRecord: _case_check,
    r.CaseProgressedRecord: _case_check,
    r.CaseResolvedRecord: _case_check,
    r.CaseVerifiedRecord: _case_check,
    r.ProblemRegisteredRecord: _problem_check,
    r.ProblemResolvedRecord: _problem_resolved_check,
    r.InterventionStartedRecord: _started_check,
    r.InterventionEndedRecord: _ended_check,
}
