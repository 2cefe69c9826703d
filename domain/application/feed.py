"""The event feed: accepted events after a ledger position, for backend services.

A consumer keeps the position of the last event it handled and asks for the events after
it; filters (type, a place test) are applied here, and ``next`` is the last position
*examined*, so a filtered page never makes a consumer read the same stretch twice. An event
the ledger cannot decode is passed on as ``"type": "unreadable"`` with its position, never
skipped silently (ADR 0016), to the readers who may see the branch its leaf names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from domain.application.ledger_tree import TreeStore, entry_of
from domain.application.mapper import decode_event
from domain.model import merkle

PAGE = 1000
MAX_PAGES = 20  # pages examined per call when filters skip most events

PlaceTest = Callable[[str], bool]  # may this reader see events of this branch code?


def events_after(
    service: Any,
    after: int,
    limit: int,
    types: frozenset[str] = frozenset(),
    visible: PlaceTest | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """(events, next): up to ``limit`` events after ``after``, and the position to resume
    after. Events of branches ``visible`` refuses are left out (ledger-wide events stay)."""
    recorder = service.ledger.recorder
    found: list[dict[str, Any]] = []
    position = after
    for _ in range(MAX_PAGES):
        notes = recorder.select_notifications(start=position, limit=PAGE, inclusive_of_start=False)
        for note in notes:
            position = note.id
            item = _item(note, recorder)
            if _wanted(item, types, visible):
                found.append(item)
                if len(found) >= limit:
                    return found, position
        if len(notes) < PAGE:
            break
    return found, position


def _item(note: Any, recorder: Any) -> dict[str, Any]:
    try:
        decode_event(note.topic, note.state)
        branch, entry = entry_of(note.originator_version, note.state)
    except (ValueError, msgspec.DecodeError) as exc:
        leaf = TreeStore(recorder).leaf_at(note.id)  # whose event it was, as recorded
        return {
            "position": note.id,
            "type": "unreadable",
            "branch": leaf.branch if leaf is not None else None,
            "error": str(exc)[:200],
        }
    body = msgspec.json.decode(entry)
    item = {
        "position": note.id,
        "type": body["record"]["type"],
        "branch": branch,
        "version": note.originator_version,
        "recorded_at": body["recorded_at"],
        "recorder": body["recorder"],
        "record": body["record"],
        "leaf_hash": merkle.leaf_hash(entry).hex(),
    }
    if "basis" in body:  # an award's receipt: hashed into its leaf, kept by a copy too
        item["basis"] = body["basis"]
    return item


def _wanted(item: dict[str, Any], types: frozenset[str], visible: PlaceTest | None) -> bool:
    if types and item["type"] not in types:
        return False
    branch = item.get("branch")
    if visible is None:
        return True
    if branch is None:  # ledger-wide; a damaged event of no known branch only for all-seeing
        return item["type"] != "unreadable"
    return visible(branch)
