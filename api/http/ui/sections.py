"""Optional sections of the branch page: shown when the application service offers them.

Compliance, cases and the ladder are read models other work adds to ``FiveStar``. The
branch page asks each method below only if the service has it (``hasattr``): a missing read
model is a missing section, not an error. Adding a section is one entry here (its title, the
service method, the template) and the template file under ``templates/sections/``; the
generic template renders a list of JSON-shaped dicts as a table until a specific one exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("fivestar.ui")


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # Chinese first, the id beside it
    method: str  # FiveStar method called as method(code, year)
    template: str = "sections/table.html"


SECTIONS: tuple[Section, ...] = (
    Section("compliance", "合规检查 compliance", "branch_compliance"),
    Section("cases", "案件 cases", "branch_cases"),
    Section("ladder", "晋级阶梯 ladder", "branch_ladder"),
)


def available(svc: Any, code: str, year: int) -> list[dict[str, Any]]:
    """The sections the service offers, each with its rows (a section whose read model
    fails to answer is shown as unavailable, with the reason logged, not as a 500)."""
    out = []
    for section in SECTIONS:
        method = getattr(svc, section.method, None)
        if method is None:
            continue
        try:
            rows, error = _rows(method(code, year)), None
        except Exception as exc:  # a read model of another feature: never break the page
            log.warning("section %s of branch %s failed: %s", section.key, code, exc)
            rows, error = [], str(exc)
        out.append({"section": section, "rows": rows, "error": error})
    return out


def _rows(data: Any) -> list[dict[str, Any]]:
    import msgspec

    data = msgspec.to_builtins(data)
    if isinstance(data, dict):
        data = [data]
    return [row if isinstance(row, dict) else {"value": row} for row in data or []]
