"""Versioned rulebooks: the criteria of rules.md §3-5 as data files, validated with pydantic.

A rulebook is data, not code, so that officials can read it beside the seed and a new version
of the criteria is a new file. ``rulebooks/*.toml`` at the project root (or the folder named by
``FIVESTAR_RULEBOOKS``) holds them; ``puyang-2022`` is the seed's standard.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.model.records import HonourKind, HonourLevel, MeetingKind

BASE_RULEBOOK = "puyang-2022"
KINDS = ("village", "community")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _Criterion(_Strict):
    id: str
    wording: str


class NoIncident(_Criterion):
    kind: Literal["no_incident"]
    categories: list[str] = Field(min_length=1)


class Figure(_Criterion):
    kind: Literal["figure"]
    metric: str
    # A finite number: TOML's ``nan`` would fail every branch and ``inf`` every one that
    # reports, silently; a bad file is refused naming the key instead.
    at_least: float = Field(allow_inf_nan=False)


class Growth(_Criterion):
    kind: Literal["growth"]
    metric: str


class Attested(_Criterion):
    kind: Literal["attested"]


class Designated(_Criterion):
    kind: Literal["designated"]


class EitherOr(_Criterion):
    kind: Literal["either_or"]
    designation: str
    attestation: str


class DevelopmentPlan(_Criterion):
    kind: Literal["development_plan"]


class HonourWindow(_Criterion):
    kind: Literal["honour_window"]
    years: int = Field(ge=1, le=10)
    # The kinds and levels ``honor.granted`` has: a misspelt one would never match.
    honour_kinds: list[HonourKind] = Field(min_length=1)
    levels: list[HonourLevel] = Field(min_length=1)


class OtherStars(_Criterion):
    kind: Literal["other_stars"]


class OrgLifeQuota(_Criterion):
    """Meetings of the year counted by kind: the kinds are those of ``meeting.held``, so a
    misspelt kind (never held, never met) is refused as an unknown key of the file."""

    kind: Literal["org_life_quota"]
    at_least: dict[MeetingKind, Annotated[int, Field(ge=0)]]
    every_month: list[MeetingKind] = []


Criterion = Annotated[
    NoIncident
    | Figure
    | Growth
    | Attested
    | Designated
    | EitherOr
    | DevelopmentPlan
    | HonourWindow
    | OtherStars
    | OrgLifeQuota,
    Field(discriminator="kind"),
]


class Star(_Strict):
    id: str
    name: str
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _criterion_ids_unique(self) -> Star:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError(f"star {self.id}: criterion ids repeat: {ids}")
        return self


class KindRules(_Strict):
    stars: list[Star] = Field(min_length=5, max_length=5)

    @model_validator(mode="after")
    def _one_star_needs_the_others(self) -> KindRules:
        ids = [s.id for s in self.stars]
        if len(set(ids)) != 5:
            raise ValueError(f"star ids repeat: {ids}")
        # Two stars that each need all the others would need each other: no order of judging
        # them says what rules.md §4 means, so a kind has at most one (the seed's 支部过硬星).
        needing = [s.id for s in self.stars if any(c.kind == "other_stars" for c in s.criteria)]
        if len(needing) > 1:
            raise ValueError(
                f"stars {', '.join(needing)} each need the other stars (other_stars); "
                "at most one star of a kind may"
            )
        return self


class Exclusion(_Strict):
    kind: Literal["weak_and_lax"]
    wording: str


class Rulebook(_Strict):
    id: str
    title: str
    applies_from: int = Field(ge=2000, le=2100)
    exclusion: Exclusion
    kinds: dict[Literal["village", "community"], KindRules]

    @model_validator(mode="after")
    def _both_kinds(self) -> Rulebook:
        missing = [k for k in KINDS if k not in self.kinds]
        if missing:
            raise ValueError(f"kinds: missing {missing}")
        return self

    def stars(self, kind: str) -> list[Star]:
        """The kind's stars in canonical order (the file's order)."""
        return self.kinds[kind].stars  # type: ignore[index]

    def star_ids(self, kind: str) -> list[str]:
        return [s.id for s in self.stars(kind)]


class RulebookError(ValueError):
    """A rulebook file that cannot be used: names the file, the key and what is wrong."""


_PACKAGED_RULEBOOKS = Path(__file__).resolve().parent.parent.parent / "rulebooks"


def rulebook_dir() -> Path:
    """The rulebook folder: ``FIVESTAR_RULEBOOKS`` or the packaged one (resolved once)."""
    override = os.environ.get("FIVESTAR_RULEBOOKS")
    if override:
        return Path(override)
    return _PACKAGED_RULEBOOKS


def load_rulebook_file(path: Path) -> Rulebook:
    """Parse and validate one rulebook file; every problem names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulebookError(f"{path}: {exc}") from None
    try:
        book = Rulebook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise RulebookError(f"{path}: {problems}") from None
    if book.id != path.stem:
        raise RulebookError(f"{path}: id: {book.id!r} differs from the file name {path.stem!r}")
    return book


# Parameter files beside the rulebooks that are not rulebooks themselves.
NOT_RULEBOOKS = frozenset(
    {"county-rewards", "county-parameters", "case-limits", "mechanism-standards"}
)


def available_rulebooks() -> list[str]:
    return sorted(p.stem for p in rulebook_dir().glob("*.toml") if p.stem not in NOT_RULEBOOKS)


def load_rulebook(rulebook_id: str) -> Rulebook:
    """The rulebook named ``rulebook_id``; unknown names list the ones there are."""
    return _load(rulebook_dir(), rulebook_id)


@cache
def _load(folder: Path, rulebook_id: str) -> Rulebook:
    path = folder / f"{rulebook_id}.toml"
    if not path.is_file():
        raise RulebookError(
            f"unknown rulebook {rulebook_id!r} (known: {', '.join(available_rulebooks())})"
        )
    return load_rulebook_file(path)


def all_rulebooks() -> list[Rulebook]:
    """Every rulebook in the folder, ``puyang-2022`` first: what any rating year may be judged
    by, so what is accepted and what the read models keep is derived from all of them."""
    return list(_all(rulebook_dir()))


@cache
def _all(folder: Path) -> tuple[Rulebook, ...]:
    ids = sorted(
        (p.stem for p in folder.glob("*.toml") if p.stem not in NOT_RULEBOOKS),
        key=lambda i: (i != BASE_RULEBOOK, i),
    )
    return tuple(_load(folder, i) for i in ids)


def honour_reach() -> int:
    """How many rating years an honour counts for under the widest window of any rulebook
    (the year it was granted included): the facts of that many years must see it."""
    windows = [
        c.years
        for book in all_rulebooks()
        for kind in KINDS
        for star in book.stars(kind)
        for c in star.criteria
        if isinstance(c, HonourWindow)
    ]
    return max(windows, default=1)


def needs_the_others(star: Star) -> bool:
    """A star awarded only together with every other star of its kind (支部过硬星)."""
    return any(isinstance(c, OtherStars) for c in star.criteria)
