"""What rules.md rates for each kind of branch, read off the base rulebook.

The structural refusals of interchange.md ("an incident category, criterion, metric or
designation that rules.md does not rate for the branch's kind") use this vocabulary, so the ids
an importer accepts and the ids the rulebook evaluates can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from domain.model.rulebook import (
    BASE_RULEBOOK,
    Attested,
    Designated,
    EitherOr,
    Figure,
    Growth,
    NoIncident,
    load_rulebook,
)


@dataclass(frozen=True)
class KindVocabulary:
    stars: tuple[str, ...]
    star_names: dict[str, str]
    categories: frozenset[str]
    criteria: frozenset[str]
    metrics: frozenset[str]
    designations: frozenset[str]


@cache
def vocabulary(kind: str) -> KindVocabulary:
    book = load_rulebook(BASE_RULEBOOK)
    categories: set[str] = set()
    criteria: set[str] = set()
    metrics: set[str] = set()
    designations: set[str] = set()
    for star in book.stars(kind):
        for c in star.criteria:
            if isinstance(c, NoIncident):
                categories.update(c.categories)
            elif isinstance(c, Attested):
                criteria.add(c.id)
            elif isinstance(c, Figure | Growth):
                metrics.add(c.metric)
            elif isinstance(c, Designated):
                designations.add(c.id)
            elif isinstance(c, EitherOr):
                designations.add(c.designation)
                criteria.add(c.attestation)
    return KindVocabulary(
        stars=tuple(book.star_ids(kind)),
        star_names={s.id: s.name for s in book.stars(kind)},
        categories=frozenset(categories),
        criteria=frozenset(criteria),
        metrics=frozenset(metrics),
        designations=frozenset(designations),
    )


def star_name(kind: str, star: str) -> str:
    return vocabulary(kind).star_names.get(star, star)
