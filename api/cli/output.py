"""What every ``fivestar`` command shares: exit codes, argument parsers, JSON, notes and a
progress bar. Imported by ``main.py`` (the parser) and by each command module, so neither
imports the other's helpers.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import msgspec

EXIT_REFUSED, EXIT_USAGE = 1, 2
EXIT_STORE_UNAVAILABLE = 3  # the store went away or cannot be reached: run again (ADR 0022)


class UserError(Exception):
    """A problem with what was asked (unknown branch, rulebook, file): exit 2."""


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
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is in year 10000 in UTC
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range in UTC (years 1-9999)"
        ) from None


def year_arg(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"year {year} outside 2000-2100")
    return year


def bounded_int(what: str, low: int, high: int, shown: str | None = None) -> Callable[[str], int]:
    """An argparse type for a whole number in [low, high] (``shown``: how the range reads):
    out of range is a usage error naming ``what``, not a traceback further on (``demo``'s
    generator, uvicorn for ``serve --port 99999``) or a wrong verdict (``verify --size -1``)."""
    bounds = shown or f"{low}-{high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} {value} outside {bounds}")
        return value

    return parse


def date_arg(text: str) -> date:
    """A calendar date written YYYY-MM-DD, as the records write theirs (``fromisoformat``
    alone also takes the compact ``20250101`` and week dates such as ``2025-W01-1``)."""
    try:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date of the form YYYY-MM-DD: {text!r}") from None


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


MAX_POSITION = 2**53  # as the API's (a JSON number is exact up to it)


def position_arg(text: str) -> int:
    """A ledger position: a whole number from 0 (before the first record) on."""
    try:
        position = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a ledger position: {text!r}") from None
    if position < 0:
        raise argparse.ArgumentTypeError(f"{position}: ledger positions start at 0")
    if position > MAX_POSITION:  # no ledger gets there; the store's integers stop at 2**63
        raise argparse.ArgumentTypeError(f"{position}: ledger positions go up to 2**53")
    return position


def _as_of(p: argparse.ArgumentParser) -> None:
    """``--as-of T`` or ``--position N``: read the ledger as it stood then (an auditor's replay)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--as-of", type=parse_as_of, help="ISO 8601 timestamp (UTC if no zone)")
    group.add_argument("--position", type=position_arg, help="a ledger position (0 or more)")
