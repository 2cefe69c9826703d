"""The ``fivestar`` command: parse arguments, call one application service, render.

Heavy imports (Litestar, uvicorn) happen only inside ``serve``; every other command starts
with the standard library, msgspec, pydantic and eventsourcing alone.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

EXIT_REFUSED, EXIT_USAGE = 1, 2
BATCH_COMMANDS = frozenset({"import", "rebuild", "recompute", "demo"})


def recorder_name() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def parse_as_of(text: str) -> datetime:
    """ISO 8601; no zone means UTC; a bare date means its midnight."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 timestamp: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def year_arg(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"year {year} outside 2000-2100")
    return year


def emit_json(data: Any) -> None:
    sys.stdout.buffer.write(msgspec.json.encode(data))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ProgressBar:
    """A one-line bar on a terminal's stderr; silent in a pipe."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.started = datetime.now(UTC)
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        share = min(1.0, done / total)
        elapsed = (datetime.now(UTC) - self.started).total_seconds()
        eta = elapsed / share - elapsed if share > 0 else 0
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:6.1%} eta {eta:5.0f}s")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fivestar",
        description="Ledger and rating engine of Puyang's Five Star programme (五星支部创建)",
    )
    parser.add_argument(
        "--db", help="SQLite file (default ./fivestar.db) or postgresql:// URL; env FIVESTAR_DB"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="apply a JSON Lines file of records")
    p.add_argument("file")

    p = sub.add_parser("history", help="a branch's records in ledger order (audit trail)")
    p.add_argument("branch")
    _as_of(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eligibility", help="stars each branch is eligible for in a year, and why")
    p.add_argument("--year", type=year_arg, required=True)
    p.add_argument("--branch")
    p.add_argument("--county")
    p.add_argument("--township")
    p.add_argument("--rulebook")
    _as_of(p)
    p.add_argument("--json", action="store_true")

    for name, text in (
        ("awards", "awards of a rating year, flagged stale where evidence changed"),
        ("rewards", "rewards for awards of three stars or more (rules.md §7)"),
        ("priority", "three-consecutive-year priority list ending in the year"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--year", type=year_arg, required=True)
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("recompute", help="what changes for a year under another rulebook")
    p.add_argument("--year", type=year_arg, required=True)
    p.add_argument("--rulebook", required=True)
    p.add_argument("--adopt", action="store_true", help="record the adoption (needs --reason)")
    p.add_argument("--reason", default="")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rebuild", help="rebuild the read models from the event log")
    p.add_argument("--projection", choices=["all", "ledger"], default="all")

    p = sub.add_parser("rulebooks", help="rulebooks available and adopted")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("demo", help="generate and import a demo ledger, then show it")
    p.add_argument("--branches", type=int, default=120)
    p.add_argument("--seed", type=int, default=2026)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--no-projector",
        action="store_true",
        help="serve only; a `fivestar project` process elsewhere keeps the read models",
    )

    p = sub.add_parser("project", help="keep the read models caught up (a projector process)")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between polls")

    from api.cli.mechanisms import add_parsers as add_mechanism_parsers

    add_mechanism_parsers(sub)

    p = sub.add_parser("token", help="issue or revoke API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("issue")
    t.add_argument("--role", required=True)
    t.add_argument("--county")
    t.add_argument("--township")
    t.add_argument("--branch")
    t.add_argument("--name")
    t = tsub.add_parser("revoke")
    t.add_argument("name")
    tsub.add_parser("list")

    from api.cli import cases, ladder  # mechanisms.md §3-§4: commands in modules of their own

    cases.add_parser(sub)
    ladder.add_parser(sub)
    return parser


def _as_of(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--as-of", type=parse_as_of, help="ISO 8601 timestamp (UTC if no zone)")
    group.add_argument("--position", type=int, help="a ledger position")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in BATCH_COMMANDS:
        # Batch work allocates millions of short-lived objects without reference cycles;
        # the cyclic collector's passes over them cost a rebuild a third of its time.
        gc.disable()
    from api.cli import commands

    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", None) or getattr(
        commands, f"cmd_{args.command}"
    )
    try:
        return handler(args)
    except KeyboardInterrupt:
        note("interrupted: every record is either applied or not; run the same command again")
        return 130
    except commands.UserError as exc:
        note(f"fivestar: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main())
