"""The ``fivestar`` command: parse arguments, call one application service, render.

Heavy imports (Litestar, uvicorn) happen only inside ``serve``; every other command starts
with the standard library, msgspec, pydantic and eventsourcing alone.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from typing import Any

from api.cli import integrity
from api.cli.export import add_export_args
from api.cli.output import (
    EXIT_STORE_UNAVAILABLE,
    EXIT_USAGE,
    _as_of,
    bounded_int,
    note,
    parse_as_of,
    year_arg,
)
from domain.application.outage import unavailable_cause

BATCH_COMMANDS = frozenset({"import", "rebuild", "recompute", "demo"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fivestar",
        description="Ledger and rating engine of Puyang's Five Star programme (五星支部创建)",
    )
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the installed version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="apply a JSON Lines file of records")
    p.add_argument("file")
    p.add_argument(
        "--restart",
        action="store_true",
        help="read the file from its first line, abandoning an interrupted import of it",
    )

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
    add_export_args(p)

    for name, text in (
        ("awards", "awards of a rating year, flagged stale where evidence changed"),
        ("rewards", "rewards for awards of three stars or more (rules.md §7)"),
        ("priority", "three-consecutive-year priority list ending in the year"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--year", type=year_arg, required=True)
        p.add_argument("--json", action="store_true")
        add_export_args(p)

    p = sub.add_parser("recompute", help="what changes for a year under another rulebook")
    p.add_argument("--year", type=year_arg, required=True)
    p.add_argument("--rulebook", required=True)
    p.add_argument("--adopt", action="store_true", help="record the adoption (needs --reason)")
    p.add_argument("--reason", default="")
    p.add_argument("--json", action="store_true")
    add_export_args(p)

    sub.add_parser("rebuild", help="rebuild every read model from the event log")

    p = sub.add_parser("rulebooks", help="rulebooks available and adopted")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("demo", help="generate and import a demo ledger, then show it")
    p.add_argument("--branches", type=bounded_int("branch count", 1, 10_000), default=120)
    p.add_argument("--seed", type=int, default=2026)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=bounded_int("port", 1, 65_535), default=8000)
    p.add_argument("--workers", type=bounded_int("worker count", 1, 256), default=1)
    p.add_argument(
        "--no-projector",
        action="store_true",
        help="serve only; a `fivestar project` process elsewhere keeps the read models",
    )

    p = sub.add_parser("project", help="keep the read models caught up (a projector process)")
    p.add_argument("--interval", type=_poll_interval, default=0.5, help="seconds between polls")

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
    integrity.add_parsers(sub, parse_as_of)
    _db_after_the_command(sub)
    return parser


def _poll_interval(text: str) -> float:
    """Seconds between polls: positive and finite (0 or less polled without pausing)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds <= 3600:  # also refuses nan
        raise argparse.ArgumentTypeError(f"interval {text} outside (0, 3600] seconds")
    return seconds


DB_HELP = "SQLite file (default ./fivestar.db) or postgresql:// URL; env FIVESTAR_DB"


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked: reading the package metadata
    costs ~60 ms, which every other command would pay at start-up."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fivestar")
    except PackageNotFoundError:
        return "(not installed)"


def _db_after_the_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``fivestar eligibility --db X`` as well as ``fivestar --db X eligibility``: every
    command (and token sub-command) takes ``--db`` too, set only when given there."""
    for command in sub.choices.values():
        command.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _db_after_the_command(action)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in BATCH_COMMANDS:
        # Batch work allocates millions of short-lived objects without reference cycles;
        # the cyclic collector's passes over them cost a rebuild a third of its time.
        gc.disable()
    from api.cli import commands
    from domain.application.mapper import CorruptEvent
    from domain.model.rulebook import RulebookError

    handler: Callable[[argparse.Namespace], int] = (
        getattr(args, "handler", None)
        or getattr(args, "run", None)
        or getattr(commands, f"cmd_{args.command}")
    )
    try:
        return handler(args)
    except KeyboardInterrupt:
        note("interrupted: every record is either applied or not; run the same command again")
        return 130
    except (commands.UserError, RulebookError) as exc:  # RulebookError: a broken data file
        note(f"fivestar: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except CorruptEvent as exc:  # a replay met a damaged event: ``verify`` names it
        note(f"fivestar: the ledger is damaged: {exc}")
        return 1
    except Exception as exc:  # the store went away (or is locked), however wrapped: exit 3
        outage = unavailable_cause(exc)
        if outage is None:
            raise
        if not outage.store:  # a locked SQLite file: its error names no path
            from domain.application.store import resolve_db

            outage.store = resolve_db(getattr(args, "db", None))
        note(outage.line())
        return EXIT_STORE_UNAVAILABLE if outage.exit_code == 3 else outage.exit_code


if __name__ == "__main__":
    sys.exit(main())
