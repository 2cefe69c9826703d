"""What ``fivestar import`` does with hostile or odd input (ADR 0013): a line nested too
deeply, text beyond its limit, branch codes outside the record-id character set, a UTF-8
byte-order mark, and paths that are not regular files. On SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.support.builders import rec, village

Cli = Callable[..., CliResult]


def _lines(records: list[dict[str, Any] | str]) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
    )


def _history_ids(cli: Cli, code: str) -> list[str]:
    result = cli("history", code, "--json")
    assert result.code == 0, result.err
    return [entry["record"]["id"] for entry in result.json()]


def test_a_deeply_nested_line_is_refused_like_any_other(cli: Cli, tmp_path: Path) -> None:
    meeting = rec("meeting.held", "V1", "2024-05-01", kind="theme_day", id="m-after")
    path = tmp_path / "deep.jsonl"
    v1 = village("V1")
    path.write_text(_lines([v1, "[" * 1000, "{" * 5 + "[" * 995, meeting]))
    result = cli("import", str(path))
    assert result.code == 1, result.err
    assert "line 2: -: structural:" in result.out
    assert "line 3: -: structural:" in result.out
    assert "2 applied" in result.out and "2 refused" in result.out
    assert _history_ids(cli, "V1") == [v1["id"], "m-after"]
    again = cli("import", str(path))  # a rerun does not crash either
    assert again.code == 1 and "2 duplicate, 2 refused" in again.out


@pytest.mark.parametrize(
    ("field", "record"),
    [
        ("name", {**village("V1"), "name": "村" * 201}),
        (
            "note",
            rec("incident.recorded", "V1", "2024-05-01", category="gambling", note="x" * 2001),
        ),
        ("branch", {**village("V1"), "branch": "V/1"}),
        ("branch", {**village("V1"), "branch": "V\x071"}),
        ("branch", {**village("V1"), "branch": "V1\n"}),
    ],
)
def test_text_beyond_its_limit_and_bad_branch_codes_are_refused_naming_the_field(
    cli: Cli, tmp_path: Path, field: str, record: dict[str, Any]
) -> None:
    path = tmp_path / "limits.jsonl"
    first = [village("V1")] if record["type"] != "branch.registered" else []
    path.write_text(_lines([*first, record]))
    result = cli("import", str(path))
    assert result.code == 1, result.err
    line = len(first) + 1
    refusal = next(row for row in result.out.splitlines() if row.startswith(f"line {line}:"))
    assert f"structural: {field}:" in refusal, refusal


def test_limits_themselves_are_accepted(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "at-limits.jsonl"
    note = rec("incident.recorded", "A.b_c-9", "2024-05-01", category="gambling", note="x" * 2000)
    path.write_text(_lines([{**village("A.b_c-9"), "name": "村" * 200}, note]))
    result = cli("import", str(path))
    assert result.code == 0, result.out
    assert "2 applied" in result.out


def test_a_utf8_byte_order_mark_is_accepted(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "excel.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _lines([village("V1"), village("V2")]).encode())
    result = cli("import", str(path))
    assert result.code == 0, result.out
    assert "2 applied, 0 duplicate, 0 refused" in result.out


def test_a_directory_fifo_or_device_is_named_for_what_it_is(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, what in [(tmp_path, "a directory"), (fifo, "a FIFO"), ("/dev/null", "a device")]:
        result = cli("import", str(path))
        assert result.code == 2, (path, result.out)
        assert what in result.err, result.err
        assert str(path) in result.err
    missing = cli("import", str(tmp_path / "missing.jsonl"))
    assert missing.code == 2 and "no such file" in missing.err


def test_a_utf16_zip_or_gzip_file_is_named_for_what_it_is(cli: Cli, tmp_path: Path) -> None:
    """Excel's "Unicode text" is UTF-16 and its workbooks are ZIP archives: every line used to
    be refused as "JSON is malformed: invalid character (byte 0)", one refusal per line."""
    text = _lines([village("V1"), village("V2")])
    cases = [
        ("unicode.jsonl", text.encode("utf-16"), "UTF-16"),
        ("book.xlsx", b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
        ("ledger.jsonl.gz", gzip.compress(text.encode()), "gzip"),
    ]
    for name, content, what in cases:
        path = tmp_path / name
        path.write_bytes(content)
        result = cli("import", str(path))
        assert result.code == 2, (name, result.out)
        assert what in result.err and str(path) in result.err, result.err
        assert "line 1" not in result.out
    assert cli("history", "V1").code == 2  # nothing was applied
