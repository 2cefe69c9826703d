"""The problem register (台账) and the intervention ladder (mechanisms.md §4): 派驻 / 整改整顿.

A pure rule family: from a branch's problems, interventions and weak-and-lax spells (as the
projection keeps them, with their ledger positions), its kind and a business date D,
``judge_ladder`` says which areas are open or overdue, which measure the rules require, which
is in place (and whether it has run out or failed), whether that falls short, and whether the
rules list the community weak and lax. Nothing is declared by a record: failure is judged on
the day after an intervention's term, from the problems still open.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import MAXYEAR, date, timedelta
from typing import TYPE_CHECKING

from msgspec import Struct, field

if TYPE_CHECKING:
    from domain.model.parameters import LadderStandards

RANK = {
    "village": ("none", "first_secretary", "work_team", "reorganisation"),
    "community": ("none", "street_leader", "work_group"),
}
# A failure of the key measure is a ground for the value measure (the next rung up).
FAILURE_LEADS_TO = {
    "first_secretary": "work_team",
    "work_team": "reorganisation",
    "street_leader": "work_group",
}
MEASURE_LABELS = {
    "none": "无需",
    "first_secretary": "选派第一书记",
    "work_team": "派驻工作队",
    "reorganisation": "派驻干部整顿",
    "street_leader": "街道领导整改",
    "work_group": "工作组整改（列为软弱涣散）",
}


def add_months(day: date, months: int) -> date:
    """Calendar months with the day clamped to the month's end (08-31 + 6 = 02-28), and to
    the calendar's last day (a term started late in 9999 ends on 9999-12-31)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > MAXYEAR:
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ------------------------------------------------------------------------------ input


class ProblemEntry(Struct, kw_only=True, gc=False):
    """A ``problem.registered`` (and its ``problem.resolved``, once recorded)."""

    id: str  # the registration's record id
    position: int
    problem: str
    area: str
    on: date
    deadline: date
    paralysis: bool = False
    resolved_on: date | None = None
    resolved_id: str | None = None

    def open_on(self, day: date) -> bool:
        return self.on <= day and (self.resolved_on is None or self.resolved_on > day)


class InterventionEntry(Struct, kw_only=True, gc=False):
    """An ``intervention.started`` (and its ``intervention.ended``, once recorded)."""

    id: str  # the start's record id
    position: int
    intervention: str
    measure: str
    on: date
    ended_on: date | None = None
    ended_id: str | None = None

    def until(self, standards: LadderStandards) -> date:
        """The last day of its term (``term_months`` of ``rulebooks/mechanism-standards.toml``)."""
        return add_months(self.on, standards.term_months[self.measure])

    def active_on(self, day: date) -> bool:
        return self.on <= day and (self.ended_on is None or self.ended_on > day)


class SpellEntry(Struct, kw_only=True, gc=False):
    """A weak-and-lax spell [designated_on, lifted_on)."""

    designated_id: str
    designated_on: date
    lifted_on: date | None = None

    def covers(self, day: date) -> bool:
        return self.designated_on <= day and (self.lifted_on is None or day < self.lifted_on)


class LadderInput(Struct, kw_only=True, gc=False):
    """Everything §4 reads of one branch (what the ladder read model stores per branch)."""

    problems: list[ProblemEntry] = field(default_factory=list)
    interventions: list[InterventionEntry] = field(default_factory=list)
    spells: list[SpellEntry] = field(default_factory=list)


# ----------------------------------------------------------------------------- output


class Active(Struct, kw_only=True):
    intervention: str
    measure: str
    until: date
    expired: bool


class Failure(Struct, kw_only=True):
    intervention: InterventionEntry
    failed_on: date  # the day after ``until``


class LadderResult(Struct, kw_only=True):
    branch: str
    on: date
    open_areas: list[str]
    overdue: list[str]
    required: str
    reasons: list[str]
    active: Active | None
    shortfall: bool
    listing_required: bool
    listed: bool
    evidence: list[str]


def ladder_json(result: LadderResult) -> dict[str, object]:
    active = result.active
    return {
        "branch": result.branch,
        "on": result.on.isoformat(),
        "open_areas": list(result.open_areas),
        "overdue": list(result.overdue),
        "required": result.required,
        "reasons": list(result.reasons),
        "active": None
        if active is None
        else {
            "intervention": active.intervention,
            "measure": active.measure,
            "until": active.until.isoformat(),
            "expired": active.expired,
        },
        "shortfall": result.shortfall,
        "listing_required": result.listing_required,
        "listed": result.listed,
        "evidence": list(result.evidence),
    }


# ------------------------------------------------------------------------------ rules


def failures_counting(
    problems: Sequence[ProblemEntry],
    interventions: Sequence[InterventionEntry],
    on: date,
    standards: LadderStandards,
) -> list[Failure]:
    """Interventions that failed (a problem open on their start still open the day after
    their term) and whose failure counts on ``on``: that problem still open on ``on`` and no
    higher measure started since. In ledger order of their starts."""
    started = sorted((i for i in interventions if i.on <= on), key=lambda i: i.position)
    out = []
    for item in started:
        until = item.until(standards)
        if until >= on:  # the day after the term is still to come (or past 9999-12-31)
            continue
        failed_on = until + timedelta(days=1)
        if not any(p.open_on(item.on) and p.open_on(failed_on) and p.open_on(on) for p in problems):
            continue
        rank = _rank_of(item.measure)
        if any(
            later.position > item.position and _rank_of(later.measure) > rank for later in started
        ):
            continue
        out.append(Failure(intervention=item, failed_on=failed_on))
    return out


def _rank_of(measure: str) -> int:
    for ranks in RANK.values():
        if measure in ranks:
            return ranks.index(measure)
    return 0


def _areas_text(n: int) -> str:
    return f"{n} open area" if n == 1 else f"{n} open areas"


def _overdue_text(n: int) -> str:
    return f"{n} overdue area" if n == 1 else f"{n} overdue areas"


def judge_ladder(
    branch: str,
    kind: str,
    data: LadderInput,
    on: date,
    stars: Sequence[str],
    standards: LadderStandards,
) -> LadderResult:
    """The ladder object of §4 for one branch on ``on``, by the terms and thresholds of
    ``standards``; ``stars`` is the kind's canonical star order (for ``open_areas``)."""
    problems = [p for p in data.problems if p.on <= on]
    open_problems = [p for p in problems if p.open_on(on)]
    areas = {p.area for p in open_problems}
    open_areas = [s for s in stars if s in areas] + sorted(areas - set(stars))
    overdue = [p for p in open_problems if p.deadline < on]
    overdue_areas = {p.area for p in overdue}
    paralysed = [p for p in open_problems if p.paralysis and kind == "village"]
    failures = failures_counting(problems, data.interventions, on, standards)

    grounds = _grounds(kind, len(open_areas), len(overdue_areas), paralysed, failures, standards)
    required = next((m for m in reversed(RANK[kind]) if grounds.get(m)), "none")
    reasons = [text for text, _ in grounds.get(required, [])]
    behind = {p.id for p in open_problems}
    for _, ids in grounds.get(required, []):
        behind.update(ids)

    current = next((i for i in data.interventions if i.active_on(on)), None)
    active = None
    if current is not None:
        behind.add(current.id)
        until = current.until(standards)
        active = Active(
            intervention=current.intervention,
            measure=current.measure,
            until=until,
            expired=on > until,
        )
    ranks = RANK[kind]
    in_place = ranks.index(current.measure) if current and current.measure in ranks else 0
    listing_required = kind == "community" and (
        required == "work_group" or (current is not None and current.measure == "work_group")
    )
    positions = {p.id: p.position for p in data.problems}
    positions.update({i.id: i.position for i in data.interventions})
    return LadderResult(
        branch=branch,
        on=on,
        open_areas=open_areas,
        overdue=sorted(p.problem for p in overdue),
        required=required,
        reasons=reasons,
        active=active,
        shortfall=required != "none" and in_place < ranks.index(required),
        listing_required=listing_required,
        listed=any(s.covers(on) for s in data.spells),
        evidence=sorted(behind, key=lambda rid: positions.get(rid, 0)),
    )


Ground = tuple[str, list[str]]  # a reason and the ids of the records behind it


def _grounds(
    kind: str,
    open_areas: int,
    overdue_areas: int,
    paralysed: list[ProblemEntry],
    failures: list[Failure],
    standards: LadderStandards,
) -> dict[str, list[Ground]]:
    """Each measure's conditions that hold, in the order of §4's reasons: the open areas
    count for the highest measure whose threshold they reach."""
    grounds: dict[str, list[Ground]] = {m: [] for m in RANK[kind]}
    measures = RANK[kind][1:]  # lowest first
    low, top = measures[0], measures[-1]
    reached = [m for m in measures if open_areas >= standards.open_areas[m]]
    if reached:
        grounds[reached[-1]].append((_areas_text(open_areas), []))
    if overdue_areas >= standards.overdue_areas:
        grounds[low].append((_overdue_text(overdue_areas), []))
    for problem in paralysed:
        grounds[top].append((f"paralysis: {problem.problem}", [problem.id]))
    for failure in failures:
        item = failure.intervention
        target = FAILURE_LEADS_TO.get(item.measure)
        if target in grounds:
            text = f"{item.measure} {item.intervention} failed on {failure.failed_on.isoformat()}"
            grounds[target].append((text, [item.id]))
    return grounds


def listing_reason(result: LadderResult) -> str:
    """The reason of a ``weakness.designated`` the ladder records (整改整顿: ...); when the
    only ground is an active work group, it names the work group."""
    if result.reasons:
        return "整改整顿: " + "; ".join(result.reasons)
    active = result.active
    if active is not None and active.measure == "work_group":
        return f"整改整顿: work_group {active.intervention} active until {active.until.isoformat()}"
    return "整改整顿: "
