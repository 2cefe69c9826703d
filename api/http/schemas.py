"""Request and response bodies of the HTTP API as msgspec Structs (they drive the OpenAPI
document too). Record bodies themselves are the interchange shapes of ``domain.model.records``;
eligibility objects are ``domain.model.evaluation.Eligibility``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from domain.model.evaluation import CriterionResult, Eligibility, ExclusionResult
from domain.model.merkle import Basis
from domain.model.rulebook import available_rulebooks

__all__ = [
    "Adopted",
    "Adoption",
    "Award",
    "Branch",
    "BranchPage",
    "CriterionResult",
    "Eligibility",
    "ExclusionResult",
    "FailingCriterion",
    "Health",
    "HistoryEntry",
    "IssuedToken",
    "Ping",
    "Priority",
    "Problem",
    "RecomputeChange",
    "RecomputeCount",
    "RecomputeReport",
    "RecomputeRequest",
    "RecordResult",
    "Reward",
    "Rulebook",
    "Rulebooks",
    "Secretary",
    "TokenInfo",
    "TokenRequest",
]

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")]
# No leading "-": `fivestar token revoke NAME` would read it as an option.
TokenName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._@][A-Za-z0-9._@-]{0,63}$")]
Year = Annotated[int, Meta(ge=2000, le=2100)]
# The rulebooks shipped with the package, as an enum the OpenAPI document lists.
RulebookIds = Literal[tuple(available_rulebooks())]  # type: ignore[valid-type]


class _Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: unknown fields are refused."""


class Problem(Struct, kw_only=True):
    """RFC 9457 problem details (``application/problem+json``)."""

    status: int
    title: str
    detail: str
    id: str | None = None
    reason: str | None = None


class Ping(Struct):
    ok: bool


class Health(Struct, kw_only=True):
    ok: bool
    store: Literal["sqlite", "postgresql"]
    head: int  # last ledger position
    position: int  # position the read models reflect
    lag: int  # events recorded but not yet in the read models
    projector: Literal["running", "external", "off", "failing"]
    projector_error: str | None = None
    verification: dict[str, Any] | None = None  # the last `fivestar verify` (ADR 0016)


# --------------------------------------------------------------------- records
class RecordResult(Struct, kw_only=True):
    """What became of one submitted record; ``position`` is its ledger position when
    applied (a read may wait for it with ``?min_position=``)."""

    id: str
    status: Literal["applied", "duplicate", "refused"]
    reason: str | None = None
    position: int | None = None


# -------------------------------------------------------------------- registry
class Branch(Struct, kw_only=True):
    code: str
    name: str
    kind: Literal["village", "community"]
    county: str
    township: str
    households: int
    population: int
    registered_on: str
    position: int


class BranchPage(Struct, kw_only=True):
    items: list[Branch]
    total: int
    limit: int
    offset: int


class HistoryEntry(Struct, kw_only=True):
    position: int
    recorded_at: datetime
    recorder: str
    record: dict[str, Any]
    basis: dict[str, Any] | None = None  # an award's determination receipt (ADR 0016)


# ------------------------------------------------------------------- workflow
class FailingCriterion(Struct, kw_only=True):
    star: str | None
    criterion: str
    met: bool
    detail: str
    evidence: list[str]


class Award(Struct, kw_only=True):
    branch: str
    year: int
    stars: list[str]
    level: int
    by: str
    on: str
    stale: bool
    now_failing: list[FailingCriterion]
    kind: str | None = None  # village or community: whose wording the ids take
    rulebook: str | None = None  # in force for the year now, the one now_failing is judged by
    basis: Basis | None = None  # the eligibility check the award was recorded on (ADR 0016)


class Secretary(Struct, kw_only=True):
    person: str | None
    civil_servant: bool | None


class Reward(Struct, kw_only=True):
    branch: str
    year: int
    on: str
    level: int
    authority: str
    funds_yuan: float | None
    pay_rise_pct: float | None
    secretary: Secretary | None
    secretary_benefits: list[str]


class YearSecretary(Struct, kw_only=True):
    year: int
    person: str | None
    civil_servant: bool | None


class Priority(Struct, kw_only=True):
    branch: str
    tier: Literal["five_star", "four_star_or_above"]
    years: list[int]
    secretaries: list[YearSecretary]
    secretary_changed: bool
    entitlements: list[str]


# ------------------------------------------------------------------ rulebooks
class Rulebook(Struct, kw_only=True):
    id: str
    title: str
    applies_from: int


class Adoption(Struct, kw_only=True):
    year: int
    rulebook: str
    reason: str
    recorder: str
    recorded_at: str
    position: int


class Rulebooks(Struct, kw_only=True):
    rulebooks: list[Rulebook]
    adoptions: list[Adoption]


class RecomputeRequest(_Body):
    """A dry run by default; ``adopt`` records the rulebook for the year (admin only)."""

    year: Year
    rulebook: RulebookIds  # type: ignore[valid-type]
    adopt: bool = False
    reason: Annotated[str, Meta(max_length=2000)] = ""


class Flip(Struct, kw_only=True):
    star: str
    criterion: str
    was: bool | None
    now: bool | None
    detail: str
    evidence: list[str]


class RecomputeChange(Struct, kw_only=True):
    branch: str
    county: str
    township: str
    gained: list[str]
    lost: list[str]
    flipped: list[Flip]
    kind: str | None = None  # village or community: whose wording the ids take


class RecomputeCount(Struct, kw_only=True):
    county: str
    star: str
    change: str
    branches: int


class Adopted(Struct, kw_only=True):
    recorded_at: datetime
    recorder: str
    reason: str
    position: int | None = None


class RecomputeReport(Struct, kw_only=True, rename={"from_": "from"}):
    year: int
    from_: str
    to: str
    branches_evaluated: int
    changes: list[RecomputeChange]
    counts: list[RecomputeCount]
    adopted: Adopted | None = None


# --------------------------------------------------------------------- tokens
class TokenRequest(_Body):
    role: Literal[
        "recorder", "township", "county", "city", "province", "auditor", "service", "admin"
    ]
    county: Name | None = None
    township: Name | None = None
    branch: Name | None = None
    name: TokenName | None = None


class TokenInfo(Struct, kw_only=True):
    name: str
    role: str
    county: str | None
    township: str | None
    branch: str | None
    issued_at: str
    revoked_at: str | None


class IssuedToken(Struct, kw_only=True):
    """The token is shown here once; only its SHA-256 is stored."""

    name: str
    role: str
    county: str | None
    township: str | None
    branch: str | None
    token: str
