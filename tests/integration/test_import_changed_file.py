"""An interrupted import resumes only the file it was reading (ADR 0013): the resume
position is kept with a fingerprint of the lines consumed up to it, in the same transaction,
and a file whose first lines changed meanwhile is refused with a pointer to ``--restart``
rather than silently resumed past lines it never read. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.application.ledger import Ledger
from tests.conftest import CliResult
from tests.support.builders import rec, village

Cli = Callable[..., CliResult]
CHUNK = 20


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIVESTAR_IMPORT_BATCH_SIZE", str(CHUNK))  # Settings.from_env()


def _meetings(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [
        rec("meeting.held", "V1", "2024-05-01", kind="theme_day", id=f"m{i:04d}")
        for i in range(start, start + n)
    ]


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def _interrupted_import(cli: Cli, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Import until the third batch, which is interrupted (as by Ctrl-C)."""
    calls = {"n": 0}
    real = Ledger.submit

    def submit(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(Ledger, "submit", submit)
        assert cli("import", str(path)).code == 130


def _ids(cli: Cli) -> list[str]:
    result = cli("history", "V1", "--json")
    assert result.code == 0, result.err
    return [entry["record"]["id"] for entry in result.json()]


def test_a_file_changed_before_the_resume_point_is_refused_until_restart(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.jsonl"
    original = [village("V1"), *_meetings(3 * CHUNK)]
    _write(path, original)
    _interrupted_import(cli, monkeypatch, path)
    before = _ids(cli)
    assert len(before) == 2 * CHUNK

    # edited in place: a record inserted near the top shifts every later line
    changed = [original[0], rec("meeting.held", "V1", "2024-04-01", kind="org_life", id="new"),
               *original[1:]]  # fmt: skip
    _write(path, changed)
    refused = cli("import", str(path))
    assert refused.code == 2, refused.out
    assert "--restart" in refused.err
    assert f"line {2 * CHUNK}" in refused.err
    assert _ids(cli) == before  # nothing applied
    assert cli("import", str(path)).code == 2  # and it stays refused

    restarted = cli("import", "--restart", str(path))
    assert restarted.code == 0, restarted.out + restarted.err
    assert f"1 applied, {2 * CHUNK} duplicate" not in restarted.out  # it read every line
    assert sorted(_ids(cli)) == sorted(r["id"] for r in changed)
    assert f"{len(changed) - len(before)} applied, {len(before)} duplicate" in restarted.out


def test_a_file_grown_at_its_end_resumes(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.jsonl"
    records = [village("V1"), *_meetings(3 * CHUNK)]
    _write(path, records)
    _interrupted_import(cli, monkeypatch, path)
    grown = [*records, *_meetings(5, start=1000)]
    _write(path, grown)
    result = cli("import", str(path))
    assert result.code == 0, result.out + result.err
    assert f"after line {2 * CHUNK}" in result.err
    assert sorted(_ids(cli)) == sorted(r["id"] for r in grown)


def test_restart_without_an_interrupted_run_imports_as_usual(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    _write(path, [village("V1"), *_meetings(3)])
    first = cli("import", "--restart", str(path))
    assert first.code == 0 and "4 applied" in first.out
    again = cli("import", "--restart", str(path))
    assert again.code == 0 and "0 applied, 4 duplicate" in again.out
