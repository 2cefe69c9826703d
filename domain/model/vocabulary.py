"""What rules.md rates for each kind of branch: the union over every rulebook in the folder.

The structural refusals of interchange.md ("an incident category, criterion, metric or
designation that rules.md does not rate for the branch's kind") use this vocabulary, so the ids
an importer accepts and the ids the rulebooks evaluate can never drift apart, and a criterion
that only a newer rulebook rates is accepted before that rulebook is adopted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from domain.model.rulebook import (
    Attested,
    Designated,
    EitherOr,
    Figure,
    Growth,
    NoIncident,
    all_rulebooks,
    needs_the_others,
)


@dataclass(frozen=True)
class KindVocabulary:
    stars: tuple[str, ...]
    star_names: dict[str, str]
    categories: frozenset[str]
    criteria: frozenset[str]
    metrics: frozenset[str]
    designations: frozenset[str]
    # Stars that need all the others, each with the star sets of the rulebooks that say so.
    complete_sets: dict[str, tuple[frozenset[str], ...]]
    # The kind's five stars in each rulebook: a star list is a subset of one of them.
    star_sets: tuple[frozenset[str], ...]


class _Pin(threading.local):
    """The rulebook folder resolved once for a batch of records (``folder_pinned``), per thread."""

    folder: str | None = None


_pin = _Pin()


def vocabulary(kind: str) -> KindVocabulary:
    """The kind's vocabulary from every rulebook; cached per rulebook folder (called per record)."""
    folder = _pin.folder
    if folder is None:
        folder = os.environ.get("FIVESTAR_RULEBOOKS", "")
    return _vocabulary(folder, kind)


@contextmanager
def folder_pinned() -> Iterator[None]:
    """Within it ``vocabulary`` takes the rulebook folder (``FIVESTAR_RULEBOOKS``) read once on
    entry: the ledger decides a batch of records in one, where reading the environment per
    record was 3% of an import. Outside it every call reads the variable afresh."""
    before = _pin.folder
    _pin.folder = os.environ.get("FIVESTAR_RULEBOOKS", "")
    try:
        yield
    finally:
        _pin.folder = before


@cache
def _vocabulary(_folder: str, kind: str) -> KindVocabulary:
    stars: dict[str, str] = {}
    categories: set[str] = set()
    criteria: set[str] = set()
    metrics: set[str] = set()
    designations: set[str] = set()
    complete: dict[str, list[frozenset[str]]] = {}
    star_sets: dict[frozenset[str], None] = {}
    for book in all_rulebooks():
        ids = frozenset(book.star_ids(kind))
        star_sets[ids] = None
        for star in book.stars(kind):
            stars.setdefault(star.id, star.name)
            if needs_the_others(star):
                complete.setdefault(star.id, []).append(ids)
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
        stars=tuple(stars),
        star_names=stars,
        categories=frozenset(categories),
        criteria=frozenset(criteria),
        metrics=frozenset(metrics),
        designations=frozenset(designations),
        complete_sets={s: tuple(sets) for s, sets in complete.items()},
        star_sets=tuple(star_sets),
    )


def star_name(kind: str, star: str) -> str:
    return vocabulary(kind).star_names.get(star, star)
