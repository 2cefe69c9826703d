"""Rebuilding the read models: stream by stream up to a position, then the usual catch-up.

Replaying the log in ledger order rewrites every branch's facts once per batch; a rebuild
reads the events up to the log's end *by stream* (the primary-key order), folds each branch
once, judges each of its years once and writes its rows once. The adoptions up to that
position are read first, so every year is judged under the rulebook then in force. Progress
(the position and the last stream done) commits with each group of branches, so an
interrupted rebuild resumes; events recorded meanwhile are applied by the ordinary catch-up
from that position (ADR 0006).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from eventsourcing.utils import get_topic

from domain.events import BranchEvent, RulebookAdopted
from domain.facts import BranchFacts
from domain.ledger import Ledger
from domain.mapper import decode_event
from projections.eligibility import LedgerProjection, Positioned, Rows, adoptions_in_force
from projections.runner import Progress, ProjectionRunner
from projections.views import ViewStore

PAGE = 20_000
GROUP = 500  # branches per transaction


def rebuild(ledger: Ledger, fresh: ViewStore, progress: Progress | None = None) -> int:
    """Fill ``fresh`` (empty, or a rebuild interrupted earlier) and return its position."""
    projection = LedgerProjection()
    state = fresh.stream_progress()
    if state is None and fresh.position() == 0:
        base = ledger.recorder.max_notification_id() or 0
        if base:
            with fresh.writing() as w:
                w.set_stream_progress(base, "")
            state = (base, "")
    if state is not None:
        _by_stream(ledger, fresh, projection, *state, progress)
    return ProjectionRunner(ledger, fresh, projection).catch_up(progress)


def _by_stream(
    ledger: Ledger,
    fresh: ViewStore,
    projection: LedgerProjection,
    base: int,
    last_stream: str,
    progress: Progress | None,
) -> None:
    adoptions = _adoptions(ledger, base)
    in_force = adoptions_in_force((e.year, e.rulebook) for _, e in adoptions)
    if not last_stream:
        with fresh.writing() as w:
            rows = Rows()
            for position, event in adoptions:
                rows.adoption(position, event)
            rows.write(w)
    done = 0
    for group in _groups(ledger, base, last_stream):
        with fresh.writing() as w:
            rows = Rows()
            facts: dict[str, BranchFacts] = {}
            dirty: dict[str, set[int]] = defaultdict(set)
            for _, events in group:
                for position, event in events:
                    projection.branch_event(rows, position, event, facts, dirty)
            rows.write(w)
            projection.write_branches(w, facts, dirty, in_force)
            w.set_stream_progress(base, group[-1][0])
        done += sum(len(events) for _, events in group)
        if progress:
            progress(min(done, base), base)
    with fresh.writing() as w:
        w.set_stream_progress(base, None)
        w.track(base)


def _adoptions(ledger: Ledger, base: int) -> list[tuple[int, RulebookAdopted]]:
    notes = ledger.recorder.select_notifications(
        start=None, limit=1_000_000, stop=base, topics=[get_topic(RulebookAdopted)]
    )
    return [(n.id, decode_event(n.topic, n.state)) for n in notes]


def _groups(
    ledger: Ledger, base: int, after_stream: str
) -> Iterator[list[tuple[str, list[Positioned]]]]:
    """Branch streams in primary-key order, GROUP at a time, each with its events."""
    group: list[tuple[str, list[Positioned]]] = []
    current, events = None, []
    after = (after_stream, 1 << 62) if after_stream else ("", 0)
    while True:
        rows = ledger.recorder.select_by_stream(after, base, PAGE)  # type: ignore[attr-defined]
        for stream, version, position, topic, state in rows:
            if stream != current:
                if current is not None and events:
                    group.append((current, events))
                    if len(group) >= GROUP:
                        yield group
                        group = []
                current, events = stream, []
            event = decode_event(topic, state)
            if isinstance(event, BranchEvent):
                events.append((position, event))
            after = (stream, version)
        if len(rows) < PAGE:
            break
    if current is not None and events:
        group.append((current, events))
    if group:
        yield group
