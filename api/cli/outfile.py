"""Files the commands write (``export --out``, ``--format csv|xlsx --out``): never over a
database, never half-written.

``--out fivestar.db`` used to truncate the ledger itself before the export read it, and a CSV
written over it replaced the ledger. A file that is the store (ledger or read models, or
their WAL and journal) or that begins like an SQLite database, WAL or journal is refused
before anything is opened. What is written goes to a temporary file beside the target that
replaces it only once complete, so an export that fails or is interrupted leaves the
previous file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

# The first bytes of an SQLite database, of its write-ahead log (two byte orders) and of a
# rollback journal.
_DATABASE_MAGIC = (
    b"SQLite format 3\x00",
    bytes.fromhex("377f0682"),
    bytes.fromhex("377f0683"),
    bytes.fromhex("d9d505f920a163d7"),
)
_STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class OutputRefused(ValueError):
    """The output path may not be written: the message names it and why."""


def _store_files(db: str | None) -> list[Path]:
    """The files of the SQLite store ``db`` names (none for a PostgreSQL URL)."""
    from domain.application.store import resolve_db

    resolved = resolve_db(db)
    if resolved.startswith(("postgresql://", "postgres://")):
        return []
    ledger = Path(resolved).expanduser()
    views = ledger.with_name(f"{ledger.stem}.views{ledger.suffix or '.db'}")
    return [Path(f"{base}{suffix}") for base in (ledger, views) for suffix in _STORE_SUFFIXES]


def _is_database(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return any(head.startswith(magic) for magic in _DATABASE_MAGIC)


def check_output(path: Path, db: str | None) -> None:
    """Refuse ``path`` when it is a directory, one of the store's files, or a database."""
    if path.is_dir():
        raise OutputRefused(f"--out: {path} is a directory: give the name of a file to write")
    if not path.exists():
        return
    for own in _store_files(db):
        with suppress(OSError):
            if own.exists() and path.samefile(own):
                raise OutputRefused(
                    f"--out: {path} is a file of the store itself ({own.name}): "
                    "fivestar never writes over its ledger; give another file"
                )
    if _is_database(path):
        raise OutputRefused(
            f"--out: {path} is a database (an SQLite file, its log or journal): "
            "fivestar never writes over one; give another file"
        )


@contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only when the block completes; on any error the
    partial file is removed and ``path`` is untouched."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        f = partial.open("xb")
    except OSError as exc:
        raise OutputRefused(f"--out: cannot write {path}: {exc.strerror or exc}") from None
    try:
        with f:
            yield f
        os.replace(partial, path)
    except BaseException:
        with suppress(OSError):
            partial.unlink()
        raise
