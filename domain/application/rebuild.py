"""Rebuilding the read models: stream by stream up to a position, then the usual catch-up.

Replaying the log in ledger order rewrites every branch's facts once per batch; a rebuild
reads the events up to the log's end *by stream* (the primary-key order), folds each branch
once, judges each of its years once and writes its rows once, under the rulebooks adopted by
then. The stream key space is cut in two parts worked by two forked processes (this is CPU
work on a 2-core machine); each part commits its progress (the last stream done) with every
group of branches, so an interrupted rebuild resumes. Events recorded meanwhile are applied by
the ordinary catch-up from that position (ADR 0006).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from eventsourcing.utils import get_topic

from domain.application.ledger import Ledger
from domain.application.mapper import decode_event
from domain.application.store import ledger_env
from domain.model.events import BranchEvent, RulebookAdopted
from domain.model.facts import BranchFacts
from projections.compliance import fold_event, rows_for
from projections.eligibility import (
    LedgerProjection,
    Positioned,
    Rows,
    adoptions_in_force,
    branch_rows,
)
from projections.runner import Progress, ProjectionRunner
from projections.views import REBUILD, ViewStore, open_views

PAGE = 20_000
GROUP = 500  # branches per transaction
# Parts of the stream key space: (first character of the ids after which, below which).
PARTS: tuple[tuple[str, str | None], ...] = (("", "8"), ("8", None))
WORKERS = 2  # forked processes working the parts; 1 works them in this process


def rebuild(db: str, ledger: Ledger, fresh: ViewStore, progress: Progress | None = None) -> int:
    """Fill ``fresh`` (empty, or a rebuild interrupted earlier) and return its position."""
    state = fresh.stream_progress()
    if not state and fresh.position() == 0:
        base = ledger.recorder.max_notification_id() or 0
        if base:
            state = _start(ledger, fresh, base)
    if state:
        base = next(iter(state.values()))[0]
        pending = [(part, last) for part, (_, last, finished) in state.items() if not finished]
        in_force = adoptions_in_force((e.year, e.rulebook) for _, e in _adoptions(ledger, base))
        _work(db, ledger, fresh, base, pending, in_force, progress)
        with fresh.writing() as w:
            w.clear_stream_progress()
            w.track(base)
    return ProjectionRunner(ledger, fresh).catch_up(progress)


def _start(ledger: Ledger, fresh: ViewStore, base: int) -> dict[int, tuple[int, str, bool]]:
    """Record the position to rebuild up to, and the adoptions up to it, in one go."""
    with fresh.writing() as w:
        rows = Rows()
        for position, event in _adoptions(ledger, base):
            rows.adoption(position, event)
        rows.write(w)
        for part in range(len(PARTS)):
            w.set_stream_progress(part, base, "", False)
    return {part: (base, "", False) for part in range(len(PARTS))}


def _work(
    db: str,
    ledger: Ledger,
    fresh: ViewStore,
    base: int,
    pending: list[tuple[int, str]],
    in_force: dict[int, str],
    progress: Progress | None,
) -> None:
    if WORKERS < 2 or len(pending) < 2:
        done = [0]
        for part, last in pending:
            _run_part(ledger, fresh, part, last, base, in_force, done, progress)
        return
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)
    workers = [
        context.Process(
            target=_forked_part, args=(db, part, last, base, in_force, counter), daemon=True
        )
        for part, last in pending
    ]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        time.sleep(0.05)
        if progress:
            progress(min(counter.value, base), base)
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError(
            f"rebuild: {len(failed)} worker(s) failed (exit codes {failed}); "
            "run `fivestar rebuild` again to resume"
        )


def _forked_part(
    db: str, part: int, last: str, base: int, in_force: dict[int, str], counter: Any
) -> None:
    """A worker process: its own connections (never the parent's), one part of the streams."""
    ledger = Ledger(env={**ledger_env(db), "CREATE_TABLE": "n"})  # the parent created them
    fresh = open_views(db, ledger, REBUILD, create=False)
    try:
        _run_part(ledger, fresh, part, last, base, in_force, counter, None)
    except BaseException as exc:
        print(f"rebuild worker for part {part} failed: {exc}", flush=True)
        os._exit(1)


def _run_part(
    ledger: Ledger,
    fresh: ViewStore,
    part: int,
    last: str,
    base: int,
    in_force: dict[int, str],
    done: Any,
    progress: Progress | None,
) -> None:
    projection = LedgerProjection()
    _, until = PARTS[part]
    after = last or PARTS[part][0]
    for group in _groups(ledger, base, after, resume=bool(last), until=until):
        rows = Rows()
        facts: dict[str, BranchFacts] = {}
        dirty: dict[str, set[int]] = defaultdict(set)
        mechanisms: dict[str, Any] = {}
        touched: dict[str, set[int]] = {}
        for _, events in group:
            for position, event in events:
                projection.branch_event(rows, position, event, facts, dirty)
                fold_event(mechanisms, event, touched)
        judged = branch_rows(facts, dirty, in_force)  # CPU work before taking the write lock
        judged.update(rows_for(mechanisms, touched))
        with fresh.writing() as w:
            rows.write(w)
            for extra in projection.extra:
                extra.process(w, [e for _, events in group for e in events])
            for table, table_rows in judged.items():
                w.upsert(table, table_rows)
            w.set_stream_progress(part, base, group[-1][0], False)
        count = sum(len(events) for _, events in group)
        if isinstance(done, list):
            done[0] += count
            if progress:
                progress(min(done[0], base), base)
        else:
            with done.get_lock():
                done.value += count
    with fresh.writing() as w:
        w.set_stream_progress(part, base, last, True)


def _adoptions(ledger: Ledger, base: int) -> list[tuple[int, RulebookAdopted]]:
    notes = ledger.recorder.select_notifications(
        start=None, limit=1_000_000, stop=base, topics=[get_topic(RulebookAdopted)]
    )
    return [(n.id, decode_event(n.topic, n.state)) for n in notes]


def _groups(
    ledger: Ledger, base: int, after_stream: str, *, resume: bool, until: str | None
) -> Iterator[list[tuple[str, list[Positioned]]]]:
    """Branch streams of a part in primary-key order, GROUP at a time, with their events."""
    group: list[tuple[str, list[Positioned]]] = []
    current, events = None, []
    after = (after_stream, 1 << 62) if resume else (after_stream, 0)
    while True:
        rows = ledger.recorder.select_by_stream(after, base, PAGE, until)  # type: ignore[attr-defined]
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
