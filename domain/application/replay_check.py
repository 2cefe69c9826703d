"""Checking the ledger by stream against its leaves (ADR 0020): what ``fivestar rebuild``'s
workers check of each event they replay, and ``fivestar verify``'s pass, the same check in two
forked workers over the two parts of the stream key space while the parent reads the leaves
in order (``Audit.stored_leaves``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.connection
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import msgspec

from domain.application.ledger import Ledger
from domain.application.ledger_tree import CANONICAL as _canonical
from domain.application.ledger_tree import Entry as _Entry
from domain.application.ledger_tree import entry_of, typed_entry
from domain.application.mapper import event_decoder
from domain.application.outage import (
    StoreBusy,
    StoreRefused,
    StoreUnavailable,
    unavailable_cause,
)
from domain.application.store import ledger_env
from domain.model.events import (
    EVENT_FOR_RECORD,
    BranchEvent,
    RulebookAdopted,
    branch_stream_id,
    rating_year_stream_id,
)

PAGE = 20_000
# Parts of the stream key space: (first character of the ids after which, below which).
PARTS: tuple[tuple[str, str | None], ...] = (("", "8"), ("8", None))
Progress = Callable[[int, int], None]
_sha256 = hashlib.sha256


class LeafReader(Protocol):
    """What the parent reads meanwhile (``Audit.stored_leaves``)."""

    def stored_leaves(self, base: int, size: int | None = None) -> StoredLeaves | None: ...


@dataclass(frozen=True)
class StoredLeaves:
    """The leaves up to a rebuild's position: how many, and their root (hex)."""

    size: int
    root: str
    at_size: bytes | None = None  # the root of the first ``size`` leaves asked for
    events: int | None = None  # the events the log holds up to the position (counted meanwhile)


class ReplayCheck:
    """What a rebuild worker checks of each event it replays by stream, as ``verify`` checks
    it: it decodes as an event of this ledger, is stored under the stream and version its
    content says, and has a leaf, of that version, that its stored content hashes to. The
    first event failing is ``damaged`` (``Audit.refuse`` then names it as ``verify`` does);
    ``checked`` counts the events seen (``Audit.check_replayed`` needs it)."""

    def __init__(self) -> None:
        self.checked = 0
        self.damaged: int | None = None
        self._stream: str | None = None  # the stream last found to be ``_branch``'s
        self._branch: str | None = None
        self._decoders: dict[str, Any] = {}

    def event(
        self,
        stream: str,
        version: int,
        position: int,
        topic: str,
        state: bytes,
        leaf_version: int | None,
        leaf: bytes | None,
    ) -> Any:
        """The decoded event, or None (and ``damaged`` set) if it fails a check."""
        self.checked += 1
        try:
            decoder = self._decoders.get(topic) or self._decoder(topic)
            event = decoder.decode(state)
            if (
                leaf is not None
                and leaf_version == version == event.originator_version
                and self._in_stream(stream, event)
                and _hashes_to(event, version, state, leaf)
            ):
                return event
        except (ValueError, AttributeError, msgspec.DecodeError):
            pass
        if self.damaged is None:
            self.damaged = position
        return None

    def page(self, rows: Sequence[Sequence[Any]]) -> list[tuple[str, list[tuple[int, Any]]]]:
        """``event`` for a page of rows, stream by stream: (stream, [(position, branch
        event), ...]) of the rows before the first damaged one (a stream of no branch has an
        empty list; the first stream may continue the previous page's last). One loop with
        the common case inline (the second and later event of a branch's stream, as the
        mapper encoded it); anything else goes through ``event``, which also finds each
        stream's first event in its branch's stream."""
        out: list[tuple[str, list[tuple[int, Any]]]] = []
        decoders, encode, canonical = self._decoders, _state.encode_into, _canonical.encode_into
        sha, plain, entry_class = _sha256, _PLAIN, _Entry
        buffer, again = bytearray(b"\x00"), bytearray()  # reused: the entry, the state
        stream_now, branch_now = self._stream, self._branch
        events: list[tuple[int, Any]] = []
        if rows and rows[0][0] == stream_now:
            out.append((stream_now, events))  # type: ignore[arg-type]
        checked = 0
        for row in rows:
            stream, version, position, topic, state, leaf_version, leaf = row
            if stream == stream_now:
                decoder = decoders.get(topic)
                if decoder is not None:
                    try:
                        event = decoder.decode(state)
                    except msgspec.DecodeError:
                        event = None
                    if (
                        type(event) in plain
                        and leaf_version == version == event.originator_version
                        and (record := event.record).branch == branch_now
                    ):
                        encode(event, again)
                        if again == state:
                            canonical(
                                entry_class(
                                    branch_now, record, event.timestamp, event.recorder, version
                                ),
                                buffer,
                                1,
                            )
                            if sha(buffer).digest() == leaf:
                                checked += 1
                                events.append((position, event))
                                continue
            checked_event = self.event(*row)
            if checked_event is None:
                break
            if self._stream != stream_now:  # the first event of a stream
                stream_now, branch_now = self._stream, self._branch
                events = []
                out.append((stream_now, events))  # type: ignore[arg-type]
            if branch_now is not None:
                events.append((position, checked_event))
        self.checked += checked
        return out

    def _decoder(self, topic: str) -> Any:
        """The mapper's decoder for ``topic`` (``UnknownTopic`` for a foreign one)."""
        decoder = self._decoders[topic] = event_decoder(topic)
        return decoder

    def _in_stream(self, stream: str, event: Any) -> bool:
        if isinstance(event, BranchEvent):
            branch = event.record.branch
            if stream == self._stream and branch == self._branch:
                return True
            expected = branch_stream(branch)
        elif isinstance(event, RulebookAdopted):
            branch = None
            expected = rating_year_stream_id(event.year).hex
        else:
            return False
        stored = str(stream).replace("-", "").lower()
        if stored != expected:
            return False
        self._stream, self._branch = stream, branch
        return True


_state = msgspec.json.Encoder()  # the mapper's encoding of a whole event


def _hashes_to(event: Any, version: int, state: bytes, leaf: bytes) -> bool:
    """Whether the stored ``state`` of ``event`` hashes to ``leaf``, as ``verify`` checks it
    (SHA-256 of 0x00 and ``entry_of(version, state)``), without decoding ``state`` again
    where it can: when ``state`` is byte for byte the mapper's encoding of the decoded
    event (every event this ledger wrote), its entry is the canonical encoding of that
    event (``typed_entry``), so any change to the stored bytes either breaks that equality
    or changes the entry. Otherwise (another encoder's bytes), the stored bytes are decoded
    again as ``verify`` does."""
    if _state.encode(event) == state and _sha256(b"\x00" + typed_entry(event)).digest() == leaf:
        return True
    return _sha256(b"\x00" + entry_of(version, state)[1]).digest() == leaf


# Branch event classes without a determination receipt: ``typed_entry`` is an ``_Entry``.
_PLAIN = frozenset(cls for cls in EVENT_FOR_RECORD.values() if "basis" not in cls.__struct_fields__)


@lru_cache(maxsize=100_000)
def branch_stream(code: str) -> str:
    return branch_stream_id(code).hex


@dataclass
class Shared:
    """What the parts share: events done (for progress) and whether to stop (damage)."""

    done: Any
    stop: Any

    def add(self, count: int) -> None:
        with self.done.get_lock():
            self.done.value += count

    def stopped(self) -> bool:
        return bool(self.stop.value)


class Local:
    """A ``multiprocessing.Value`` stand-in for parts worked in this process."""

    def __init__(self) -> None:
        self.value = 0

    def get_lock(self) -> Any:
        return nullcontext()


def combine(results: list[tuple[int, int | None]]) -> tuple[int, int | None]:
    damaged = [position for _, position in results if position is not None]
    return sum(checked for checked, _ in results), min(damaged, default=None)


def check_ledger(
    db: str,
    ledger: Ledger,
    base: int,
    workers: int,
    audit: LeafReader,
    size: int | None = None,
    progress: Progress | None = None,
) -> tuple[int, int | None, StoredLeaves | None]:
    """The rebuild's verification without its folds (``fivestar verify``'s fast pass): every
    event up to ``base`` checked by stream against its leaf (``ReplayCheck``) in the parts'
    workers, while this process reads the leaves (``Audit.stored_leaves``, with the root of
    the first ``size`` leaves when asked); (events checked, first damaged position or None,
    the leaves)."""
    if workers < 2:
        shared = Shared(Local(), Local())
        results = [_check_part(ledger, part, base, shared, progress) for part in range(len(PARTS))]
        return (*combine(results), audit.stored_leaves(base, size))
    context = multiprocessing.get_context("fork")
    shared = Shared(context.Value("q", 0), context.Value("b", 0))
    results_queue = context.SimpleQueue()
    processes = [
        context.Process(
            target=_forked_check, args=(db, part, base, shared, results_queue), daemon=True
        )
        for part in range(len(PARTS))
    ]
    leaves = run_workers(
        "verify",
        processes,
        lambda: audit.stored_leaves(base, size),
        shared,
        base,
        progress,
        results_queue,
    )
    return (*combine([results_queue.get() for _ in processes]), leaves)


def run_workers(
    command: str,
    processes: list[Any],
    meanwhile: Any,
    shared: Shared,
    base: int,
    progress: Progress | None,
    results: Any = None,
) -> Any:
    """Start the worker processes, run ``meanwhile()`` here, wait for them (``RuntimeError``
    if one failed, the ``StoreUnavailable`` a worker reported on ``results`` if the store
    went away under it); what ``meanwhile`` returned."""
    for process in processes:
        process.start()
    result = meanwhile()
    pending = {process.sentinel for process in processes}
    while pending:
        ready = multiprocessing.connection.wait(list(pending), timeout=0.5)
        pending.difference_update(ready)
        if progress:
            progress(min(shared.done.value, base), base)
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if OUTAGE_EXIT in failed and results is not None:
        outage = _outage_reported(results)
        if outage is not None:  # the store went away under a worker: exit 3, one line
            raise outage
    if failed:
        raise RuntimeError(
            f"{command}: {len(failed)} worker(s) failed (exit codes {failed}); "
            f"run `fivestar {command}` again"
        )
    return result


OUTAGE_EXIT = 3  # a worker's exit status when the store went away under it


def worker_failed(command: str, part: int, exc: BaseException, results: Any) -> None:
    """End a forked worker after ``exc``: an outage is put on ``results`` for the parent to
    report in its one line (exit 3); anything else is named on stderr (never on stdout,
    which may carry JSON) for the parent's "worker(s) failed"."""
    outage = unavailable_cause(exc)
    if outage is not None:
        results.put(("outage", outage.store, outage.reason, type(outage).__name__))
        os._exit(OUTAGE_EXIT)
    print(f"{command} worker for part {part} failed: {exc}", file=sys.stderr, flush=True)
    os._exit(1)


def _outage_reported(results: Any) -> StoreUnavailable | None:
    """The outage a worker put on ``results`` (the parent reads the rest no further)."""
    while not results.empty():
        item = results.get()
        if isinstance(item, tuple) and len(item) == 4 and item[0] == "outage":
            kind = {c.__name__: c for c in (StoreBusy, StoreRefused)}.get(item[3])
            return (kind or StoreUnavailable)(item[1], item[2])
    return None


def _forked_check(db: str, part: int, base: int, shared: Shared, results: Any) -> None:
    """A verifying worker process: its own connections, one part of the streams."""
    try:
        ledger = Ledger(env=ledger_env(db, create=False))
        results.put(_check_part(ledger, part, base, shared, None))
    except BaseException as exc:
        worker_failed("verify", part, exc, results)
    os._exit(0)


def _check_part(
    ledger: Ledger, part: int, base: int, shared: Shared, progress: Progress | None
) -> tuple[int, int | None]:
    """Check every event of the part up to ``base``; (events checked, first damaged
    position or None). Stops early once another part found damage."""
    check = ReplayCheck()
    first, until = PARTS[part]
    after = (first, 0)
    while not shared.stopped():
        rows = ledger.recorder.select_by_stream(after, base, PAGE, until)  # type: ignore[attr-defined]
        check.page(rows)
        if check.damaged is not None:
            shared.stop.value = 1
            return check.checked, check.damaged
        shared.add(len(rows))
        if progress:
            progress(min(shared.done.value, base), base)
        if len(rows) < PAGE:
            break
        after = (rows[-1][0], rows[-1][1])
    return check.checked, check.damaged
