"""Determination receipts: the ledger and the rulebook a determination was judged on.

An eligibility object carries ``basis`` = the position its read models (or its as-of replay)
stood at, the Merkle tree size and root of the ledger up to there, and the rulebook with the
SHA-256 of its file; an award event stores the basis of the check made when it was recorded.
Years later an auditor proves with ``fivestar prove --size`` which records were in that tree
and reads the exact rules from a rulebook file with that hash (ADR 0016).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from typing import Any

import msgspec

from domain.application.ledger_tree import TreeStore, view_of
from domain.model.evaluation import Eligibility
from domain.model.merkle import Basis
from domain.model.rulebook import rulebook_dir


@cache
def rulebook_sha256(rulebook_id: str) -> str:
    """SHA-256 of the rulebook file's bytes ("" if the file is gone)."""
    try:
        return hashlib.sha256((rulebook_dir() / f"{rulebook_id}.toml").read_bytes()).hexdigest()
    except OSError:
        return ""


def ledger_point(recorder: Any, position: int | None = None) -> tuple[int, int, str]:
    """(position, size, root) of the ledger up to ``position`` (default: its end)."""
    if position is None and hasattr(recorder, "frontier_point"):
        return recorder.frontier_point()  # the writer's frontier in memory (ADR 0021)
    tree = TreeStore(recorder)
    if position is None:
        size = tree.size()
        leaf = tree.leaf(size - 1) if size else None
        position = leaf.position if leaf is not None else 0
    else:
        size = tree.size_at(position)
    return position, size, tree.root(size).hex()


def basis(point: tuple[int, int, str], rulebook: str) -> Basis:
    position, size, root = point
    return Basis(
        position=position,
        size=size,
        root=root,
        rulebook=rulebook,
        rulebook_sha256=rulebook_sha256(rulebook),
    )


def with_basis(recorder: Any, results: Sequence[Eligibility], position: int) -> list[Eligibility]:
    """The eligibility objects, each with the basis of the ledger at ``position``."""
    if not results:
        return list(results)
    point = ledger_point(recorder, position)
    return [msgspec.structs.replace(e, basis=basis(point, e.rulebook)) for e in results]


def position_as_of(recorder: Any, as_of: Any, position: int | None) -> int:
    """The last ledger position an as-of replay saw (recording times rise with position)."""
    top = recorder.max_notification_id() or 0
    stop = top if position is None else min(position, top)
    if as_of is None:
        return stop
    low, high = 0, stop  # invariant: events up to low are at or before as_of
    while low < high:
        mid = (low + high + 1) // 2
        notes = recorder.select_notifications(start=mid, limit=1, stop=high)
        if not notes:
            high = mid - 1
            continue
        if _time(notes[0].state) <= as_of:
            low = notes[0].id
        else:
            high = mid - 1
    return low


def _time(state: bytes) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(view_of(state).timestamp)


def award_basis(recorder: Any, position: int) -> dict[str, Any] | None:
    """The basis stored in the award event at ``position`` (None: recorded before receipts)."""
    notes = recorder.select_notifications(start=position, limit=1)
    if not notes or notes[0].id != position:
        return None
    try:
        return view_of(notes[0].state).basis
    except msgspec.DecodeError:
        return None
