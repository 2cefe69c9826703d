"""One function per ``fivestar`` command: call the service, render JSON or a readable table."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from api.cli import text
from api.cli.export import exported
from api.cli.input_file import refuse_input
from api.cli.output import EXIT_REFUSED, ProgressBar, UserError, emit_json, note, recorder_name
from domain.application.identity import StoreMismatch
from domain.application.mapper import CorruptEvent
from domain.application.outage import unavailable_cause
from domain.application.service import FiveStar, ImportChanged, UnknownBranch, rebuild_views
from domain.application.settings import SettingsError
from domain.application.store import NoLedger
from domain.model.rulebook import RulebookError, available_rulebooks, load_rulebook

ROOT = Path(__file__).resolve().parents[2]  # the repository (scripts/generate_ledger.py)


def _open(
    args: argparse.Namespace, catch_up: bool = True, *, create: bool = False, check: bool = True
) -> FiveStar:
    """The store named by --db/FIVESTAR_DB, its read models caught up with the log (they
    lag only if a writer was killed between recording events and projecting them). Only
    the commands that write pass ``create``: a mistyped path must not become a new store."""
    try:
        svc = FiveStar(args.db, create=create, check=check)
    except (NoLedger, StoreMismatch, SettingsError, RulebookError) as exc:
        raise UserError(str(exc)) from None  # a broken data file names itself, not the store
    except Exception as exc:  # the store cannot be opened: say which and why
        if unavailable_cause(exc):
            raise  # away, not misnamed: exit 3 with one line (main)
        raise UserError(f"cannot open the store {args.db or '(default)'}: {exc}") from exc
    if catch_up:
        try:
            svc.catch_up()
        except CorruptEvent as exc:  # the read models stop before it; the ledger still reads
            note(f"fivestar: warning: the read models stop before a damaged event ({exc})")
    return svc


# ---------------------------------------------------------------------- import
def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    refusal = refuse_input(path)
    if refusal:
        raise UserError(refusal)
    with _open(args, catch_up=False, create=True) as svc:
        bar = ProgressBar(f"importing {path.name}")

        def refused(line: int, rid: str, reason: str) -> None:
            if bar.shown:
                sys.stderr.write("\r")
            print(f"line {line}: {rid}: {reason}", flush=True)

        try:
            report = svc.import_file(
                path, recorder_name(), on_refusal=refused, progress=bar, restart=args.restart
            )
        except ImportChanged as exc:
            raise UserError(str(exc)) from None
        except Exception as exc:
            outage = unavailable_cause(exc)
            if outage is None:
                raise
            raise outage.during_import(str(path), _committed_line(svc)) from None
        finally:
            bar.close()
    if report.resumed_at:
        note(f"resumed an interrupted import of {path} after line {report.resumed_at}")
    print(
        f"{path}: {report.applied} applied, {report.duplicates} duplicate, "
        f"{len(report.refused)} refused; read models at position {report.position} "
        f"({report.seconds:.1f}s)",
        flush=True,
    )
    note(
        f"branch states: {report.branches_loaded} loaded, "
        f"{report.branches_rebuilt_again} rebuilt from events again "
        f"({report.branches_unpacked} of the loads from the import's own memory)"
    )
    return EXIT_REFUSED if report.refused else 0


def _committed_line(svc: FiveStar) -> int | None:
    """The last line of the file the store confirmed committed (the recorder notes each
    batch's tracking position as its transaction commits); None when it cannot tell."""
    noted = getattr(svc.ledger.recorder, "last_tracking", None)
    return None if noted is None else noted[1]


# --------------------------------------------------------------------- history
def cmd_history(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        try:
            entries = svc.history(args.branch, args.as_of, args.position)
        except (UnknownBranch, CorruptEvent) as exc:
            raise UserError(str(exc)) from None
    if args.json:
        emit_json(
            [
                {
                    "position": e.position,
                    "recorded_at": e.recorded_at,
                    "recorder": e.recorder,
                    "record": e.record,
                    **({"basis": e.basis} if e.basis else {}),
                }
                for e in entries
            ]
        )
        return 0
    text.history(args.branch, entries)
    return 0


# ----------------------------------------------------------------- eligibility
def cmd_eligibility(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        try:
            results = svc.eligibility(
                args.year,
                branch=args.branch,
                rulebook=args.rulebook,
                as_of=args.as_of,
                position=args.position,
                county=args.county,
                township=args.township,
            )
        except RulebookError as exc:
            raise UserError(str(exc)) from None
    if args.branch and not results:
        raise UserError(f"unknown branch {args.branch!r}")
    if exported(args, "eligibility", results):
        return 0
    if args.json:
        emit_json(results)
        return 0
    text.eligibility(args.year, results, bool(args.branch), _star_order)
    return 0


def _star_order(kind: str) -> list[str]:
    from domain.model.vocabulary import vocabulary

    return list(vocabulary(kind).stars)


# ------------------------------------------------------ awards, rewards, priority
def cmd_awards(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        rows = svc.awards(args.year)
        kinds = _kinds(svc, [a["branch"] for a in rows if a["stale"]])
        in_force = {a["year"]: a["rulebook"] for a in svc.adoptions()}.get(args.year)
    if exported(args, "awards", rows):
        return 0
    if args.json:
        emit_json(rows)
        return 0
    text.awards(args.year, rows, kinds, in_force)
    return 0


def _kinds(svc: FiveStar, codes: list[str]) -> dict[str, str]:
    """The kind of each branch named, for the kind's Chinese wording of its criteria."""
    found = {code: svc.get_branch(code) for code in codes}
    return {code: branch["kind"] for code, branch in found.items() if branch}


def cmd_rewards(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        try:
            rows = svc.rewards(args.year)
        except RulebookError as exc:
            raise UserError(f"county rewards: {exc}") from None
    if exported(args, "rewards", rows):
        return 0
    if args.json:
        emit_json([{k: v for k, v in row.items() if k != "county"} for row in rows])
        return 0
    text.rewards(args.year, rows)
    return 0


def cmd_priority(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        rows = svc.priority(args.year)
    if exported(args, "priority", rows):
        return 0
    if args.json:
        emit_json([{k: v for k, v in row.items() if k != "levels"} for row in rows])
        return 0
    text.priority(args.year, rows)
    return 0


# ------------------------------------------------------------------- recompute
def cmd_recompute(args: argparse.Namespace) -> int:
    if args.adopt and not args.reason.strip():
        raise UserError("--adopt needs --reason TEXT (who adopts is recorded, and why)")
    with _open(args) as svc:
        try:
            load_rulebook(args.rulebook)
            report = svc.recompute(args.year, args.rulebook)
            if args.adopt:
                event, _ = svc.adopt(args.year, args.rulebook, args.reason, recorder_name())
                svc.catch_up()
                report["adopted"] = {
                    "recorded_at": event.timestamp,
                    "recorder": event.recorder,
                    "reason": event.reason,
                }
            kinds = _kinds(svc, [change["branch"] for change in report["changes"]])
        except RulebookError as exc:
            raise UserError(str(exc)) from None
    report.setdefault("adopted", None)
    worded = [{**c, "from": report["from"], "to": report["to"]} for c in report["changes"]]
    if exported(args, "recompute", worded):  # the dashboard's recompute sheet
        return 0
    if args.json:
        emit_json(report)
        return 0
    text.recompute(report, kinds)
    return 0


# --------------------------------------------------------------------- rebuild
def cmd_rebuild(args: argparse.Namespace) -> int:
    from domain.application.audit import LedgerDamaged  # the verifier: loaded when it runs

    with _open(args, catch_up=False, check=False) as svc:
        bar = ProgressBar("rebuilding read models")
        try:
            position = rebuild_views(svc, bar)
        except LedgerDamaged as exc:
            note(f"fivestar: {exc}")
            return 1
        finally:
            bar.close()
    print(f"read models rebuilt up to position {position}")
    return 0


def cmd_rulebooks(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        adoptions = [
            {
                "year": e.year,
                "rulebook": e.rulebook,
                "reason": e.reason,
                "recorder": e.recorder,
                "recorded_at": e.timestamp,
            }
            for e in svc.adoption_events()
        ]
    books = [
        {"id": b.id, "title": b.title, "applies_from": b.applies_from}
        for b in map(load_rulebook, available_rulebooks())
    ]
    if args.json:
        emit_json({"rulebooks": books, "adoptions": adoptions})
        return 0
    text.rulebooks(books, adoptions)
    return 0


# ------------------------------------------------------------------------ demo
def cmd_demo(args: argparse.Namespace) -> int:
    """Generate a Puyang-like ledger, import it and show what the ledger now says."""
    ledger = Path(tempfile.gettempdir()) / f"fivestar-demo-{args.seed}-{args.branches}.jsonl"
    with ledger.open("wb") as out:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "generate_ledger.py"),
                "--branches",
                str(args.branches),
                "--seed",
                str(args.seed),
            ],
            stdout=out,
            check=True,
        )
    note(f"demo ledger: {ledger}")
    note(
        "the generator slips deliberately wrong rating records into about 3% of the chains: "
        "the refusals below are the rules at work, not a failure"
    )
    cmd_import(argparse.Namespace(db=args.db, file=str(ledger), restart=False))
    for year in (2024, 2025, 2026):
        with _open(args) as svc:
            results = svc.eligibility(year)
            awards = svc.awards(year)
        counts: defaultdict[int, int] = defaultdict(int)
        for e in results:
            counts[len(e.eligible)] += 1
        spread = ", ".join(f"{n}★ {counts[n]}" for n in sorted(counts))
        print(f"{year}: {len(results)} branches eligible for {spread}; {len(awards)} awards")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """Run the one projector of a deployment whose API hosts serve with --no-projector."""
    import signal
    import threading

    from api.logs import configure as configure_logging
    from domain.application.projector import Projector

    configure_logging()
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        note(f"projector: {signal.Signals(signum).name} received, stopping")
        stopping.set()

    with _open(args, catch_up=False) as svc:
        # Installed explicitly (after the store opened, restored on the way out): a process
        # started in the background by a shell inherits SIGINT ignored, and would otherwise
        # never stop on Ctrl-C or on a test's SIGINT.
        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        projector = Projector(svc, interval=args.interval)
        projector.start()
        note(f"projector following {svc.db}; Ctrl-C stops it")
        try:
            while not stopping.wait(60):
                note(f"projector: lag {svc.lag()} events, error {projector.error}")
        finally:
            projector.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.http.server import serve

    return serve(args)


def cmd_token(args: argparse.Namespace) -> int:
    from api.cli.tokens import token_command

    return token_command(args)
