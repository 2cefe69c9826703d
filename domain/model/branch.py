"""The Branch aggregate: one event stream per branch, and the rules a new record must pass.

``Branch.decide`` takes a decoded record and either returns the event that records it,
returns ``DUPLICATE`` (same ``(branch, id)`` and content: a no-op), or raises ``Refused``
naming the field and the rule. The order of the checks is interchange.md's: the id is looked
up before any rule; then the kind's vocabulary; then the ledger; then the rating workflow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final
from uuid import UUID

from msgspec import Struct

from domain.model import records as r
from domain.model.evaluation import evaluate
from domain.model.events import EVENT_FOR_RECORD, BranchEvent, branch_stream_id
from domain.model.facts import BranchFacts, Spell, apply, new_facts, year_slice
from domain.model.registers import (
    MECHANISM_TYPES,
    Refusal,
    Registers,
    check_kind,
    check_ledger,
    fold,
)
from domain.model.rulebook import Rulebook, needs_the_others
from domain.model.vocabulary import vocabulary

DUPLICATE: Final = "duplicate"

# Who decides how many stars (rules.md §6) and whose recommendation must cover an award.
AWARD_AUTHORITY = {"county": range(1, 4), "city": range(4, 5), "province": range(5, 6)}
AWARD_AUTHORITY_TEXT = {"county": "up to 3", "city": "exactly 4", "province": "exactly 5"}
AWARD_NEEDS = {"county": "township", "city": "county", "province": "city"}


class Refused(Exception):
    """A record the ledger will not accept; ``reason`` names the field and the rule."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class IdClashRefusal(Refused):
    """The record's id is already in the branch's ledger with other content."""


class UnknownBranchRefusal(Refused):
    """The record names a branch that is not registered."""


@dataclass
class YearRatings:
    declared: r.RatingDeclaredRecord | None = None
    recommended: dict[str, r.RatingRecommendedRecord] = field(default_factory=dict)
    award: r.RatingAwardedRecord | None = None


@dataclass
class Branch:
    """State of one branch, folded from its events by ``project_branch``."""

    id: UUID
    code: str
    version: int = 0
    registration: r.BranchRegisteredRecord | None = None
    digests: dict[str, bytes] = field(default_factory=dict)
    facts: BranchFacts | None = None
    secretaries: list[r.SecretaryAppointedRecord] = field(default_factory=list)
    ratings: dict[int, YearRatings] = field(default_factory=dict)
    modified_on: datetime | None = None
    snapshot_version: int = 0
    # grids, partners, cooperatives, cases, problems, interventions (mechanisms.md §1)
    registers: Registers = field(default_factory=Registers)

    # ------------------------------------------------------------------ folding
    def mutate(self, event: BranchEvent) -> None:
        record = event.record
        self.version = event.originator_version
        self.modified_on = event.timestamp
        self.digests[record.id] = digest(record)
        rtype = type(record)
        if rtype is r.BranchRegisteredRecord:
            self.registration = record  # type: ignore[assignment]
            self.facts = new_facts(record)  # type: ignore[arg-type]
            return
        assert self.facts is not None
        apply(self.facts, record)
        if rtype in MECHANISM_TYPES:
            fold(self.registers, record, self.kind, event.originator_version)
        if rtype is r.SecretaryAppointedRecord:
            self.secretaries.append(record)  # type: ignore[arg-type]
        elif rtype is r.RatingDeclaredRecord:
            self._year(record.year).declared = record  # type: ignore[attr-defined, assignment]
        elif rtype is r.RatingRecommendedRecord:
            self._year(record.year).recommended[record.by] = record  # type: ignore[attr-defined, assignment]
        elif rtype is r.RatingAwardedRecord:
            self._year(record.year).award = record  # type: ignore[attr-defined, assignment]

    def _year(self, year: int) -> YearRatings:
        return self.ratings.setdefault(year, YearRatings())

    @property
    def kind(self) -> str:
        assert self.registration is not None
        return self.registration.kind

    # ----------------------------------------------------------------- deciding
    def decide(
        self,
        record: r.AnyRecord,
        *,
        timestamp: datetime,
        recorder: str,
        rulebook_for: Callable[[int], Rulebook],
    ) -> BranchEvent | str:
        """The event recording ``record``, ``DUPLICATE``, or ``Refused``."""
        known = self.digests.get(record.id)
        if known is not None:
            if known == digest(record):
                return DUPLICATE
            raise IdClashRefusal(
                f"ledger: id {record.id} is already in the ledger of {self.code} "
                "with other content (a correction needs a new id)"
            )
        rtype = type(record)
        registration = self.registration
        if rtype is r.BranchRegisteredRecord:
            if registration is not None:
                raise Refused(
                    f"ledger: branch {self.code} is already registered "
                    f"({registration.id}); a second registration is refused"
                )
        elif registration is None:
            raise UnknownBranchRefusal(f"ledger: branch: {record.branch} is not registered")
        else:
            kind = registration.kind
            check_vocabulary(record, kind)
            if rtype in _MECHANISM_CHECKED:
                self._check_mechanism(record, kind)
            elif rtype in _LEDGER_CHECKED:
                self._check_ledger(record)
            elif rtype in _RATING_TYPES:
                self._check_workflow(record, rulebook_for)  # type: ignore[arg-type]
        return EVENT_FOR_RECORD[rtype](
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=timestamp,
            recorder=recorder,
            record=record,
        )

    def _check_mechanism(self, record: r.AnyRecord, kind: str) -> None:
        """The structural and ledger refusals of mechanisms.md §1, on the registers."""
        assert self.facts is not None
        try:
            check_kind(record, kind, lambda: vocabulary(kind).stars)
            # the incidents by id: the checks ask only whether an id is among them
            check_ledger(self.registers, record, kind, self.facts.incidents)
        except Refusal as refusal:
            raise Refused(refusal.reason) from None

    def _check_ledger(self, record: r.AnyRecord) -> None:
        assert self.facts is not None
        if isinstance(record, r.IncidentRetractedRecord):
            incident = self.facts.incidents.get(record.ref)
            if incident is None:
                raise Refused(
                    f"ledger: ref: {record.ref} is not an incident recorded for {self.code}"
                )
            if incident.retracted_by is not None:
                raise Refused(
                    f"ledger: ref: incident {record.ref} is already retracted "
                    f"({incident.retracted_by})"
                )
        elif isinstance(record, r.WeaknessDesignatedRecord):
            spell = self.facts.open_spell()
            if spell is not None:
                raise Refused(
                    "ledger: weakness.designated while a weak-and-lax spell is open "
                    f"(designated {spell.designated_on}, {spell.designated_id})"
                )
        elif isinstance(record, r.WeaknessLiftedRecord):
            spell = self.facts.open_spell()
            if spell is None:
                raise Refused("ledger: weakness.lifted with no weak-and-lax spell open")
            if record.on < spell.designated_on:
                raise Refused(
                    f"ledger: on: lift dated {record.on} is before the open spell's "
                    f"designation ({spell.designated_on}, {spell.designated_id})"
                )

    # ----------------------------------------------------------------- workflow
    def _check_workflow(
        self,
        record: r.RatingDeclaredRecord | r.RatingRecommendedRecord | r.RatingAwardedRecord,
        rulebook_for: Callable[[int], Rulebook],
    ) -> None:
        assert self.facts is not None
        year = record.year
        check_complete(record.stars, self.kind, rulebook_for(year))
        what = _describe(record)
        if isinstance(record, r.RatingDeclaredRecord) and not (
            date(year, 1, 1) <= record.on <= date(year, 12, 31)
        ):
            raise Refused(
                f"workflow: on: a declaration for {year} is due within {year} "
                f"(by {year}-12-31, rules.md §6.1); it is dated {record.on}"
            )
        self._check_not_weak(year, record.on, what)
        ratings = self.ratings.get(year, YearRatings())
        if isinstance(record, r.RatingRecommendedRecord):
            _check_recommendation(record, ratings)
        elif isinstance(record, r.RatingAwardedRecord):
            self._check_award(record, ratings, rulebook_for(year))

    def _check_not_weak(self, year: int, on: date, what: str) -> None:
        assert self.facts is not None
        for spell in self.facts.spells:
            if spell.overlaps_year(year):
                raise Refused(
                    f"workflow: {what}: {self.code} is excluded for {year}: "
                    f"{_spell_text(spell)} (rules.md §5, 软弱涣散党组织不参与星级评定)"
                )
            if spell.covers(on):
                raise Refused(
                    f"workflow: {what}: {self.code} is weak and lax on {on}: "
                    f"{_spell_text(spell)} (rules.md §5)"
                )

    def _check_award(
        self, record: r.RatingAwardedRecord, ratings: YearRatings, rulebook: Rulebook
    ) -> None:
        count = len(record.stars)
        if ratings.award is not None:
            prior = ratings.award
            raise Refused(
                f"workflow: a second award for {record.year}: {self.code} was already "
                f"awarded {_stars(len(prior.stars))} by {prior.by} ({prior.id}); one award a year"
            )
        if count not in AWARD_AUTHORITY[record.by]:
            right = next((a for a, counts in AWARD_AUTHORITY.items() if count in counts), None)
            raise Refused(
                f"workflow: by: award by {record.by}: {_stars(count)} need the {right} "
                f"({record.by} decides {AWARD_AUTHORITY_TEXT[record.by]})"
                if right is not None
                else f"workflow: by: award by {record.by}: no authority awards {_stars(count)} "
                f"({record.by} decides {AWARD_AUTHORITY_TEXT[record.by]})"
            )
        below = AWARD_NEEDS[record.by]
        _check_covered(record, ratings.recommended.get(below), f"the {below}'s recommendation")
        result = evaluate(year_slice(self.facts, record.year), rulebook)  # type: ignore[arg-type]
        for star in record.stars:
            if star in result.eligible:
                continue
            failing = [c for c in result.criteria if c.star == star and not c.met]
            reasons = "; ".join(
                f"{c.criterion} {c.detail}" + (f" ({', '.join(c.evidence)})" if c.evidence else "")
                for c in failing
            )
            raise Refused(
                f"workflow: not eligible for {star}: {reasons} "
                f"(rulebook {rulebook.id}, on the records known now)"
            )


_MECHANISM_CHECKED = MECHANISM_TYPES | {r.MeetingHeldRecord}
_LEDGER_CHECKED = frozenset(
    {r.IncidentRetractedRecord, r.WeaknessDesignatedRecord, r.WeaknessLiftedRecord}
)


def _check_recommendation(record: r.RatingRecommendedRecord, ratings: YearRatings) -> None:
    count = len(record.stars)
    if record.by == "county" and count < 4:
        raise Refused(
            f"workflow: stars: a county recommendation goes to the city for four stars or "
            f"more; {_stars(count)} {'is' if count == 1 else 'are'} the county's own decision "
            "(rules.md §6.3)"
        )
    if record.by == "city" and count < 5:
        raise Refused(
            f"workflow: stars: a city recommendation goes to the province for five stars "
            f"only; {_stars(count)} are the city's or county's decision (rules.md §6.4)"
        )
    if record.by == "township":
        _check_covered(record, ratings.declared, "the declaration")
    else:
        below = "township" if record.by == "county" else "county"
        _check_covered(record, ratings.recommended.get(below), f"the {below}'s recommendation")


def _check_covered(
    record: r.RatingRecommendedRecord | r.RatingAwardedRecord,
    basis: r.RatingDeclaredRecord | r.RatingRecommendedRecord | None,
    basis_name: str,
) -> None:
    what = _describe(record)
    if basis is None:
        raise Refused(f"workflow: {what}: no {basis_name[4:]} for {record.year} to cover it")
    missing = [s for s in record.stars if s not in basis.stars]
    if missing:
        raise Refused(
            f"workflow: stars: {what} is not covered by {basis_name} for {record.year} "
            f"({basis.id}): {', '.join(missing)} not in it"
        )


def _stars(count: int) -> str:
    return f"{count} star" if count == 1 else f"{count} stars"


def _describe(record: r.RatingRecord) -> str:
    if isinstance(record, r.RatingDeclaredRecord):
        return f"declaration for {record.year}"
    if isinstance(record, r.RatingRecommendedRecord):
        return f"recommendation by {record.by}"
    return f"award by {record.by}"


def _spell_text(spell: Spell) -> str:
    text = f"designated {spell.designated_on} ({spell.designated_id})"
    if spell.lifted_on is not None:
        text += f", lifted {spell.lifted_on} ({spell.lifted_id})"
    return text


_VOCABULARY_FIELDS: dict[type, tuple[str, str]] = {
    r.IncidentRecordedRecord: ("category", "categories"),
    r.CriterionAttestedRecord: ("criterion", "criteria"),
    r.MetricReportedRecord: ("metric", "metrics"),
    r.DesignationGrantedRecord: ("designation", "designations"),
    r.DesignationRevokedRecord: ("designation", "designations"),
}
_RATING_TYPES = frozenset(
    {r.RatingDeclaredRecord, r.RatingRecommendedRecord, r.RatingAwardedRecord}
)


def check_vocabulary(record: r.AnyRecord, kind: str) -> None:
    """Structural checks that need the branch's kind (interchange.md)."""
    rtype = type(record)
    checked = _VOCABULARY_FIELDS.get(rtype)
    if checked is not None:
        name, attribute = checked
        value = getattr(record, name)
        allowed = getattr(vocabulary(kind), attribute)
        if value not in allowed:
            plural = "communities" if kind == "community" else f"{kind}s"
            none_at_all = f" ({plural} have no {name}s)" if not allowed else ""
            raise Refused(f"structural: {name}: {value!r} is not rated for a {kind}{none_at_all}")
    elif rtype in _RATING_TYPES:
        check_stars(record.stars, kind)  # type: ignore[union-attr]


def check_stars(stars: list[str], kind: str) -> None:
    all_stars = vocabulary(kind).stars
    if not stars:
        raise Refused("structural: stars: the star list is empty")
    unknown = [s for s in stars if s not in all_stars]
    if unknown:
        raise Refused(f"structural: stars: {', '.join(unknown)} is not a star of a {kind}")
    if len(set(stars)) != len(stars):
        raise Refused("structural: stars: a star is repeated")
    vocab = vocabulary(kind)
    if not any(set(stars) <= five for five in vocab.star_sets):
        # rulebooks that name a star differently: a list mixing their names is no kind's five
        raise Refused(
            f"structural: stars: {', '.join(stars)} are not the stars of a {kind} under any "
            "one rulebook (a kind has five stars, rules.md §2)"
        )


def check_complete(stars: list[str], kind: str, rulebook: Rulebook) -> None:
    """A star that needs the others (支部过硬星, "且已获评其他4颗星") only with all five stars.

    Which star needs them is the answer of the rulebook in force for the rating year: a file
    merely in the folder, or adopted for another year, that gives ``other_stars`` to another
    star must not block that star's four-star sets in this year (ADR 0040). A star the
    rulebook in force does not rate keeps the answer of the rulebooks that rate it."""
    in_force = {star.id: star for star in rulebook.stars(kind)}
    five = frozenset(in_force)
    chosen = set(stars)
    for star in stars:
        rated = in_force.get(star)
        if rated is not None:
            sets: tuple[frozenset[str], ...] = (five,) if needs_the_others(rated) else ()
            name = rated.name
        else:
            vocab = vocabulary(kind)
            sets, name = vocab.complete_sets.get(star, ()), vocab.star_names.get(star, star)
        if sets and not any(chosen >= needed for needed in sets):
            raise Refused(
                f"structural: stars: {star} only with all the other stars "
                f"({name} needs the others, rules.md §4)"
            )


def digest(record: r.Record) -> bytes:
    """Content identity of a record: decoded, defaults filled in, numbers by value. (A copy
    of a ready hasher: ``blake2b(data, digest_size=12)`` parses its keywords on every call,
    half the cost of a digest, and this runs once per event folded.)"""
    hasher = _DIGEST.copy()
    hasher.update(r.encode_record(record))
    return hasher.digest()


_DIGEST = hashlib.blake2b(digest_size=12)


class BranchSnapshot(Struct, gc=False, frozen=True, kw_only=True):
    """The whole state of a branch at a version, so a reload replays only what came after."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    state: Branch

    @classmethod
    def take(cls, branch: Branch) -> BranchSnapshot:
        branch.snapshot_version = branch.version
        return cls(
            originator_id=branch.id,
            originator_version=branch.version,
            timestamp=branch.modified_on or datetime.now(UTC),
            state=branch,
        )


def project_branch(
    branch: Branch | None, events: Iterable[BranchEvent | BranchSnapshot]
) -> Branch | None:
    """The library's projector function for ``repository.get`` (immutable-event style):
    a snapshot, if any, comes first, then the events after it."""
    for event in events:
        if isinstance(event, BranchSnapshot):
            branch = event.state
            branch.snapshot_version = event.originator_version
            continue
        if branch is None:
            branch = Branch(id=event.originator_id, code=event.record.branch)
        branch.mutate(event)
    return branch


def empty_branch(code: str) -> Branch:
    return Branch(id=branch_stream_id(code), code=code)
