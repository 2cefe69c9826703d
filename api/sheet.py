"""The shape of a spreadsheet table (``api.exports`` renders them): columns with Chinese
headers, each reading its cell from one JSON-shaped row.

Apart from ``api.exports`` so that the tables of each family of lists (``api.mechanism_sheets``)
can be declared beside their labels without importing the writers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    header: str  # Chinese first, the JSON field id beside it
    value: Callable[[dict[str, Any]], Any]
    width: int = 12
    day: bool = False  # an ISO date: a date cell in XLSX (Excel sorts and filters it as one)


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (at most 31 characters in XLSX)
    columns: tuple[Column, ...]
    # The rows of one answer item (None: the item is the row). A branch's compliance is one
    # JSON object with a list of requirements; its sheet has a row per requirement.
    explode: Callable[[dict[str, Any]], Iterable[dict[str, Any]]] | None = None


def yes(value: Any) -> str:
    """是/否 for a flag, empty for an unknown (None)."""
    return "" if value is None else ("是" if value else "否")


def get(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(name)


def joined(name: str, sep: str = ",") -> Callable[[dict[str, Any]], str]:
    """A list field as one cell."""
    return lambda row: sep.join(str(v) for v in row.get(name) or ())


def labelled(name: str, labels: dict[Any, str]) -> Callable[[dict[str, Any]], Any]:
    """A code field by its Chinese label (the code itself when it has none)."""
    return lambda row: labels.get(row.get(name), row.get(name))
