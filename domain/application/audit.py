"""The auditor's use cases over the ledger's Merkle tree (ADR 0016).

``digest`` is what an auditor writes down; ``prove`` shows one record is in the ledger a
digest describes; ``consistency`` shows a later ledger only appended to an earlier one;
``verify`` re-reads every stored event, recomputes every leaf and the root, and names the
first event whose content or position no longer matches what the ledger recorded.
``export``/``restore`` are the logical backup: JSON Lines that reproduce the same root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import msgspec

from domain.application.ledger_tree import TreeStore, entry_of, view_of
from domain.application.mapper import decode_event
from domain.application.replay_check import StoredLeaves, branch_stream, check_ledger
from domain.application.store import is_postgres
from domain.model import merkle
from domain.model import records as r
from domain.model.events import (
    EVENT_FOR_RECORD,
    BranchEvent,
    RulebookAdopted,
    branch_stream_id,
    rating_year_stream_id,
)
from domain.model.rulebook import available_rulebooks

PAGE = 5000
MAX_PROBLEMS = 50
Progress = Callable[[int, int], None]
_line = msgspec.json.Encoder(order="sorted")
_sha256 = hashlib.sha256


class AuditError(LookupError):
    """What was asked cannot be answered (unknown record, size beyond the ledger, ...)."""


class LedgerDamaged(RuntimeError):
    """The stored events no longer match the ledger's tree (``fivestar verify`` says where)."""


@dataclass(frozen=True)
class Problem:
    """One event whose stored content or position no longer matches the ledger's record."""

    position: int
    branch: str | None
    version: int | None
    reason: str

    def describe(self) -> str:
        version = f" version {self.version}" if self.version is not None else ""
        if self.branch is None and self.version is None:  # an event whose row is gone
            return f"position {self.position}: {self.reason}"
        where = f"branch {self.branch}" if self.branch else "ledger stream"
        return f"position {self.position} ({where}{version}): {self.reason}"


@dataclass
class Verification:
    size: int = 0
    events: int = 0
    root: str = ""
    stored_root: str = ""
    problems: list[Problem] = field(default_factory=list)
    digest_check: str | None = None
    digest_size: int | None = None
    checked_at: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and self.digest_check in (None, "ok")

    def message(self) -> str:
        if self.ok:
            extra = f"; extends the digest of size {self.digest_size}" if self.digest_check else ""
            return f"ledger intact: {self.events} events, root {self.root}{extra}"
        if self.problems:
            return f"ledger tampered: {self.problems[0].describe()}"
        return f"ledger does not extend the digest given: {self.digest_check}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "size": self.size,
            "root": self.root,
            "checked_at": self.checked_at,
            "message": self.message(),
            "digest_check": self.digest_check,
            "problems": [p.__dict__ for p in self.problems],
        }


class Audit:
    """The Merkle use cases over one FiveStar service's ledger."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.recorder = service.ledger.recorder
        self.tree = TreeStore(self.recorder, is_postgres(service.db))

    # ------------------------------------------------------------------ digest
    def digest(self, size: int | None = None) -> dict[str, Any]:
        with _tree_intact():
            return self._digest(size)

    def _digest(self, size: int | None) -> dict[str, Any]:
        current = self.tree.size()
        size = current if size is None else size
        if not 0 <= size <= current:
            raise AuditError(f"the ledger has {current} events; no digest of size {size}")
        if size == 0:
            return {"size": 0, "root": merkle.EMPTY_ROOT.hex(), "position": 0, "recorded_at": None}
        leaf = self.tree.leaf(size - 1)
        assert leaf is not None
        return {
            "size": size,
            "root": self.tree.root(size).hex(),
            "position": leaf.position,
            "recorded_at": self._recorded_at(leaf.position),
        }

    def _recorded_at(self, position: int) -> str | None:
        notes = self.recorder.select_notifications(start=position, limit=1)
        if not notes or notes[0].id != position:
            return None
        try:
            return _entry_view(notes[0].state).timestamp
        except msgspec.DecodeError:
            return None

    # ------------------------------------------------------------------- proofs
    def prove(self, branch: str, record_id: str, size: int | None = None) -> dict[str, Any]:
        """The record, its leaf and the audit path to the root of ``size`` (default: now)."""
        note = self._find(branch, record_id)
        leaf = self.tree.leaf_at(note.id)
        if leaf is None:
            raise AuditError(
                f"the event at position {note.id} has no leaf: it was not recorded by the "
                "ledger (run `fivestar verify`)"
            )
        _, entry = entry_of(note.originator_version, note.state)
        if merkle.leaf_hash(entry) != leaf.hash:
            raise AuditError(
                f"the stored event at position {note.id} no longer matches its leaf "
                "(run `fivestar verify`)"
            )
        current = self.tree.size()
        size = current if size is None else size
        if not leaf.index < size <= current:
            raise AuditError(
                f"record {record_id} is leaf {leaf.index}: not in a tree of size {size} "
                f"(the ledger has {current})"
            )
        with _tree_intact():
            self.tree.fill_cache(size)
            path = merkle.inclusion_path(self.tree.subtree, leaf.index, size)
            root = merkle.root(self.tree.subtree, size)
        view = _entry_view(note.state)
        return {
            "branch": branch,
            "id": record_id,
            "position": note.id,
            "version": note.originator_version,
            "recorded_at": view.timestamp,
            "recorder": view.recorder,
            "record": view.record,
            "leaf_index": leaf.index,
            "leaf_hash": leaf.hash.hex(),
            "size": size,
            "root": root.hex(),
            "path": [p.hex() for p in path],
        }

    def _find(self, branch: str, record_id: str) -> Any:
        for note in self.recorder.select_stream(branch_stream_id(branch)):
            try:
                event = decode_event(note.topic, note.state)
            except (ValueError, msgspec.DecodeError):
                continue
            if isinstance(event, BranchEvent) and event.record.id == record_id:
                return note
        raise AuditError(f"branch {branch!r} has no record {record_id!r} in this ledger")

    def consistency(self, old: int, new: int | None = None) -> dict[str, Any]:
        current = self.tree.size()
        new = current if new is None else new
        if not 0 <= old <= new <= current:
            raise AuditError(
                f"no consistency proof from size {old} to size {new} "
                f"(the ledger has {current} events)"
            )
        with _tree_intact():
            self.tree.fill_cache(new)
            proof = merkle.consistency_proof(self.tree.subtree, old, new)
            return {
                "from": old,
                "to": new,
                "from_root": merkle.root(self.tree.subtree, old).hex(),
                "to_root": merkle.root(self.tree.subtree, new).hex(),
                "proof": [p.hex() for p in proof],
            }

    # ------------------------------------------------------------------ verify
    def verify(
        self, size: int | None = None, root: str | None = None, progress: Progress | None = None
    ) -> Verification:
        """Recompute every leaf from the stored events and the root from them: the rebuild's
        check by stream in its workers, with the leaves' order and root checked here (ADR
        0020); only when that finds something amiss, the walk in ledger order that names
        every bad event (``walk``). A negative ``size`` is no digest: ``ValueError``, and
        nothing is recorded (it would show a sound ledger as failing on ``/health``)."""
        if size is not None and size < 0:
            raise ValueError(f"--size {size}: a digest's size is a count of events (0 or more)")
        expected = merkle.from_hex(root) if root else None
        report = self._replayed(size, expected, progress)
        if report is None:
            report = self.walk(size, root, progress, record=False)
        self.tree.record_check(
            report.checked_at, report.ok, report.size, report.root, report.message()
        )
        return report

    def _replayed(
        self, size: int | None, expected: bytes | None, progress: Progress | None
    ) -> Verification | None:
        """``verify``'s report from the rebuild's check (``replay_check.check_ledger``), or None
        when anything differs (a damaged event, a count, an order, the stored root)."""
        checked_at = datetime.now(UTC).isoformat()
        top = self.recorder.max_notification_id() or 0
        workers = self.service.settings.rebuild_workers
        checked, damaged, leaves = check_ledger(
            self.service.db, self.service.ledger, top, workers, self, size, progress
        )
        if damaged is not None:
            return None
        report = self._replayed_report(top, checked, leaves, checked_at)
        if report is None or leaves is None:
            return None
        if size is not None:
            report.digest_size = size
            report.digest_check = _digest_check(size, expected, leaves.at_size, leaves.size)
        return report

    def _replayed_report(
        self, base: int, checked: int, leaves: StoredLeaves | None, checked_at: str
    ) -> Verification | None:
        """What ``walk`` would report of an intact ledger up to ``base``, once every one of
        ``checked`` events was found intact by stream (``ReplayCheck``: each with a leaf at
        its position that its content hashes to) and the ``leaves`` were read: as many leaves
        as events up to ``base`` and as ``checked`` (so each event was checked and each leaf
        is one's), and the stored tree's root is theirs. None: something differs."""
        if leaves is None:
            return None
        events = self.recorder.count_events(base) if leaves.events is None else leaves.events
        if not leaves.size == checked == events:
            return None
        report = Verification(checked_at=checked_at)
        report.size = report.events = leaves.size
        report.root = leaves.root
        self._check_cache(report)
        return report if report.ok else None

    def walk(
        self,
        size: int | None = None,
        root: str | None = None,
        progress: Progress | None = None,
        record: bool = True,
    ) -> Verification:
        """The sequential verification in ledger order: every event against the leaf at its
        position, every leaf against an event; names every bad event (up to ``MAX_PROBLEMS``)."""
        report = Verification(checked_at=datetime.now(UTC).isoformat())
        expected = merkle.from_hex(root) if root else None
        top = self.recorder.max_notification_id() or 0
        builder = merkle.RootBuilder()
        at_size: bytes | None = None
        leaves = self._numbered(report, self.tree.iter_leaves(), top)
        leaf = next(leaves, None)
        for note in self._notes(top):
            report.events += 1
            while leaf is not None and leaf.position < note.id:
                self._problem(report, leaf.position, leaf.branch, leaf.version, _MISSING)
                leaf = next(leaves, None)
            if leaf is None or leaf.position > note.id:
                h = self._check_unrecorded(report, note)
            else:
                h = self._check(report, note, leaf)
                leaf = next(leaves, None)
            builder.add(h)
            if size is not None and builder.size == size:
                at_size = builder.root()
            if progress and report.events % PAGE == 0:
                progress(note.id, top)
        while leaf is not None:
            self._problem(report, leaf.position, leaf.branch, leaf.version, _MISSING)
            leaf = next(leaves, None)
        report.size = builder.size
        report.root = builder.root().hex()
        self._check_cache(report)
        if size is not None:
            report.digest_size = size
            report.digest_check = _digest_check(size, expected, at_size, builder.size)
        if record:
            self.tree.record_check(
                report.checked_at, report.ok, report.size, report.root, report.message()
            )
        return report

    def _numbered(self, report: Verification, leaves: Iterator[Any], top: int) -> Iterator[Any]:
        """The leaves at positions up to ``top``, each after a check that none is missing
        before it: leaves are numbered 0, 1, 2, ..., so a gap is an event deleted from the
        store together with its leaf (named at the position after the leaf before it)."""
        expected, after = 0, 0
        for leaf in leaves:
            if leaf.index != expected and leaf.position <= top:
                gone = f"leaves {expected}-{leaf.index - 1}"
                if leaf.index == expected + 1:
                    gone = f"leaf {expected}"
                why = f"missing: the ledger's {gone} after position {after}"
                why += " (events deleted with their leaves, or leaves renumbered)"
                self._problem(report, after + 1, None, None, why)
            expected, after = leaf.index + 1, leaf.position
            if leaf.position <= top:
                yield leaf

    def _notes(self, top: int) -> Iterator[Any]:
        start = 0
        while start < top:
            notes = self.recorder.select_notifications(
                start=start, limit=PAGE, stop=top, inclusive_of_start=False
            )
            if not notes:
                return
            yield from notes
            start = notes[-1].id

    def _check(self, report: Verification, note: Any, leaf: Any) -> bytes:
        problem = _content_problem(note)
        if problem is None:
            _, entry = entry_of(note.originator_version, note.state)
            h = merkle.leaf_hash(entry)
            if h != leaf.hash:
                problem = "content differs from what the ledger recorded (leaf hash mismatch)"
            elif note.originator_version != leaf.version:
                problem = f"stored as version {note.originator_version}, recorded as {leaf.version}"
            if problem is None:
                return h
        self._problem(report, note.id, leaf.branch, leaf.version, problem)
        return hashlib.sha256(b"unreadable:" + bytes(note.state)).digest()

    def _check_unrecorded(self, report: Verification, note: Any) -> bytes:
        branch = _branch_of(note)
        self._problem(
            report,
            note.id,
            branch,
            note.originator_version,
            "not recorded by the ledger (no leaf): a row inserted directly into the store",
        )
        try:
            return merkle.leaf_hash(entry_of(note.originator_version, note.state)[1])
        except (msgspec.DecodeError, ValueError):
            return hashlib.sha256(b"unreadable:" + bytes(note.state)).digest()

    @staticmethod
    def _problem(
        report: Verification, position: int, branch: str | None, version: int | None, why: str
    ) -> None:
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(Problem(position, branch, version, why))

    def _check_cache(self, report: Verification) -> None:
        """Without content problems, the stored tree's root must be the recomputed one; if
        only the cached interior nodes disagree, they are dropped and recomputed."""
        if report.problems:
            report.stored_root = ""
            return
        try:
            stored = self.tree.root(report.size)
            if stored.hex() != report.root:
                self.tree.clear_cache()
                stored = self.tree.root(report.size)
        except merkle.ProofError:
            stored = b""
        report.stored_root = stored.hex()
        if stored.hex() != report.root:
            report.problems.append(
                Problem(0, None, None, "the stored tree disagrees with the leaves")
            )

    def last_check(self) -> dict[str, Any] | None:
        return self.tree.last_check()

    # ---------------------------------------------------- verify while replaying
    def stored_leaves(self, base: int, size: int | None = None) -> StoredLeaves | None:
        """The parent's half of a rebuild's verification (ADR 0020), while its workers check
        the events: the leaves must be numbered 0, 1, 2, ... in ascending positions, so that
        those up to ``base`` are the first ones; their count and root, and the root of the
        first ``size`` of them if asked (None: not so); and the events the log holds up to
        ``base``, counted here too, while the workers still run. The numbering and order are
        checked by the database in the snapshot the hashes are read from
        (``TreeStore.ordered_hashes``), so only the hashes come over (ADR 0029)."""
        tree = _Subtrees()
        at_size: bytes | None = None
        with self.tree.ordered_hashes(base) as found:
            if found is None:
                return None
            for start in range(0, found.up_to, BLOCK):
                stop = min(start + BLOCK, found.up_to)
                block = found.read(start, stop)
                if len(block) != stop - start:
                    return None
                if size is not None and tree.size < size <= tree.size + len(block):
                    cut = size - tree.size
                    tree.add_block(block[:cut])
                    at_size = tree.root()
                    block = block[cut:]
                tree.add_block(block)
        events = self.recorder.count_events(base)
        return StoredLeaves(tree.size, tree.root().hex(), at_size, events)

    def check_replayed(self, base: int, checked: int, leaves: StoredLeaves | None) -> bool:
        """Whether the ledger up to ``base`` is intact, once a rebuild's workers found every
        event they replayed intact and its parent read the ``leaves`` (``_replayed_report``).
        Then ``walk`` would find nothing either: its result is recorded as ``verify`` records
        it, and True. False: something differs (``require_intact`` says what)."""
        report = self._replayed_report(base, checked, leaves, datetime.now(UTC).isoformat())
        if report is None:
            return False
        self.tree.record_check(report.checked_at, True, report.size, report.root, report.message())
        return True

    def require_intact(self) -> None:
        """Verify the whole ledger by the walk in ledger order; ``LedgerDamaged`` naming the
        first bad event as ``verify`` does unless it is intact."""
        report = self.walk()
        if not report.ok:
            raise LedgerDamaged(f"rebuild refused: {report.message()}")

    # -------------------------------------------------------- export / restore
    def export(
        self, out: IO[bytes], as_of: datetime | None = None, progress: Progress | None = None
    ) -> dict[str, Any]:
        """Every event in ledger order as JSON Lines, then a digest line."""
        top = self.recorder.max_notification_id() or 0
        builder = merkle.RootBuilder()
        leaves = self.tree.iter_leaves()
        by_position: dict[int, Any] = {}
        last_position = 0
        for note in self._notes(top):
            try:
                view = _entry_view(note.state)
                branch, entry = entry_of(note.originator_version, note.state)
            except (msgspec.DecodeError, ValueError) as exc:
                raise LedgerDamaged(
                    f"export refused: the event at position {note.id} cannot be decoded "
                    f"({str(exc)[:200]}): run `fivestar verify`"
                ) from None
            if as_of is not None and datetime.fromisoformat(view.timestamp) > as_of:
                break
            leaf = self._leaf_for(note.id, leaves, by_position)
            h = merkle.leaf_hash(entry)
            builder.add(h)
            line = {
                "position": note.id,
                "leaf_index": builder.size - 1,
                "branch": branch,
                "version": note.originator_version,
                "recorded_at": view.timestamp,
                "recorder": view.recorder,
                "record": _record_of(view),
                "leaf_hash": leaf.hash.hex() if leaf is not None else None,
            }
            if view.basis is not None:
                line["basis"] = view.basis
            out.write(_line.encode(line) + b"\n")
            last_position = note.id
            if progress and builder.size % PAGE == 0:
                progress(note.id, top)
        digest = {"size": builder.size, "root": builder.root().hex(), "position": last_position}
        out.write(_line.encode({"digest": digest}) + b"\n")
        return digest

    @staticmethod
    def _leaf_for(position: int, leaves: Iterator[Any], seen: dict[int, Any]) -> Any:
        for leaf in leaves:
            if leaf.position >= position:
                seen[leaf.position] = leaf
                break
        return seen.pop(position, None)

    def restore(self, path: Path, progress: Progress | None = None) -> dict[str, Any]:
        """Into an empty store: check the whole file first, then write it in batches."""
        if (self.recorder.max_notification_id() or 0) != 0:
            raise AuditError("restore needs an empty store: this one already has events")
        digest = self._check_export(path)
        mapper = self.service.ledger.mapper
        batch: list[Any] = []
        done = 0
        for _, event in _export_events(path):
            batch.append(mapper.to_stored_event(event))
            if len(batch) >= PAGE:
                self.recorder.insert_events(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, digest["size"])
        if batch:
            self.recorder.insert_events(batch)
        self.tree.fill_cache(digest["size"])
        restored = self.digest()
        if restored["root"] != digest["root"]:
            raise AuditError(f"restored root {restored['root']} differs from the export's")
        self.service.catch_up()
        return restored

    def _check_export(self, path: Path) -> dict[str, Any]:
        mapper = self.service.ledger.mapper
        builder = merkle.RootBuilder()
        versions: dict[Any, int] = {}  # stream -> its last version so far
        for lineno, (line, event) in enumerate(_export_events(path), 1):
            stored = mapper.to_stored_event(event)
            last = versions.get(stored.originator_id, 0)
            if stored.originator_version != last + 1:  # the store would refuse it mid-way
                where = f"branch {line.get('branch')}" if line.get("branch") else "ledger stream"
                raise AuditError(
                    f"{path} line {lineno}: {where} version {stored.originator_version} "
                    f"follows version {last} (each stream's versions run 1, 2, 3, ...)"
                )
            first = not last and isinstance(event, BranchEvent)
            if first and not isinstance(event.record, r.BranchRegisteredRecord):
                raise AuditError(  # ledgers only hold branches registered (ADR 0029 counts on it)
                    f"{path} line {lineno}: branch {event.record.branch} begins with "
                    f"{r.type_of(event.record)}, not its branch.registered"
                )
            versions[stored.originator_id] = last + 1
            h = merkle.leaf_hash(entry_of(stored.originator_version, stored.state)[1])
            if line.get("leaf_hash") != h.hex():
                raise AuditError(f"{path} line {lineno}: leaf_hash does not match the event")
            builder.add(h)
        digest = _export_digest(path)
        if digest.get("size") != builder.size or digest.get("root") != builder.root().hex():
            raise AuditError(f"{path}: the digest line does not match the events")
        return digest


_MISSING = "missing: the ledger recorded an event here that the store no longer has"


@contextmanager
def _tree_intact() -> Iterator[None]:
    """A tree with a leaf missing below the size asked has no root: ``LedgerDamaged``
    (``verify`` names the gap), not a ``ProofError`` out of the tree's internals."""
    try:
        yield
    except merkle.ProofError as exc:
        raise LedgerDamaged(
            f"the ledger's tree is damaged ({exc}): run `fivestar verify`"
        ) from None


BLOCK = 1 << 14  # leaves read at once by a rebuild's parent (a power of two: aligned)


class _Subtrees:
    """``merkle.RootBuilder`` fed a block of leaves at a time: a whole aligned block is one
    perfect subtree, hashed level by level (a third of the time of adding its leaves one
    by one, for a rebuild that hashes every leaf of the ledger)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add_block(self, hashes: list[bytes]) -> None:
        n = len(hashes)
        if n and n & (n - 1) == 0 and self.size % n == 0:
            self._push(n.bit_length() - 1, _perfect(hashes))
            self.size += n
            return
        for leaf in hashes:
            self._push(0, leaf)
            self.size += 1

    def _push(self, level: int, value: bytes) -> None:
        while self._stack and self._stack[-1][0] == level:
            value = merkle.node_hash(self._stack.pop()[1], value)
            level += 1
        self._stack.append((level, value))

    def root(self) -> bytes:
        if not self._stack:
            return merkle.EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = merkle.node_hash(left, value)
        return value


def _perfect(level: list[bytes]) -> bytes:
    sha = hashlib.sha256
    while len(level) > 1:
        pairs = zip(level[::2], level[1::2], strict=True)
        level = [sha(b"\x01" + left + right).digest() for left, right in pairs]
    return level[0]


def _entry_view(state: bytes) -> Any:
    return view_of(state)


def _record_of(view: Any) -> dict[str, Any]:
    if view.record is not None:
        return view.record
    return {
        "type": "rulebook.adopted",
        "year": view.year,
        "rulebook": view.rulebook,
        "reason": view.reason,
    }


def _content_problem(note: Any) -> str | None:
    """Why a stored event cannot be the ledger's: undecodable, foreign, in the wrong stream."""
    try:
        event = decode_event(note.topic, note.state)
    except (ValueError, msgspec.DecodeError) as exc:
        return f"cannot be decoded: {str(exc)[:200]}"
    if isinstance(event, BranchEvent):
        stream = branch_stream(event.record.branch)
    elif isinstance(event, RulebookAdopted):
        stream = rating_year_stream_id(event.year).hex
    else:
        return f"a {type(event).__name__} is not a ledger event"
    stored = note.originator_id
    stored = stored.hex if isinstance(stored, UUID) else str(stored).replace("-", "").lower()
    if stored != stream or event.originator_version != note.originator_version:
        return "stored under another stream or version than its content says"
    return None


def _branch_of(note: Any) -> str | None:
    try:
        return entry_of(note.originator_version, note.state)[0]
    except (msgspec.DecodeError, ValueError):
        return None


def _digest_check(size: int, expected: bytes | None, at_size: bytes | None, total: int) -> str:
    if size == 0:
        return (
            "ok" if expected in (None, merkle.EMPTY_ROOT) else "the empty ledger has another root"
        )
    if at_size is None:
        return f"the ledger has {total} events, fewer than the digest's {size}"
    if expected is not None and at_size != expected:
        return f"the first {size} events now hash to {at_size.hex()}, not the digest's root"
    return "ok"


def _export_events(path: Path) -> Iterator[tuple[dict[str, Any], Any]]:
    """(line, domain event) of every event line of an export."""
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                line = msgspec.json.decode(raw)
            except msgspec.DecodeError as exc:
                raise AuditError(f"{path} line {lineno}: not JSON ({exc})") from None
            if "digest" in line:
                continue
            try:
                yield line, _event_of(line)
            except (KeyError, TypeError, ValueError, msgspec.ValidationError) as exc:
                raise AuditError(f"{path} line {lineno}: not an exported event ({exc})") from None


def _event_of(line: dict[str, Any]) -> Any:
    record = line["record"]
    common = {
        "originator_version": line["version"],
        "timestamp": datetime.fromisoformat(line["recorded_at"]),
        "recorder": line["recorder"],
    }
    if record.get("type") == "rulebook.adopted":  # as ``Ledger.adopt`` would have it
        known = available_rulebooks()
        if type(record["year"]) is not int or record["rulebook"] not in known:
            raise ValueError(
                f"adoption of rulebook {record['rulebook']!r} for year {record['year']!r}: "
                f"the year must be a whole number, the rulebook one of {', '.join(known)}"
            )
        return RulebookAdopted(
            originator_id=rating_year_stream_id(record["year"]),
            year=record["year"],
            rulebook=record["rulebook"],
            reason=record["reason"],
            **common,
        )
    typed = msgspec.json.decode(msgspec.json.encode(record), type=r.AnyRecord)
    cls = EVENT_FOR_RECORD[type(typed)]
    if line.get("basis") is not None:
        common["basis"] = msgspec.convert(line["basis"], merkle.Basis)
    return cls(originator_id=branch_stream_id(typed.branch), record=typed, **common)


def _export_digest(path: Path) -> dict[str, Any]:
    last: dict[str, Any] = {}
    with path.open("rb") as f:
        for raw in f:
            if raw.startswith(b'{"digest"'):
                last = msgspec.json.decode(raw)["digest"]
    if not last:
        raise AuditError(f"{path}: no digest line (an export ends with one)")
    return last
