"""Cases and their time limits (mechanisms.md §3): 村报告、乡处理、县办结 / 网格上报、平台派单.

A pure rule family: from one case's records (in ledger order), the branch's kind, the limits in
force for its county and a business date D, ``judge_case`` gives the case object of §3 (stages,
breaches, state, ``overdue``); ``summarise`` folds case objects into the per-township summary.
The projection keeps each case's records as ``CaseStep``s so that a question about D is a query
plus this computation, never a replay of the ledger.

Limits are whole calendar days counted from the stage's start: a milestone dated start + N is
within N days. A stage's clock stops at its escalation or when the case is closed; while it
runs, an unreached milestone is judged on D.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from msgspec import Struct, field
from pydantic import BaseModel, ConfigDict, Field, ValidationError

# ----------------------------------------------------------------------------- limits

LIMIT_KEYS = (
    "report_days",
    "township_target_days",
    "township_limit_days",
    "acknowledge_days",
    "respond_days",
    "resolve_days",
    "feedback_days",
)
# The order breaches are listed in (§3's table; ``township_target_days`` is never a breach).
BREACH_KEYS = (
    "township_limit_days",
    "acknowledge_days",
    "respond_days",
    "resolve_days",
    "feedback_days",
)
Days = int


class CaseLimits(BaseModel):
    """The limits one case is judged by (``rulebooks/case-limits.toml``, whole days). Strict:
    a boolean, a quoted number or a float is refused, not read as days (``true`` was 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    report_days: Days = Field(ge=0, le=3650)
    township_target_days: Days = Field(ge=0, le=3650)
    township_limit_days: Days = Field(ge=0, le=3650)
    acknowledge_days: Days = Field(ge=0, le=3650)
    respond_days: Days = Field(ge=0, le=3650)
    resolve_days: Days = Field(ge=0, le=3650)
    feedback_days: Days = Field(ge=0, le=3650)


class CountyOverrides(BaseModel):
    """A county table holds only the keys it changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    report_days: Days | None = Field(default=None, ge=0, le=3650)
    township_target_days: Days | None = Field(default=None, ge=0, le=3650)
    township_limit_days: Days | None = Field(default=None, ge=0, le=3650)
    acknowledge_days: Days | None = Field(default=None, ge=0, le=3650)
    respond_days: Days | None = Field(default=None, ge=0, le=3650)
    resolve_days: Days | None = Field(default=None, ge=0, le=3650)
    feedback_days: Days | None = Field(default=None, ge=0, le=3650)


class CaseLimitsFile(BaseModel):
    """The whole file: ``[default]`` and ``[counties."<county>"]`` overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    default: CaseLimits
    counties: dict[str, CountyOverrides] = Field(default_factory=dict)

    def for_county(self, county: str) -> tuple[str, CaseLimits]:
        """The limits in force for a branch of ``county`` and their name (``default`` or the
        county whose table applied)."""
        over = self.counties.get(county)
        if over is None:
            return "default", self.default
        changed = over.model_dump(exclude_none=True)
        return county, self.default.model_copy(update=changed)


DEFAULT_LIMITS = CaseLimitsFile(
    default=CaseLimits(
        report_days=1,
        township_target_days=7,
        township_limit_days=15,
        acknowledge_days=1,
        respond_days=3,
        resolve_days=7,
        feedback_days=10,
    )
)


class CaseLimitsError(ValueError):
    """A case-limits file that cannot be used: names the file, the key and what is wrong."""


def load_case_limits(path: Path) -> CaseLimitsFile:
    """Parse and validate ``case-limits.toml``; a missing file means the defaults of §3."""
    if not path.is_file():
        return DEFAULT_LIMITS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CaseLimitsError(f"{path}: {exc}") from None
    try:
        return CaseLimitsFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CaseLimitsError(f"{path}: {problems}") from None


# ------------------------------------------------------------------------------ input


class CaseStep(Struct, frozen=True, kw_only=True, gc=False):
    """One ``case.*`` record as the rules need it (the projection stores these per case).

    ``category``, ``occurred_on`` and ``incident`` are set on the ``case.reported`` step,
    ``level`` on ``case.assigned``, ``satisfied`` on ``case.verified``."""

    id: str
    type: str
    on: date
    category: str | None = None
    occurred_on: date | None = None
    incident: str | None = None
    level: str | None = None
    satisfied: bool | None = None


# ----------------------------------------------------------------------------- output


class Stage(Struct, kw_only=True):
    level: str | None
    start: date
    end: date | None
    breaches: list[str]


class CaseResult(Struct, kw_only=True):
    branch: str
    case: str
    category: str
    occurred_on: date
    reported_on: date
    reported_late: bool
    incident: str | None
    state: str
    level: str | None
    stages: list[Stage]
    within_target: bool | None
    overdue: bool
    limits: str
    evidence: list[str]
    escalated: bool = field(default=False)  # not in the JSON object; used by the summary


def case_json(result: CaseResult) -> dict[str, object]:
    """The case object of §3 as JSON-ready builtins (dates as ISO strings)."""
    return {
        "branch": result.branch,
        "case": result.case,
        "category": result.category,
        "occurred_on": result.occurred_on.isoformat(),
        "reported_on": result.reported_on.isoformat(),
        "reported_late": result.reported_late,
        "incident": result.incident,
        "state": result.state,
        "level": result.level,
        "stages": [
            {
                "level": s.level,
                "start": s.start.isoformat(),
                "end": s.end.isoformat() if s.end else None,
                "breaches": list(s.breaches),
            }
            for s in result.stages
        ],
        "within_target": result.within_target,
        "overdue": result.overdue,
        "limits": result.limits,
        "evidence": list(result.evidence),
    }


# ------------------------------------------------------------------------------ rules


class _Clock:
    """One stage while the steps are folded: its start and the milestones reached."""

    def __init__(self, level: str | None, start: date, thirteen: bool) -> None:
        self.level = level
        self.start = start
        self.thirteen = thirteen  # a "13710" stage (county, or a community's first stage)
        self.acknowledged: date | None = None
        self.responded: date | None = None
        self.resolved: date | None = None
        self.verified: date | None = None
        self.end: date | None = None
        self.stopped: date | None = None  # the clock's stop: escalation or closure

    def milestones(self, village: bool) -> list[tuple[str, date | None]]:
        """(key, date reached) for the keys this stage is judged by, in breach order."""
        if not self.thirteen:
            return [("township_limit_days", self.resolved)]
        keys = [
            ("acknowledge_days", self.acknowledged),
            ("respond_days", self.responded),
            ("resolve_days", self.resolved),
        ]
        if not village:
            keys.append(("feedback_days", self.verified))
        return keys

    def breaches(self, village: bool, limits: CaseLimits, on: date) -> list[str]:
        """Keys reached after their limit, or unreached with the limit passed by the time
        the clock stopped (or on D while it runs)."""
        clock_end = self.stopped or on
        out = []
        for key, reached in self.milestones(village):
            limit: int = getattr(limits, key)
            if ((reached or clock_end) - self.start).days > limit:
                out.append(key)
        return out


def judge_case(
    branch: str,
    case: str,
    kind: str,
    steps: Sequence[CaseStep],
    limits: CaseLimits,
    limits_name: str,
    on: date,
) -> CaseResult | None:
    """The case object of §3 on ``on``, from its steps in ledger order (None: not yet
    reported on that day). Steps dated after ``on`` do not count."""
    seen = [s for s in steps if s.on <= on]
    if not seen or seen[0].type != "case.reported":
        return None
    report = seen[0]
    village = kind == "village"
    clocks = [_Clock("township" if village else None, report.on, thirteen=not village)]
    state = "open"
    for step in seen[1:]:
        state = _fold(clocks, step, village, state)
    current = clocks[-1]
    limit_key = "resolve_days" if current.thirteen else "township_limit_days"
    overdue = state == "open" and (on - current.start).days > getattr(limits, limit_key)
    first = clocks[0]
    within_target: bool | None = None
    if village:
        within_target = (
            len(clocks) == 1
            and first.resolved is not None
            and (first.resolved - first.start).days <= limits.township_target_days
        )
    occurred = report.occurred_on or report.on
    return CaseResult(
        branch=branch,
        case=case,
        category=report.category or "other",
        occurred_on=occurred,
        reported_on=report.on,
        reported_late=(report.on - occurred).days > limits.report_days,
        incident=report.incident or None,
        state=state,
        level=current.level,
        stages=[
            Stage(
                level=c.level,
                start=c.start,
                end=c.end,
                breaches=c.breaches(village, limits, on),
            )
            for c in clocks
        ],
        within_target=within_target,
        overdue=overdue,
        limits=limits_name,
        evidence=[s.id for s in seen],
        escalated=len(clocks) > 1,
    )


def _fold(clocks: list[_Clock], step: CaseStep, village: bool, state: str) -> str:
    """Apply one step to the current stage; returns the case's state after it."""
    clock = clocks[-1]
    kind = step.type
    if kind == "case.assigned":
        if clock.acknowledged is None:
            clock.acknowledged = step.on
        if clock.level is None:
            clock.level = step.level
    elif kind == "case.escalated":
        clock.end = clock.stopped = step.on
        clocks.append(_Clock("county", step.on, thirteen=True))
    elif kind == "case.progressed":
        if clock.responded is None:
            clock.responded = step.on
    elif kind == "case.resolved":
        if clock.responded is None:
            clock.responded = step.on
        clock.resolved = clock.end = step.on
        if village:
            clock.stopped = step.on
            return "closed"
        return "resolved"
    elif kind == "case.verified":
        clock.verified = step.on
        if step.satisfied:
            clock.stopped = step.on
            return "closed"
        # Reopened in its current stage: the clock runs on from the same start, and the
        # earlier resolution and verification no longer count.
        clock.resolved = clock.verified = clock.end = None
        return "open"
    return state


# ---------------------------------------------------------------------------- summary

INCIDENT_CATEGORIES = frozenset(
    {"safety_accident", "illegal_petition", "major_case", "emergency_failure"}
)


class IncidentEntry(Struct, frozen=True, kw_only=True, gc=False):
    """An ``incident.recorded`` the summary looks for a case of (漏报 / 瞒报)."""

    id: str
    on: date
    category: str
    retracted_on: date | None = None


def incidents_without_case(
    incidents: Iterable[IncidentEntry], named: set[str], year: int, on: date
) -> list[str]:
    """Non-retracted incidents of the four categories dated in ``year`` (and on or before
    ``on``) that no case reported by ``on`` names; sorted ids."""
    out = []
    for incident in incidents:
        if incident.category not in INCIDENT_CATEGORIES or incident.on.year != year:
            continue
        if incident.on > on or incident.id in named:
            continue
        if incident.retracted_on is not None and incident.retracted_on <= on:
            continue
        out.append(incident.id)
    return sorted(out)


class SummaryRow(Struct, kw_only=True):
    county: str
    township: str
    reported: int = 0
    reported_late: int = 0
    escalated: int = 0
    closed: int = 0
    resolved_in_time: int = 0
    overdue: int = 0
    breaches: dict[str, int] = field(default_factory=dict)
    incidents_without_case: list[str] = field(default_factory=list)


def resolved_in_time(result: CaseResult) -> bool:
    """Resolved or closed with no stage breaching its resolution limit (an escalation before
    the township limit is no breach)."""
    return result.state in ("resolved", "closed") and not any(
        key in ("township_limit_days", "resolve_days") for s in result.stages for key in s.breaches
    )


def add_to_row(row: SummaryRow, result: CaseResult) -> None:
    """Count one case object (reported in the summary's year) into its township's row."""
    row.reported += 1
    row.reported_late += result.reported_late
    row.escalated += result.escalated
    row.closed += result.state == "closed"
    row.resolved_in_time += resolved_in_time(result)
    row.overdue += result.overdue
    for stage in result.stages:
        for key in stage.breaches:
            row.breaches[key] = row.breaches.get(key, 0) + 1
    row.breaches = {k: row.breaches[k] for k in BREACH_KEYS if row.breaches.get(k)}


def summary_json(row: SummaryRow) -> dict[str, object]:
    return {
        "county": row.county,
        "township": row.township,
        "reported": row.reported,
        "reported_late": row.reported_late,
        "escalated": row.escalated,
        "closed": row.closed,
        "resolved_in_time": row.resolved_in_time,
        "overdue": row.overdue,
        "breaches": dict(row.breaches),
        "incidents_without_case": list(row.incidents_without_case),
    }


# ------------------------------------------------------------------------- labels (zh)

CATEGORY_LABELS = {
    "dispute": "矛盾纠纷",
    "petition_risk": "越级上访和群访苗头",
    "safety_hazard": "重大安全隐患",
    "emergency": "突发事故或自然灾害",
    "suspected_crime": "涉嫌违法犯罪",
    "other": "其他",
}
LEVEL_LABELS = {"township": "乡镇处理", "county": "县级", None: "待派单"}
STATE_LABELS = {"open": "办理中", "resolved": "待核查", "closed": "已办结"}
BREACH_LABELS = {
    "township_limit_days": "超过{n}天时限",
    "acknowledge_days": "签收超时",
    "respond_days": "答复超时",
    "resolve_days": "办结超时",
    "feedback_days": "反馈超时",
}
