"""``fivestar digest | prove | verify | export | restore``: the auditor's commands (ADR 0016).

Parse, call ``domain.application.audit.Audit``, render. Only argparse is imported at start-up
(the parser is built for every command); the rest loads when one of these runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.cli.output import MAX_POSITION, bounded_int

EXIT_TAMPERED = 1


def add_parsers(sub: Any, as_of: Callable[[str], Any]) -> None:
    """Register the commands on the main parser's subparsers (one line in main.py)."""
    p = sub.add_parser("digest", help="the ledger's Merkle digest (size and root) to write down")
    p.add_argument("--size", type=size_arg, help="the digest of the first N events")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_digest)

    p = sub.add_parser("prove", help="proof that a record is in the ledger (or consistency)")
    p.add_argument("branch", nargs="?")
    p.add_argument("id", nargs="?")
    p.add_argument(
        "--size", type=size_arg, help="prove against the digest of size N (default: now)"
    )
    p.add_argument(
        "--consistency",
        nargs=2,
        type=size_arg,
        metavar=("OLD", "NEW"),
        help="prove the ledger of size NEW extends the one of size OLD",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_prove)

    p = sub.add_parser("verify", help="recompute every leaf and the root; name any tampering")
    p.add_argument("--size", type=size_arg, help="with --root: a digest written down earlier")
    p.add_argument("--root")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("export", help="every event in ledger order as JSON Lines (backup)")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of", type=as_of, help="only events recorded up to this time")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("restore", help="restore an export into an empty store (same root)")
    p.add_argument("file")
    p.set_defaults(run=cmd_restore)


# A tree size: a whole number of events from 0 on. A negative size is a typing slip, not a
# digest the ledger fails to extend (``verify`` said 账本被篡改 for ``--size -1``).
size_arg = bounded_int("tree size", 0, MAX_POSITION, "0-2**53 (a number of events)")


@contextmanager
def _audit(
    args: argparse.Namespace, catch_up: bool = False, *, create: bool = False
) -> Iterator[Any]:
    from api.cli.commands import _open
    from domain.application.audit import Audit

    with _open(args, catch_up=catch_up, create=create) as svc:
        yield Audit(svc)


def _user_error(exc: Exception) -> Exception:
    from api.cli.commands import UserError

    return UserError(str(exc))


def cmd_digest(args: argparse.Namespace) -> int:
    from api.cli.output import emit_json, note
    from domain.application.audit import AuditError, LedgerDamaged

    with _audit(args) as audit:
        try:
            digest = audit.digest(args.size)
        except AuditError as exc:
            raise _user_error(exc) from None
        except LedgerDamaged as exc:
            note(f"fivestar: {exc}")
            return EXIT_TAMPERED
    if args.json:
        emit_json(digest)
        return 0
    print(f"规模 size:        {digest['size']}")
    print(f"根哈希 root:      {digest['root']}")
    print(f"账本位置 position: {digest['position']}")
    print(f"记录时间 recorded_at: {digest['recorded_at']}")
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    from api.cli.output import emit_json, note
    from domain.application.audit import AuditError, LedgerDamaged

    if args.consistency is None and (args.branch is None or args.id is None):
        raise _user_error(ValueError("prove needs BRANCH ID, or --consistency OLD NEW"))
    with _audit(args) as audit:
        try:
            if args.consistency is not None:
                proof = audit.consistency(*args.consistency)
            else:
                proof = audit.prove(args.branch, args.id, args.size)
        except AuditError as exc:
            raise _user_error(exc) from None
        except LedgerDamaged as exc:
            note(f"fivestar: {exc}")
            return EXIT_TAMPERED
    if args.json:
        emit_json(proof)
    elif args.consistency is not None:
        print(f"一致性证明 consistency: size {proof['from']} -> {proof['to']}")
        print(f"  旧根 from_root: {proof['from_root']}")
        print(f"  新根 to_root:   {proof['to_root']}")
        for node in proof["proof"]:
            print(f"  {node}")
    else:
        print(f"记录 record {proof['id']} of 支部 branch {proof['branch']}")
        print(f"  账本位置 position {proof['position']}, 叶序号 leaf_index {proof['leaf_index']}")
        print(f"  叶哈希 leaf_hash: {proof['leaf_hash']}")
        print(f"  根哈希 root (size {proof['size']}): {proof['root']}")
        print("  审计路径 audit path:")
        for node in proof["path"]:
            print(f"    {node}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from api.cli.output import ProgressBar, emit_json

    if (args.size is None) != (args.root is None):
        raise _user_error(ValueError("--size and --root go together (a digest written down)"))
    with _audit(args) as audit:
        bar = ProgressBar("verifying ledger")
        try:
            report = audit.verify(args.size, args.root, bar)
        except ValueError as exc:
            raise _user_error(exc) from None
        finally:
            bar.close()
    if args.json:
        emit_json(report.to_dict())
    else:
        label = "账本完好" if report.ok else "账本被篡改"
        print(f"{label}: {report.message()}")
        for problem in report.problems[1:]:
            print(f"  also {problem.describe()}")
    return 0 if report.ok else EXIT_TAMPERED


def cmd_export(args: argparse.Namespace) -> int:
    from api.cli.outfile import OutputRefused, check_output, replacing
    from api.cli.output import ProgressBar, note
    from domain.application.audit import LedgerDamaged

    out = Path(args.out)
    try:
        check_output(out, args.db)  # before the store is opened: never over the ledger
        with _audit(args) as audit, replacing(out) as f:
            bar = ProgressBar(f"exporting to {out.name}")
            try:
                digest = audit.export(f, args.as_of, bar)
            finally:
                bar.close()
    except OutputRefused as exc:
        raise _user_error(exc) from None
    except LedgerDamaged as exc:  # nothing written: the partial file is removed
        note(f"fivestar: {exc}")
        return EXIT_TAMPERED
    except OSError as exc:  # the disk filled up, the folder went away: nothing replaced
        raise _user_error(OSError(f"--out: cannot write {out}: {exc.strerror or exc}")) from None
    print(f"导出 exported {digest['size']} events to {out}; root {digest['root']}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from api.cli.input_file import refuse_input
    from api.cli.output import ProgressBar
    from domain.application.audit import AuditError

    path = Path(args.file)
    refused = refuse_input(path)  # a directory, FIFO or device is named as such
    if refused is not None:
        raise _user_error(FileNotFoundError(refused))
    with _audit(args, create=True) as audit:
        bar = ProgressBar(f"restoring {path.name}")
        try:
            digest = audit.restore(path, bar)
        except AuditError as exc:
            raise _user_error(exc) from None
        finally:
            bar.close()
    print(f"恢复 restored {digest['size']} events; root {digest['root']}")
    return 0
