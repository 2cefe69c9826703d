"""Who may do what: token hashing, the role table, jurisdictions and the request guard.

This module imports no Litestar at import time (``fivestar token`` uses it): the guard
raises ``Unauthorized``/``Forbidden``, which the app maps to RFC 9457 problem details.
See ADR 0008 for the table and its reasons.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.model import records as r

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

    from domain.application.tokens import StoredToken, TokenStore


def new_token() -> str:
    """A random token that never starts with '-' (a command line would take it for an
    option: ``curl -H ... -5abc`` or ``fivestar ... --token -5abc``)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


# ------------------------------------------------------------------ role table
FACTS = frozenset(
    {
        "incident.recorded",
        "incident.retracted",
        "meeting.held",
        "member.developed",
        "plan.set",
        "branch.secretary_appointed",
        "metric.reported",
    }
)
# Working-mechanism records (mechanisms.md §1, ADR 0015): what a branch's recorder keeps.
MECHANISM_FACTS = frozenset(
    {
        "activity.held",
        "linkage.reported",
        "grid.defined",
        "grid.retired",
        "partner.joined",
        "partner.left",
        "cooperative.bound",
        "cooperative.unbound",
        "facility.reported",
        "staffing.reported",
    }
)
# Cases, the problem register and interventions: the county writes all of them, at any level.
LADDER_AND_CASES = frozenset(
    {
        "case.reported",
        "case.assigned",
        "case.escalated",
        "case.progressed",
        "case.resolved",
        "case.verified",
        "problem.registered",
        "problem.resolved",
        "intervention.started",
        "intervention.ended",
    }
)
# A branch's recorder (the village secretary, the grid head) reports, answers and checks cases;
# the township assigns at its own level, and escalates or resolves only while the case is at
# township level (the ``:level`` of ``write_kind``); it also keeps the problem register (台账).
CASE_RECORDER_WRITES = frozenset({"case.reported", "case.progressed", "case.verified"})
CASE_TOWNSHIP_WRITES = frozenset(
    {
        "case.assigned:township",
        "case.escalated:township",
        "case.resolved:township",
        "problem.registered",
        "problem.resolved",
    }
)
CASE_LEVELLED = frozenset({"case.escalated", "case.resolved"})  # judged on the case's level
RECORDER_WRITES = FACTS | MECHANISM_FACTS | {"rating.declared"} | CASE_RECORDER_WRITES
TOWNSHIP_WRITES = RECORDER_WRITES | {
    "criterion.attested",
    "designation.granted",
    "designation.revoked",
    "rating.recommended:township",
}
TOWNSHIP_WRITES |= CASE_TOWNSHIP_WRITES
COUNTY_WRITES = TOWNSHIP_WRITES | {
    "honor.granted",
    "weakness.designated",
    "weakness.lifted",
    "rating.recommended:county",
    "rating.awarded:county",
}
COUNTY_WRITES |= LADDER_AND_CASES
CITY_WRITES = frozenset({"honor.granted", "rating.recommended:city", "rating.awarded:city"})
PROVINCE_WRITES = frozenset({"honor.granted", "rating.awarded:province"})
ADMIN_WRITES = frozenset({"branch.registered"}) | LADDER_AND_CASES


@dataclass(frozen=True)
class Role:
    writes: frozenset[str]
    reads_everything: bool = False  # ignore the token's jurisdiction when reading
    history: bool = True  # may read audit trails
    recompute: bool = False  # may ask what another rulebook would change
    admin: bool = False  # adopts rulebooks, manages tokens


ROLES: dict[str, Role] = {
    "recorder": Role(RECORDER_WRITES),
    "township": Role(TOWNSHIP_WRITES),
    "county": Role(COUNTY_WRITES),
    "city": Role(CITY_WRITES),
    "province": Role(PROVINCE_WRITES, reads_everything=True, recompute=True),
    "auditor": Role(frozenset(), reads_everything=True, recompute=True),
    "service": Role(frozenset(), history=False),
    "admin": Role(ADMIN_WRITES, reads_everything=True, recompute=True, admin=True),
}


def write_kind(record: r.Record, case_level: str | None = None) -> str:
    """What a role must be allowed to write this record: its type, with the deciding level
    for recommendations and awards (``rating.awarded:city``), the assigned level of a
    ``case.assigned`` and, for ``case.escalated``/``case.resolved``, the level the case is at
    (``case_level``; ``unassigned`` for a community case not yet dispatched)."""
    kind = r.type_of(record)
    if isinstance(record, r.RatingRecommendedRecord | r.RatingAwardedRecord):
        return f"{kind}:{record.by}"
    if isinstance(record, r.CaseAssignedRecord):
        return f"{kind}:{record.level}"
    if kind in CASE_LEVELLED:
        return f"{kind}:{case_level or 'unassigned'}"
    return kind


# ---------------------------------------------------------------- jurisdiction
@dataclass(frozen=True)
class Scope:
    """A jurisdiction: every part it names must match (nothing named: the whole province)."""

    county: str | None = None
    township: str | None = None
    branch: str | None = None

    @property
    def everything(self) -> bool:
        return self.county is None and self.township is None and self.branch is None

    def covers(self, county: str, township: str, code: str) -> bool:
        return (
            (self.county is None or self.county == county)
            and (self.township is None or self.township == township)
            and (self.branch is None or self.branch == code)
        )

    def narrow(
        self, county: str | None = None, township: str | None = None, branch: str | None = None
    ) -> Scope | None:
        """The part of this scope that also matches the filters; None when nothing can."""
        merged = {}
        for name, asked in (("county", county), ("township", township), ("branch", branch)):
            own = getattr(self, name)
            if own is not None and asked is not None and own != asked:
                return None
            merged[name] = own if own is not None else asked
        return Scope(**merged)

    def within(self, outer: Scope) -> bool:
        """Whether every place this scope covers is covered by ``outer``: each part
        ``outer`` names is named alike here (a township is only known by its name, so a
        county scope does not contain a scope that names the township alone)."""
        return all(
            getattr(outer, part) is None or getattr(outer, part) == getattr(self, part)
            for part in ("county", "township", "branch")
        )

    @property
    def depth(self) -> int:
        """How far down the levels the scope reaches: 0 the province, 1 a county, 2 a
        township, 3 a branch (the narrowest part it names)."""
        return 3 if self.branch else 2 if self.township else 1 if self.county else 0

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v is not None]
        return ", ".join(parts) or "province-wide"


EVERYWHERE = Scope()

# A token issues tokens of its own rank or below (ADR 0013). Only admin tokens reach the
# token endpoints today; the ranks keep a future role with token rights from granting more
# than it holds. Reading roles rank with the levels whose reach they match.
RANK: dict[str, int] = {
    "service": 0,
    "recorder": 1,
    "township": 2,
    "county": 3,
    "city": 4,
    "auditor": 5,
    "province": 5,
    "admin": 6,
}
# The reviewing roles decide at a level (rules.md §6): a token scoped below that level may
# not issue them, or a county's admin could mint the city's or the province's reviewer of
# its own branches' claims. ``Scope.depth`` of the deepest scope that may issue each.
DECIDES_FROM = {"province": 0, "city": 0, "county": 1, "township": 2}


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token."""

    name: str
    role: str
    scope: Scope

    @classmethod
    def from_token(cls, token: StoredToken) -> Principal:
        return cls(token.name, token.role, Scope(token.county, token.township, token.branch))

    @property
    def rights(self) -> Role:
        return ROLES[self.role]

    @property
    def recorder(self) -> str:
        """What the ledger records as the recorder of this token's events."""
        return f"api:{self.name}"

    @property
    def read_scope(self) -> Scope:
        return EVERYWHERE if self.rights.reads_everything else self.scope

    def refuse_write(self, record: r.Record, case_level: str | None = None) -> str | None:
        """Why this token may not write the record's kind (None: it may). A case or ladder
        record's plain type in the role's writes allows it at every level."""
        kind = write_kind(record, case_level)
        base = r.type_of(record)
        writes = self.rights.writes
        if kind in writes or (base in LADDER_AND_CASES and base in writes):
            return None
        return f"access: role {self.role} may not record {kind}"

    def refuse_type(self, record: r.Record) -> str | None:
        """Why this token may write the record's type at no level at all (None: at some).
        Judged before the jurisdiction and reading nothing of the branch: a refusal that
        named the level of a case elsewhere would tell where that branch's case stands."""
        base = r.type_of(record)
        if base not in CASE_LEVELLED:
            return self.refuse_write(record)
        writes = self.rights.writes
        if base in writes or any(kind.startswith(f"{base}:") for kind in writes):
            return None
        return f"access: role {self.role} may not record {base}"

    def needs_case_level(self, record: r.Record) -> bool:
        """Whether ``refuse_write`` must know the level the record's case is at."""
        base = r.type_of(record)
        return base in CASE_LEVELLED and base not in self.rights.writes

    def refuse_issue(self, role: str, scope: Scope) -> str | None:
        """Why this token may not issue a token of ``role`` over ``scope`` (None: it may):
        never a higher role, never a wider scope."""
        if RANK.get(role, len(RANK)) > RANK[self.role]:
            return f"access: token {self.name} (role {self.role}) may not issue a {role} token"
        if DECIDES_FROM.get(role, 3) < self.scope.depth:
            return (
                f"access: token {self.name} is limited to {self.scope.describe()}; a {role} "
                f"token reviews the claims of that level from above, so only an admin token "
                "of wider reach issues it"
            )
        if not scope.within(self.scope):
            return (
                f"access: token {self.name} may issue tokens only within its own scope "
                f"({self.scope.describe()}), not {scope.describe()}"
            )
        return None

    def manages(self, token: StoredToken) -> bool:
        """Whether this token may see and revoke ``token``: one within its scope."""
        return Scope(token.county, token.township, token.branch).within(self.scope)

    def refuse_adopt(self) -> str | None:
        """Adopting a rulebook changes the ratings of the whole province: an admin token
        without a narrower scope only."""
        if not self.rights.admin:
            return f"role {self.role} may not adopt a rulebook (admin only)"
        if not self.scope.everything:
            return (
                f"token {self.name} is limited to {self.scope.describe()}; a rulebook is "
                "adopted for the whole province, by a province-wide admin token"
            )
        return None

    def hidden(self, code: str) -> str:
        """The one refusal for a branch that is unknown or outside this token's scope: the
        same words for both, so that nothing tells them apart (ADR 0013)."""
        return (
            f"access: no branch {code} within the jurisdiction of token {self.name} "
            f"({self.scope.describe()})"
        )

    def refuse_place(self, code: str, county: str, township: str) -> str | None:
        if self.scope.covers(county, township, code):
            return None
        return (
            f"access: branch {code} ({county}, {township}) is outside the jurisdiction of "
            f"token {self.name} ({self.scope.describe()})"
        )


# ------------------------------------------------------------------ exceptions
class Unauthorized(Exception):
    """No token, or one that is unknown or revoked: 401."""


class Forbidden(Exception):
    """A valid token that may not do this: 403."""


# ----------------------------------------------------------------------- guard
PERMISSION = "permission"  # a handler's opt key: read | history | write | recompute | admin


def bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token


def authorize(principal: Principal, permission: str) -> None:
    rights = principal.rights
    allowed = {
        "read": True,
        "history": rights.history,
        "write": True,  # each record is checked against the role on its own
        "recompute": rights.recompute,
        "admin": rights.admin,
    }.get(permission, False)
    if not allowed:
        raise Forbidden(f"role {principal.role} may not use this endpoint ({permission})")


def authenticate(tokens: TokenStore, header: str | None) -> Principal:
    """The principal holding the bearer token in ``header``, or ``Unauthorized``."""
    stored = tokens.find(hash_token(bearer_token(header)))
    if stored is None or stored.role not in ROLES:
        raise Unauthorized("unknown or revoked token")
    return Principal.from_token(stored)


async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Authenticate the bearer token (off the event loop) and check the handler's
    permission; the principal is left in ``connection.state.principal``."""
    from anyio import to_thread

    tokens: TokenStore = connection.app.state.tokens
    header = connection.headers.get("authorization")
    principal = await to_thread.run_sync(authenticate, tokens, header)
    authorize(principal, handler.opt.get(PERMISSION, "read"))
    connection.state.principal = principal
