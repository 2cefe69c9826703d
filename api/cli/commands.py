"""One function per ``fivestar`` command: call the service, render JSON or a readable table."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import msgspec

from api.cli.main import ProgressBar, emit_json, note, recorder_name
from domain.application.audit import LedgerDamaged
from domain.application.mapper import CorruptEvent
from domain.application.service import FiveStar, UnknownBranch, rebuild_views
from domain.model.rulebook import RulebookError, available_rulebooks, load_rulebook
from domain.model.vocabulary import star_name
from projections import queries

ROOT = Path(__file__).resolve().parent.parent
LEVEL_ZH = {"county": "县级", "city": "市级", "province": "省级"}


class UserError(Exception):
    """A problem with what was asked (unknown branch, rulebook, file): exit 2."""


def _open(args: argparse.Namespace, catch_up: bool = True) -> FiveStar:
    """The store named by --db/FIVESTAR_DB, its read models caught up with the log (they
    lag only if a writer was killed between recording events and projecting them)."""
    try:
        svc = FiveStar(args.db)
    except Exception as exc:  # the store cannot be opened: say which and why
        raise UserError(f"cannot open the store {args.db or '(default)'}: {exc}") from exc
    if catch_up:
        svc.catch_up()
    return svc


# ---------------------------------------------------------------------- import
def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    with _open(args, catch_up=False) as svc:
        bar = ProgressBar(f"importing {path.name}")

        def refused(line: int, rid: str, reason: str) -> None:
            if bar.shown:
                sys.stderr.write("\r")
            print(f"line {line}: {rid}: {reason}", flush=True)

        try:
            report = svc.import_file(path, recorder_name(), on_refusal=refused, progress=bar)
        finally:
            bar.close()
    if report.resumed_at:
        note(f"resumed an interrupted import of {path} after line {report.resumed_at}")
    print(
        f"{path}: {report.applied} applied, {report.duplicates} duplicate, "
        f"{len(report.refused)} refused; read models at position {report.position} "
        f"({report.seconds:.1f}s)"
    )
    return 1 if report.refused else 0


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
    for e in entries:
        record = dict(e.record)
        kind = record.pop("type")
        rid = record.pop("id", "-")
        record.pop("branch", None)
        fields = " ".join(f"{k}={_plain(v)}" for k, v in record.items())
        print(
            f"{e.position:>8}  {e.recorded_at:%Y-%m-%d %H:%M:%S.%f}  {e.recorder:<16} "
            f"{rid:<12} {kind:<26} {fields}"
        )
    return 0


def _plain(value: Any) -> str:
    """Strings as they are unless they would break the one-line-per-record layout."""
    if isinstance(value, str) and value.isprintable() and " " not in value:
        return value
    return msgspec.json.encode(value).decode()


# ----------------------------------------------------------------- eligibility
def cmd_eligibility(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        try:
            results = queries.eligibility(
                svc,
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
    if args.json:
        emit_json(results)
        return 0
    for e in results:
        if e.excluded:
            stars = f"excluded 不参与评星: {e.exclusion.detail if e.exclusion else ''}"
        else:
            stars = " ".join(
                f"{'★' if s in e.eligible else '☆'}{star_name(e.kind, s)}"
                for s in _star_order(e.kind)
            )
        print(f"{e.branch:<10} {e.year} {e.rulebook:<22} {len(e.eligible)}★  {stars}")
        if args.branch:
            for c in e.criteria:
                mark = "✓" if c.met else "✗"
                evidence = f" [{', '.join(c.evidence)}]" if c.evidence else ""
                print(f"    {mark} {star_name(e.kind, c.star)} {c.criterion}: {c.detail}{evidence}")
    return 0


def _star_order(kind: str) -> list[str]:
    from domain.model.vocabulary import vocabulary

    return list(vocabulary(kind).stars)


# ------------------------------------------------------ awards, rewards, priority
def cmd_awards(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        rows = queries.awards(svc, args.year)
    if args.json:
        emit_json(rows)
        return 0
    for a in rows:
        flag = (
            "  STALE: "
            + "; ".join(
                f"{c['star'] or ''} {c['criterion']} {c['detail']}" for c in a["now_failing"]
            )
            if a["stale"]
            else ""
        )
        print(
            f"{a['branch']:<10} {a['year']} {a['level']}星 "
            f"by {LEVEL_ZH.get(a['by'], a['by'])} on {a['on']}{flag}"
        )
    print(f"{len(rows)} awards for {args.year}, {sum(a['stale'] for a in rows)} stale")
    return 0


def cmd_rewards(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        rows = queries.rewards(svc, args.year)
    if args.json:
        emit_json([{k: v for k, v in row.items() if k != "county"} for row in rows])
        return 0
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0])
    for w in rows:
        sec = w["secretary"] or {}
        funds = "—" if w["funds_yuan"] is None else f"{w['funds_yuan']:,.0f}元"
        rise = "—" if w["pay_rise_pct"] is None else f"+{w['pay_rise_pct']}%"
        print(
            f"{w['branch']:<10} {w['county']:<10} {w['level']}星 "
            f"{LEVEL_ZH.get(w['authority'], '')} "
            f"{w['on']} 工作经费 {funds:<12} 两委报酬 {rise:<5} 书记 {sec.get('person', '—')} "
            f"{' '.join(w['secretary_benefits'])}"
        )
        total = totals[(w["county"], w["level"])]
        total[0] += 1
        total[1] += w["funds_yuan"] or 0
    print("\n县区 county / 星级 level: 支部数 branches, 工作经费 funds")
    for (county, level), (count, funds) in sorted(totals.items()):
        print(f"  {county:<10} {level}星: {count:>4}  {funds:>12,.0f}元")
    return 0


def cmd_priority(args: argparse.Namespace) -> int:
    with _open(args) as svc:
        rows = queries.priority(svc, args.year)
    if args.json:
        emit_json([{k: v for k, v in row.items() if k != "levels"} for row in rows])
        return 0
    tiers = {"five_star": "连续三年五星", "four_star_or_above": "连续三年四星以上"}
    for p in rows:
        people = ", ".join(f"{s['year']}:{s['person']}" for s in p["secretaries"])
        changed = " 书记有变动 secretary changed" if p["secretary_changed"] else ""
        print(f"{p['branch']:<10} {tiers[p['tier']]} {p['years']} {people}{changed}")
    print(f"{len(rows)} branches with three-year priority ending {args.year}")
    return 0


# ------------------------------------------------------------------- recompute
def cmd_recompute(args: argparse.Namespace) -> int:
    if args.adopt and not args.reason.strip():
        raise UserError("--adopt needs --reason TEXT (who adopts is recorded, and why)")
    with _open(args) as svc:
        try:
            load_rulebook(args.rulebook)
            report = queries.recompute(svc, args.year, args.rulebook)
            if args.adopt:
                event = svc.ledger.adopt(args.year, args.rulebook, args.reason, recorder_name())
                svc.catch_up()
                report["adopted"] = {
                    "recorded_at": event.timestamp,
                    "recorder": event.recorder,
                    "reason": event.reason,
                }
        except RulebookError as exc:
            raise UserError(str(exc)) from None
    report.setdefault("adopted", None)
    if args.json:
        emit_json(report)
        return 0
    print(
        f"{report['year']}: {report['from']} -> {report['to']}, "
        f"{report['branches_evaluated']} branches"
    )
    for c in report["changes"]:
        parts = [f"+{s}" for s in c["gained"]] + [f"-{s}" for s in c["lost"]]
        why = "; ".join(f"{f['star']}.{f['criterion']}: {f['detail']}" for f in c["flipped"])
        print(f"  {c['branch']:<10} {c['county']:<8} {' '.join(parts)}  ({why})")
    for row in report["counts"]:
        print(f"  {row['county']:<10} {row['star']:<22} {row['change']:<6} {row['branches']}")
    print(
        "adopted" if report["adopted"] else "dry run: nothing recorded (add --adopt --reason TEXT)"
    )
    return 0


# --------------------------------------------------------------------- rebuild
def cmd_rebuild(args: argparse.Namespace) -> int:
    with _open(args, catch_up=False) as svc:
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
    for b in books:
        print(f"{b['id']:<24} from {b['applies_from']}  {b['title']}")
    for a in adoptions:
        print(
            f"  adopted {a['rulebook']} for {a['year']} by {a['recorder']} "
            f"at {a['recorded_at']}: {a['reason']}"
        )
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
    cmd_import(argparse.Namespace(db=args.db, file=str(ledger)))
    for year in (2024, 2025, 2026):
        with _open(args) as svc:
            results = queries.eligibility(svc, year)
            awards = queries.awards(svc, year)
        counts = defaultdict(int)
        for e in results:
            counts[len(e.eligible)] += 1
        spread = ", ".join(f"{n}★ {counts[n]}" for n in sorted(counts))
        print(f"{year}: {len(results)} branches eligible for {spread}; {len(awards)} awards")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    """Run the one projector of a deployment whose API hosts serve with --no-projector."""
    import logging
    import signal
    import threading

    from projections.worker import Projector

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        note(f"projector: {signal.Signals(signum).name} received, stopping")
        stopping.set()

    # Installed explicitly: a process started in the background by a shell inherits SIGINT
    # ignored, and would otherwise never stop on Ctrl-C or on a test's SIGINT.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    with _open(args, catch_up=False) as svc:
        projector = Projector(svc, interval=args.interval)
        projector.start()
        note(f"projector following {svc.db}; Ctrl-C stops it")
        try:
            while not stopping.wait(60):
                note(f"projector: lag {svc.runner.lag()} events, error {projector.error}")
        finally:
            projector.stop()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.http.server import serve

    return serve(args)


def cmd_token(args: argparse.Namespace) -> int:
    from api.cli.tokens import token_command

    return token_command(args)
