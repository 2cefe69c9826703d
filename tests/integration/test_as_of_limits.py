"""``--as-of`` at the ends of the calendar (ADR 0013): a moment that falls outside years
1-9999 once converted to UTC is a usage error (exit 2, a message), never a traceback; the
last and first representable moments work. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.support.builders import village

Cli = Callable[..., CliResult]


@pytest.fixture
def one_branch(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(village("V1"), ensure_ascii=False) + "\n")
    assert cli("import", str(path)).code == 0


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+01:00"])
@pytest.mark.parametrize("command", [["history", "V1"], ["eligibility", "--year", "2024"]])
def test_as_of_beyond_the_calendar_is_a_usage_error(
    cli: Cli,
    one_branch: None,
    command: list[str],
    as_of: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli(*command, "--as-of", as_of)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "out of range" in err and "Traceback" not in err


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00Z"])
def test_as_of_at_the_ends_of_the_calendar_works(cli: Cli, one_branch: None, as_of: str) -> None:
    result = cli("history", "V1", "--as-of", as_of, "--json")
    assert result.code == 0, result.err
    assert len(result.json()) == (1 if as_of.startswith("9999") else 0)
