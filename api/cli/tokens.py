"""``fivestar token issue|revoke|list``: API tokens in the ledger database (ADR 0008).

Imports no Litestar: the store is ``domain.application.tokens``, the roles ``api.http.auth``.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from eventsourcing.utils import get_topic

from api.http.auth import ROLES, hash_token, new_token
from domain.application.ledger import Ledger
from domain.application.outage import unavailable_cause
from domain.application.store import (
    NoLedger,
    is_postgres,
    ledger_env,
    ledger_tables_exist,
    resolve_db,
)
from domain.application.tokens import TokenError, TokenStore
from domain.model.events import EVENT_FOR_RECORD
from domain.model.records import BranchRegisteredRecord

NAME = re.compile(r"^[A-Za-z0-9._@][A-Za-z0-9._@-]{0,63}$")  # no leading "-": an option


def _fail(message: str) -> int:
    print(f"fivestar: {message}", file=sys.stderr)
    return 2


def token_command(args: argparse.Namespace) -> int:
    db = resolve_db(args.db)
    create = args.token_command == "issue"  # the one token command that may create a store
    try:
        ledger = Ledger(env=ledger_env(db, create=create))
    except NoLedger as exc:
        return _fail(str(exc))
    except Exception as exc:
        if unavailable_cause(exc):
            raise  # away: one line and exit 3 (main)
        return _fail(f"cannot open the store {db}: {exc}")
    recorder: Any = ledger.recorder
    if (
        not create
        and is_postgres(db)
        and not ledger_tables_exist(ledger.factory.datastore, recorder.events_table_name)  # type: ignore[attr-defined]
    ):
        ledger.close()
        return _fail(str(NoLedger(db)))
    try:
        store = TokenStore.for_ledger(ledger)
        if args.token_command == "issue":
            return _issue(store, args, ledger)
        if args.token_command == "revoke":
            token = store.revoke(args.name)
            print(f"revoked {token.name} ({token.role}) at {token.revoked_at}")
            return 0
        return _list(store)
    except TokenError as exc:
        return _fail(str(exc))
    finally:
        ledger.close()


def _issue(store: TokenStore, args: argparse.Namespace, ledger: Ledger) -> int:
    if args.role not in ROLES:
        return _fail(f"unknown role {args.role!r} (roles: {', '.join(ROLES)})")
    for label in ("county", "township", "branch"):
        value = getattr(args, label)
        if value is not None and (not value or any(ord(ch) < 32 for ch in value)):
            return _fail(f"--{label}: empty or with control characters")
    token = new_token()
    name = args.name or f"{args.role}-{new_token()[:8].replace('_', 'x').replace('-', 'x')}"
    if not NAME.match(name):
        return _fail(f"--name {name!r}: use 1-64 letters, digits, '.', '_', '@', '-' (not first)")
    stored = store.issue(
        name, hash_token(token), args.role, args.county, args.township, args.branch
    )
    scope = _scope(stored.county, stored.township, stored.branch)
    print(f"issued token {stored.name}: role {stored.role}, {scope}", file=sys.stderr)
    if scope != "province-wide" and not _branches_in_scope(ledger, args):
        print(
            f"warning: no registered branch matches {scope} (yet): check the spelling; "
            "the token can write nothing until such a branch is registered",
            file=sys.stderr,
        )
    print("the token is shown once; keep it secret (only its SHA-256 is stored):", file=sys.stderr)
    print(token, flush=True)
    return 0


def _branches_in_scope(ledger: Ledger, args: argparse.Namespace) -> bool:
    """Whether any registered branch lies in the scope, by the ledger's registrations."""
    topic = get_topic(EVENT_FOR_RECORD[BranchRegisteredRecord])
    start = None
    while True:
        notes = ledger.recorder.select_notifications(
            start=start, limit=5000, topics=[topic], inclusive_of_start=start is None
        )
        for note in notes:
            event: Any = ledger.mapper.to_domain_event(note)
            record = event.record
            if all(
                wanted is None or wanted == value
                for wanted, value in (
                    (args.county, record.county),
                    (args.township, record.township),
                    (args.branch, record.branch),
                )
            ):
                return True
        if len(notes) < 5000:
            return False
        start = notes[-1].id


def _list(store: TokenStore) -> int:
    from api.cli.render import counted, print_table

    tokens = store.list()
    print_table(
        ["name", "role", "scope 范围", "issued", "state"],
        [
            [t.name, t.role, _scope(t.county, t.township, t.branch), t.issued_at,
             f"revoked {t.revoked_at}" if t.revoked_at else "active"]
            for t in tokens
        ],
    )  # fmt: skip
    active = sum(1 for t in tokens if not t.revoked_at)
    print(f"{counted(len(tokens), 'token')}, {active} active")
    return 0


def _scope(county: str | None, township: str | None, branch: str | None) -> str:
    parts = [
        f"{k}={v}" for k, v in (("county", county), ("township", township), ("branch", branch)) if v
    ]
    return " ".join(parts) or "province-wide"
