"""What ``fivestar import`` may read: a regular file, or a message saying what the path is
instead (a directory, a FIFO, a device ...), so the user is not told "no such file" about a
path that exists, and an import never blocks on a pipe (ADR 0013)."""

from __future__ import annotations

import stat
from pathlib import Path

_KINDS = [
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a device (character special file)"),
    (stat.S_ISBLK, "a device (block special file)"),
    (stat.S_ISSOCK, "a socket"),
]


# Files people are handed instead of UTF-8 JSON Lines, known by their first bytes: read line by
# line, each was refused as malformed JSON, one refusal per line of the file.
_SIGNATURES = [
    (b"\xff\xfe", 'UTF-16 text (Excel\'s "Unicode text"): save it as UTF-8'),
    (b"\xfe\xff", "UTF-16 text: save it as UTF-8"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?): export the records as JSON Lines"),
    (b"\x1f\x8b", "gzip-compressed: decompress it first (gunzip)"),
]


def _refuse_content(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"{path} is {what}; records are UTF-8 JSON Lines"
    return None


def refuse_input(path: Path) -> str | None:
    """Why ``path`` cannot be imported (None: it is a regular file)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"no such file: {path}"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return _refuse_content(path)
    for test, what in _KINDS:
        if test(mode):
            return f"{path} is {what}, not a file of records: give the path of a JSON Lines file"
    return f"{path} is not a regular file: give the path of a JSON Lines file"
