"""What became of one submitted record, as a type: accepted, duplicate or refused.

Callers branch on the type (``isinstance(o, Refused)``), not on strings and flags; the two
refusals a caller answers differently (an HTTP 409 and 404) are subclasses of ``Refused``.
``status`` is the word interchange.md and the API use for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.model.events import BranchEvent


@dataclass(slots=True)
class Outcome:
    line: int
    id: str
    status: ClassVar[str]


@dataclass(slots=True)
class Accepted(Outcome):
    """Recorded: the event and, once written, its ledger position."""

    event: BranchEvent
    position: int | None = None
    status: ClassVar[str] = "applied"


@dataclass(slots=True)
class Duplicate(Outcome):
    """The same id with the same content is already in the ledger: nothing recorded."""

    status: ClassVar[str] = "duplicate"


@dataclass(slots=True)
class Refused(Outcome):
    """Not recorded; ``reason`` names the field and the rule."""

    reason: str
    status: ClassVar[str] = "refused"


@dataclass(slots=True)
class IdClash(Refused):
    """The id is already in the ledger with other content (a correction needs a new id)."""


@dataclass(slots=True)
class UnknownBranchRefused(Refused):
    """The record names a branch that is not registered."""
