"""``--format csv|xlsx --out FILE`` for the list commands (eligibility, awards, rewards,
priority, recompute, compliance, cases, ladder, staffing): the same spreadsheets as the API's
``?format=`` and the dashboard's downloads.

Kept light (argparse only at import): the writers are imported when an export is asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=["csv", "xlsx"],
        help="a spreadsheet instead of the table: CSV (UTF-8 with BOM) or XLSX",
    )
    p.add_argument("--out", help="file to write the spreadsheet to (CSV: stdout if omitted)")


def exported(args: argparse.Namespace, kind: str, rows: Any) -> bool:
    """Write ``rows`` as asked by ``--format``/``--out``; False when no format was asked."""
    fmt = getattr(args, "format", None)
    if not fmt:
        return False
    import msgspec

    from api import exports
    from api.cli.outfile import OutputRefused, check_output, replacing
    from api.cli.output import UserError

    if fmt == "xlsx" and not args.out:
        raise UserError("--format xlsx needs --out FILE (a workbook is not written to a terminal)")
    data = exports.render(kind, msgspec.to_builtins(rows), fmt)
    if not args.out:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return True
    try:
        check_output(Path(args.out), getattr(args, "db", None))
        with replacing(Path(args.out)) as f:
            f.write(data)
    except OutputRefused as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"--out: cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {len(rows)} rows to {args.out} ({fmt})", file=sys.stderr)
    return True
