"""Rebuilding every registered read model in one pass over the ledger by stream, verifying
the ledger as it goes (ADR 0020), then the usual catch-up for events recorded meanwhile.

Replaying the log in ledger order rewrites every branch's rows once per batch; a rebuild
reads the events up to the log's end *by stream* (the primary-key order) with the leaf the
ledger recorded for each, checks each event against its leaf (``replay_check.ReplayCheck``), and
hands each group of whole branch streams to every read model's ``stream_rows`` (or
``process``; ``projections/tables.py``), which folds each branch once and judges each of its
years once. The events of no branch (rulebook adoptions) are processed first, so every
branch is judged under the rulebooks adopted by then.

The stream key space is cut in two parts worked by two forked processes (this is CPU work on
a 2-core machine); each part commits its progress (the last stream done) with every group of
branches, so an interrupted rebuild resumes; a resumed part checks again the streams it
does not fold again, so every run checks every event. Meanwhile the parent checks what a
part cannot: the leaves in ledger order, as many as the events, and the stored tree's root
(``Audit.check_replayed``). Anything amiss, and the usual ``verify`` names the first bad
event and the rebuild is refused (``LedgerDamaged``): nothing is swapped in.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.utils import get_topic

from domain.application.audit import Audit, LedgerDamaged
from domain.application.ledger import Ledger, LedgerLog
from domain.application.mapper import decode_event
from domain.application.replay_check import (
    PAGE,
    PARTS,
    Local,
    ReplayCheck,
    Shared,
    StoredLeaves,
    combine,
    run_workers,
    worker_failed,
)
from domain.application.settings import Settings
from domain.application.store import ledger_env
from domain.model.events import BranchRegistered, RulebookAdopted
from projections.runner import Progress, ProjectionRunner
from projections.tables import Positioned, Projection, ViewWriter
from projections.views import REBUILD, ViewStore, open_views

GROUP_EVENTS = 60_000  # a group of streams closes at this many events (memory), or at
# ``settings.rebuild_group`` streams
ALL_DONE = "\U0010ffff"  # a finished part's last stream: every stream sorts before it
Stream = tuple[str, list[Positioned]]
Rows = Mapping[str, Sequence[Sequence[Any]]] | None  # None: the projection processes


def rebuild(
    db: str,
    ledger: Ledger,
    fresh: ViewStore,
    settings: Settings,
    audit: Audit,
    progress: Progress | None = None,
) -> int:
    """Fill ``fresh`` (empty, or a rebuild interrupted earlier) and return its position;
    ``LedgerDamaged`` (from ``audit``) if the ledger fails its verification."""
    with _no_cycle_collection():
        return _rebuild(db, ledger, fresh, settings, audit, progress)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection while a rebuild runs (its forked workers inherit this):
    it makes millions of short-lived containers and next to no cycles, and the collector's
    passes over them cost a quarter of its time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rebuild(
    db: str,
    ledger: Ledger,
    fresh: ViewStore,
    settings: Settings,
    audit: Audit,
    progress: Progress | None,
) -> int:
    state = fresh.stream_progress()
    others: list[Positioned] | None = None
    if not state and fresh.position() == 0:
        base = ledger.recorder.max_notification_id() or 0
        if base:
            others = _ledger_events(ledger, base)
            state = _start(fresh, base, others)
    if not state:  # nothing to replay by stream (an empty ledger, or only the catch-up
        audit.require_intact()  # left to do): verify the usual way
    else:
        base = next(iter(state.values()))[0]
        parts = [(part, ALL_DONE if done else last) for part, (_, last, done) in state.items()]
        if others is None:
            others = _ledger_events(ledger, base)
        checked, damaged, leaves = _work(
            db, ledger, fresh, base, parts, others, settings, audit, progress
        )
        if damaged is not None or not audit.check_replayed(base, checked, leaves):
            audit.require_intact()  # names the first bad event as ``verify`` does
            raise LedgerDamaged(  # verify finds nothing now: the ledger changed meanwhile
                "rebuild refused: the ledger's events or leaves changed while it was replayed "
                "(`fivestar verify` finds it intact now); run `fivestar rebuild` again"
            )
        with fresh.writing() as w:
            w.clear_stream_progress()
            for model in fresh.read_models:
                w.track(model.name, base)
    runner = ProjectionRunner(LedgerLog(ledger), fresh, settings.projection_batch_size)
    return runner.catch_up(progress)


def _start(
    fresh: ViewStore, base: int, others: list[Positioned]
) -> dict[int, tuple[int, str, bool]]:
    """Record the position to rebuild up to, and process the events of no branch up to it
    (``others``), in one go."""
    projections = _projections(fresh)
    with fresh.writing() as w:
        if others:
            for projection in projections:
                projection.process(w, others)
        for part in range(len(PARTS)):
            w.set_stream_progress(part, base, "", False)
    return {part: (base, "", False) for part in range(len(PARTS))}


def _projections(fresh: ViewStore) -> list[Projection]:
    return [model.projection() for model in fresh.read_models]


def _work(
    db: str,
    ledger: Ledger,
    fresh: ViewStore,
    base: int,
    parts: list[tuple[int, str]],
    others: list[Positioned],
    settings: Settings,
    audit: Audit,
    progress: Progress | None,
) -> tuple[int, int | None, StoredLeaves | None]:
    """Work every part, and meanwhile read the stored leaves; (events checked, first
    damaged position or None, the leaves up to ``base``)."""
    group = settings.rebuild_group
    if settings.rebuild_workers < 2 or len(parts) < 2:
        shared = Shared(Local(), Local())
        results = []
        for part, last in parts:
            results.append(
                _run_part(ledger, fresh, part, last, base, others, group, shared, progress)
            )
        return (*combine(results), audit.stored_leaves(base))
    context = multiprocessing.get_context("fork")
    shared = Shared(context.Value("q", 0), context.Value("b", 0))
    results_queue = context.SimpleQueue()
    workers = [
        context.Process(
            target=_forked_part,
            args=(db, part, last, base, others, group, shared, results_queue),
            daemon=True,
        )
        for part, last in parts
    ]
    leaves = run_workers(
        "rebuild", workers, lambda: audit.stored_leaves(base), shared, base, progress, results_queue
    )
    return (*combine([results_queue.get() for _ in workers]), leaves)


def _forked_part(
    db: str,
    part: int,
    last: str,
    base: int,
    others: list[Positioned],
    group: int,
    shared: Shared,
    results: Any,
) -> None:
    """A worker process: its own connections (never the parent's), one part of the streams."""
    try:
        ledger = Ledger(env=ledger_env(db, create=False))  # the parent created them
        fresh = open_views(db, ledger.factory.datastore, REBUILD, create=False)  # type: ignore[attr-defined]
        results.put(_run_part(ledger, fresh, part, last, base, others, group, shared, None))
    except BaseException as exc:
        worker_failed("rebuild", part, exc, results)
    os._exit(0)  # no interpreter teardown: the parent owns what the fork copied


def _run_part(
    ledger: Ledger,
    fresh: ViewStore,
    part: int,
    last: str,
    base: int,
    others: list[Positioned],
    size: int,
    shared: Shared,
    progress: Progress | None,
) -> tuple[int, int | None]:
    """Check every event of the part, fold the streams after ``last`` group by group, each
    committed with the part's progress; (events checked, first damaged position or None)."""
    projections = _projections(fresh)
    check = ReplayCheck()
    first, until = PARTS[part]
    for streams in _groups(ledger, check, base, first, until, last, size):
        if check.damaged is not None or shared.stopped():
            break
        batch = [item for _, events in streams for item in events]
        folded = fold_group(projections, batch, others)  # CPU work before the write lock
        with fresh.writing() as w:
            write_group(w, folded, batch)
            w.set_stream_progress(part, base, streams[-1][0], False)
        shared.add(len(batch))
        if progress:
            progress(min(shared.done.value, base), base)
    if check.damaged is not None:
        shared.stop.value = 1
    elif not shared.stopped():
        with fresh.writing() as w:
            w.set_stream_progress(part, base, ALL_DONE, True)
    return check.checked, check.damaged


def fold_group(
    projections: Sequence[Projection], batch: list[Positioned], others: list[Positioned]
) -> list[tuple[Projection, Rows]]:
    """Each read model's rows for a group of whole branch streams (``stream_rows``), or
    None where the projection has no such hook and processes the batch itself."""
    out: list[tuple[Projection, Rows]] = []
    for projection in projections:
        stream_rows = getattr(projection, "stream_rows", None)
        out.append((projection, stream_rows(batch, others) if stream_rows else None))
    return out


def write_group(
    w: ViewWriter, folded: list[tuple[Projection, Rows]], batch: list[Positioned]
) -> None:
    for projection, rows in folded:
        if rows is None:
            projection.process(w, batch)
            continue
        for table, table_rows in rows.items():
            w.fill(table, table_rows)  # fresh tables, each branch once: a bulk load


def _ledger_events(ledger: Ledger, base: int) -> list[Positioned]:
    """The events of no branch up to ``base`` (rulebook adoptions), in ledger order."""
    adopted = get_topic(RulebookAdopted)
    found = getattr(ledger.recorder, "select_of_streams_not_begun_by", None)
    if found is not None:  # SQLite: through the streams' index, not a scan of every event
        rows = found(get_topic(BranchRegistered), adopted, base)
        return [(position, decode_event(topic, state)) for position, topic, state in rows]
    notes = ledger.recorder.select_notifications(
        start=None, limit=1_000_000, stop=base, topics=[adopted]
    )
    return [(n.id, decode_event(n.topic, n.state)) for n in notes]


def _groups(
    ledger: Ledger,
    check: ReplayCheck,
    base: int,
    first: str,
    until: str | None,
    last: str,
    size: int,
) -> Iterator[list[Stream]]:
    """The part's branch streams after ``last`` in primary-key order, up to ``size`` streams
    (or about ``GROUP_EVENTS`` events) at a time, with their events; every event of the part
    up to ``base`` is checked on the way, and reading stops at the first damaged one."""
    group: list[Stream] = []
    count = 0
    current: str | None = None
    events: list[Positioned] = []
    after = (first, 0)
    while True:
        rows = ledger.recorder.select_by_stream(after, base, PAGE, until)  # type: ignore[attr-defined]
        for stream, found in check.page(rows):
            if stream == current:  # continued from the previous page
                events.extend(found)
                continue
            if events and current > last:  # type: ignore[operator]
                group.append((current, events))  # type: ignore[arg-type]
                count += len(events)
                if len(group) >= size or count >= GROUP_EVENTS:
                    yield group
                    group, count = [], 0
            current, events = stream, found
        if check.damaged is not None:
            return
        if len(rows) < PAGE:
            break
        after = (rows[-1][0], rows[-1][1])
    if events and current > last:  # type: ignore[operator]
        group.append((current, events))  # type: ignore[arg-type]
    if group:
        yield group
