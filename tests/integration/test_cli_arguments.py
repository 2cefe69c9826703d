"""Arguments that cannot mean anything are refused with a message, never answered empty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.http.auth import new_token
from tests.support.api import Api, assert_problem
from tests.support.builders import village


@pytest.mark.parametrize("command", [["history", "V1"], ["eligibility", "--year", "2025"]])
def test_a_negative_position_is_a_usage_error(
    cli: Callable[..., Any],
    write_ledger: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        cli(*command, "--position", "-5")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--position" in err and "-5" in err and "start at 0" in err


def test_an_unknown_star_is_a_400_naming_the_parameter(lite: Api) -> None:
    lite.register()
    body = assert_problem(lite.get("/eligibility", lite.admin, year=2025, star="bogus"), 400)
    assert "star" in body["detail"] and "bogus" in body["detail"]
    ok = lite.get("/eligibility", lite.admin, year=2025, star="branch_strong")
    assert ok.status_code == 200


def test_a_token_never_starts_with_a_dash() -> None:
    """A token starting with '-' cannot be passed to a command line as an argument."""
    assert not any(new_token().startswith("-") for _ in range(3000))


def test_issuing_a_token_for_a_scope_without_branches_warns(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    assert cli("import", str(write_ledger([village("V1", county="清丰县")]))).code == 0
    res = cli("token", "issue", "--role", "recorder", "--county", "不存在县", "--name", "x1")
    assert res.code == 0
    assert "warning" in res.err and "不存在县" in res.err
    res = cli("token", "issue", "--role", "recorder", "--county", "清丰县", "--name", "x2")
    assert res.code == 0 and "warning" not in res.err
