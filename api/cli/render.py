"""Plain-text tables for people: columns aligned by display width, a header row, a summary.

Chinese characters take two columns on a terminal, so ``str.ljust`` misaligns every column
after a name like 支部过硬星; widths here are ``rich.cells.cell_len`` (East Asian Width).
No box drawing and no colour: the output stays greppable and pastes into a report as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

GAP = "  "


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - cell_len(text))
    return fill + text if right else text + fill


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: str = "") -> str:
    """``headers`` over ``rows``, each column as wide as its widest cell; ``right`` lists
    the indices (as characters, ``"03"``) of right-aligned (numeric) columns. The last
    column is not padded, so lines carry no trailing spaces."""
    cells = [[str(c) for c in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(headers))]
    last = len(headers) - 1
    lines = []
    for row in cells:
        parts = [
            row[i]
            if i == last and str(i) not in right
            else _pad(row[i], widths[i], str(i) in right)
            for i in range(len(headers))
        ]
        lines.append(GAP.join(parts).rstrip())
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: str = "") -> None:
    if rows:
        print(table(headers, rows, right))


def counted(n: int, one: str, many: str | None = None) -> str:
    """``1 branch``, ``3 branches``."""
    return f"{n} {one if n == 1 else (many or one + 's')}"
