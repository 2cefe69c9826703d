"""The branch registry: branches as the ``branches`` read model holds them, filtered, paged.

Filters are equality on code, county, township and kind (the API narrows them further to a
token's jurisdiction); pages are ordered by branch code.
"""

from __future__ import annotations

from typing import Any

from projections.tables import ViewStore

FIELDS = (
    "code",
    "name",
    "kind",
    "county",
    "township",
    "households",
    "population",
    "registered_on",
    "position",
)
_COLUMNS = ", ".join(FIELDS)


def branch_filter(
    code: str | None = None,
    county: str | None = None,
    township: str | None = None,
    kind: str | None = None,
    alias: str = "",
) -> tuple[list[str], list[Any]]:
    """Conditions on the ``branches`` table (``alias.`` before each column if given) and
    their parameters; the registry and the eligibility queries filter branches alike."""
    prefix = f"{alias}." if alias else ""
    clauses, params = [], []
    for column, value in (
        ("code", code),
        ("county", county),
        ("township", township),
        ("kind", kind),
    ):
        if value is not None:
            clauses.append(f"{prefix}{column} = ?")
            params.append(value)
    return clauses, params


def _where(
    code: str | None, county: str | None, township: str | None, kind: str | None
) -> tuple[str, list[Any]]:
    clauses, params = branch_filter(code, county, township, kind)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _branch(row: Any) -> dict[str, Any]:
    return {name: row[name] for name in FIELDS}


def list_branches(
    views: ViewStore,
    *,
    code: str | None = None,
    county: str | None = None,
    township: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of branches sorted by code, and how many match in all."""
    where, params = _where(code, county, township, kind)
    total = views.query(f"SELECT COUNT(*) AS n FROM {{p}}branches{where}", params)[0]["n"]
    rows = views.query(
        f"SELECT {_COLUMNS} FROM {{p}}branches{where} ORDER BY code LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_branch(row) for row in rows], int(total)


def get_branch(views: ViewStore, code: str) -> dict[str, Any] | None:
    rows = views.query(f"SELECT {_COLUMNS} FROM {{p}}branches WHERE code = ?", (code,))
    return _branch(rows[0]) if rows else None


def branch_codes(
    views: ViewStore,
    *,
    code: str | None = None,
    county: str | None = None,
    township: str | None = None,
) -> set[str]:
    """Codes of the registered branches matching the filters (all when none is given)."""
    where, params = _where(code, county, township, None)
    return {row["code"] for row in views.query(f"SELECT code FROM {{p}}branches{where}", params)}


def names(views: ViewStore) -> list[dict[str, Any]]:
    """Every registered branch's code, name and county (for labels beside ids)."""
    rows = views.query("SELECT code, name, county FROM {p}branches ORDER BY code")
    return [{"code": r["code"], "name": r["name"], "county": r["county"]} for r in rows]
