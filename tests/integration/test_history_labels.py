"""`fivestar history` prints each record type's Chinese label beside its id (it printed
``branch.registered`` alone, under a header ``type`` with no Chinese). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.builders import village


def test_history_labels_record_types(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    out = cli("history", "V1").out
    assert "类型 type" in out.splitlines()[0]
    assert "branch.registered 支部登记" in out


def test_history_sheet_labels_record_types(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    from api import exports

    rows = [{"position": 1, "record": {"type": "case.reported", "id": "x"}}]
    header, body = exports.cells("history", rows)
    assert dict(zip(header, body[0], strict=True))["类型 type"] == "case.reported 案件上报"
