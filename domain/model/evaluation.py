"""evaluate(year_facts, rulebook): which stars a branch is eligible for in a year, and why.

The one implementation of every criterion. The eligibility projection, the as-of replay and
the award check of the Branch aggregate all call ``evaluate``, so they cannot disagree.
Each criterion reports met / not met, a detail a person can read ("0.78 < 0.80") and the ids
of the records that decided it (empty where the absence of a record decided it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import MINYEAR, date
from typing import Any

from msgspec import Struct

from domain.model.facts import YearFacts
from domain.model.merkle import Basis
from domain.model.rulebook import (
    Attested,
    Designated,
    DevelopmentPlan,
    EitherOr,
    Figure,
    Growth,
    HonourWindow,
    NoIncident,
    OrgLifeQuota,
    OtherStars,
    Rulebook,
)


class CriterionResult(Struct, gc=False, kw_only=True):
    star: str
    criterion: str
    met: bool
    detail: str
    evidence: list[str]


class ExclusionResult(Struct, gc=False, kw_only=True):
    detail: str
    evidence: list[str]


class Eligibility(Struct, gc=False, kw_only=True):
    branch: str
    year: int
    kind: str
    rulebook: str
    excluded: bool
    exclusion: ExclusionResult | None
    eligible: list[str]
    criteria: list[CriterionResult]
    basis: Basis | None = None  # the ledger and rulebook judged on (ADR 0016)

    def failing(self, stars: list[str]) -> list[CriterionResult]:
        """Criteria of ``stars`` that are not met."""
        wanted = set(stars)
        return [c for c in self.criteria if c.star in wanted and not c.met]


Outcome = tuple[bool, str, list[str]]


def evaluate(facts: YearFacts, rulebook: Rulebook) -> Eligibility:
    """Every criterion of every star of the branch's kind for ``facts.year``, plus exclusion."""
    plan = _plan(rulebook, facts.kind)
    results: dict[str, list[CriterionResult]] = {}
    star_met: dict[str, bool] = {}
    for star_id, criteria in plan.judging_order:
        rows = []
        met_all = True
        for criterion, judge in criteria:
            if judge is None:
                met, detail, evidence = _other_stars(star_id, star_met)
            else:
                met, detail, evidence = judge(criterion, facts)
            met_all = met_all and met
            rows.append(
                CriterionResult(
                    star=star_id, criterion=criterion.id, met=met, detail=detail, evidence=evidence
                )
            )
        results[star_id] = rows
        star_met[star_id] = met_all
    exclusion = _exclusion(facts) if facts.spells else None
    eligible = [] if exclusion else [s for s in plan.canonical if star_met[s]]
    return Eligibility(
        branch=facts.branch,
        year=facts.year,
        kind=facts.kind,
        rulebook=rulebook.id,
        excluded=exclusion is not None,
        exclusion=exclusion,
        eligible=eligible,
        criteria=[row for s in plan.canonical for row in results[s]],
    )


Judge = Callable[..., Outcome]


class _Plan(Struct, frozen=True):
    """A rulebook's stars for one kind, ready to judge: canonical order for output, and an
    order in which a star that needs the others (branch_strong) comes last."""

    canonical: list[str]
    judging_order: list[tuple[str, list[tuple[Any, Judge | None]]]]


_plans: dict[tuple[int, str], tuple[Rulebook, _Plan]] = {}


def _plan(rulebook: Rulebook, kind: str) -> _Plan:
    key = (id(rulebook), kind)
    cached = _plans.get(key)
    if cached is not None and cached[0] is rulebook:
        return cached[1]
    stars = rulebook.stars(kind)
    ordered = sorted(stars, key=lambda s: any(isinstance(c, OtherStars) for c in s.criteria))
    plan = _Plan(
        canonical=[s.id for s in stars],
        judging_order=[
            (
                s.id,
                [(c, None if isinstance(c, OtherStars) else _JUDGES[type(c)]) for c in s.criteria],
            )
            for s in ordered
        ],
    )
    _plans[key] = (rulebook, plan)
    return plan


def _exclusion(facts: YearFacts) -> ExclusionResult | None:
    """Weak and lax at any moment of the year (rules.md §5)."""
    spells = [s for s in facts.spells if s.overlaps_year(facts.year)]
    if not spells:
        return None
    parts, evidence = [], []
    for s in spells:
        text = f"weak and lax from {s.designated_on} ({s.designated_id})"
        evidence.append(s.designated_id)
        if s.lifted_on is not None and s.lifted_id is not None:
            text += f", lifted {s.lifted_on} ({s.lifted_id})"
            evidence.append(s.lifted_id)
        else:
            text += ", not lifted"
        parts.append(text)
    return ExclusionResult(detail="; ".join(parts), evidence=evidence)


def _no_incident(c: NoIncident, f: YearFacts) -> Outcome:
    hits = [i for i in f.incidents if i.category in c.categories] if f.incidents else []
    if not hits:
        return True, f"no incident of these categories in {f.year}", []
    detail = "; ".join(f"incident {i.id} {i.category} on {i.on}" for i in hits)
    return False, detail, [i.id for i in hits]


def _figure(c: Figure, f: YearFacts) -> Outcome:
    reported = f.metrics.get(c.metric)
    if reported is None:
        return False, f"no {c.metric} reported for {f.year}", []
    met = reported.value >= c.at_least
    sign = ">=" if met else "<"
    return met, f"{_num(reported.value)} {sign} {_num(c.at_least)}", [reported.id]


def _growth(c: Growth, f: YearFacts) -> Outcome:
    now, before = f.metrics.get(c.metric), f.previous_metrics.get(c.metric)
    if now is None or before is None:
        missing = [str(y) for y, r in ((f.year - 1, before), (f.year, now)) if r is None]
        evidence = [r.id for r in (before, now) if r is not None]
        return False, f"no {c.metric} reported for {' and '.join(missing)}", evidence
    met = now.value > before.value
    sign = ">" if met else "<="
    detail = f"{_num(now.value)} ({f.year}) {sign} {_num(before.value)} ({f.year - 1})"
    return met, detail, [before.id, now.id]


def _attested(c: Attested, f: YearFacts) -> Outcome:
    return _attestation(c.id, f)


def _attestation(criterion: str, f: YearFacts) -> Outcome:
    a = f.attestations.get(criterion)
    if a is None:
        return False, f"no attestation of {criterion} for {f.year}", []
    verdict = "met" if a.met else "not met"
    return a.met, f"attested {verdict} by {a.by}", [a.id]


def _designated(c: Designated, f: YearFacts) -> Outcome:
    return _designation(c.id, f)


def _designation(designation: str, f: YearFacts) -> Outcome:
    d = f.designations.get(designation)
    if d is None:
        return False, f"{designation} not granted for {f.year}", []
    return d.held, f"{designation} {'granted' if d.held else 'revoked'} for {f.year}", [d.id]


def _either_or(c: EitherOr, f: YearFacts) -> Outcome:
    d_met, d_detail, d_ev = _designation(c.designation, f)
    if d_met:
        return True, d_detail, d_ev
    a_met, a_detail, a_ev = _attestation(c.attestation, f)
    if a_met:
        return True, f"{c.attestation} {a_detail}", a_ev
    return False, f"{d_detail}; {c.attestation}: {a_detail}", d_ev + a_ev


def _development_plan(_: DevelopmentPlan, f: YearFacts) -> Outcome:
    if f.plan is None:
        return False, f"no development plan for {f.year}", []
    developed = len(f.members)
    met = developed >= f.plan.target
    sign = ">=" if met else "<"
    detail = f"{developed} members developed in {f.year} {sign} target {f.plan.target}"
    return met, detail, [f.plan.id, *f.members]


def _honour_window(c: HonourWindow, f: YearFacts) -> Outcome:
    # A window reaching before year 1 (records dated at the calendar's start are accepted)
    # starts on its first day.
    start = date(max(MINYEAR, f.year - c.years + 1), 1, 1)
    end = date(f.year, 12, 31)
    hits = [
        h
        for h in f.honours
        if h.kind in c.honour_kinds and h.level in c.levels and start <= h.on <= end
    ]
    if not hits:
        levels = "/".join(c.levels)
        return False, f"no {'/'.join(c.honour_kinds)} honour ({levels}) in {start}..{end}", []
    detail = "; ".join(f"{h.kind} ({h.level}, {h.recipient}) on {h.on}" for h in hits)
    return True, detail, [h.id for h in hits]


def _org_life_quota(c: OrgLifeQuota, f: YearFacts) -> Outcome:
    parts: list[str] = []
    evidence: list[str] = []
    met = True
    for kind, need in c.at_least.items():
        held = [m for m in f.meetings if m.kind == kind]
        met = met and len(held) >= need
        parts.append(f"{kind} {len(held)}/{need}")
        evidence.extend(m.id for m in held)
    for kind in c.every_month:
        held = [m for m in f.meetings if m.kind == kind]
        months = {m.month for m in held}
        missing = [m for m in range(1, 13) if m not in months]
        met = met and not missing
        text = f"{kind} in {12 - len(missing)}/12 months"
        if missing:
            text += f" (missing {', '.join(f'{f.year}-{m:02d}' for m in missing)})"
        parts.append(text)
        evidence.extend(m.id for m in held)
    return met, ", ".join(parts), evidence


def _other_stars(star: str, star_met: dict[str, bool]) -> Outcome:
    missing = [s for s, ok in star_met.items() if s != star and not ok]
    if missing:
        return False, f"not eligible for {', '.join(missing)}", []
    return True, f"eligible for the other {len(star_met)} stars", []


def _num(value: float) -> str:
    """Whole numbers without a fraction, others with at least two decimals (0.80, 0.7999)."""
    if float(value).is_integer():
        return str(int(value))
    text = repr(float(value))
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 2
    return f"{value:.{max(2, decimals)}f}"


_JUDGES: dict[type, Callable[..., Outcome]] = {
    NoIncident: _no_incident,
    Figure: _figure,
    Growth: _growth,
    Attested: _attested,
    Designated: _designated,
    EitherOr: _either_or,
    DevelopmentPlan: _development_plan,
    HonourWindow: _honour_window,
    OrgLifeQuota: _org_life_quota,
}
