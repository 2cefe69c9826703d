"""Numbers on the command line that cannot mean anything are usage errors (exit 2 with a
message naming the option), never a traceback and never a verdict about the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.builders import village


def _usage_error(cli: Callable[..., Any], capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        cli(*args)
    assert exited.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["verify", "--size", "-1", "--root", "ab" * 32],
        ["digest", "--size", "-1"],
        ["prove", "V1", "t1", "--size", "-3"],
        ["prove", "--consistency", "-1", "1"],
    ],
)
def test_a_negative_tree_size_is_a_usage_error_not_tampering(
    cli: Callable[..., Any],
    write_ledger: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    """``verify --size -1 --root R`` said 账本被篡改 (tampered) and exited 1."""
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    err = _usage_error(cli, capsys, *command)
    assert "-1" in err or "-3" in err
    assert "tree size" in err and "账本被篡改" not in err


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["demo", "--branches", "-3"], "--branches"),
        (["demo", "--branches", "0"], "--branches"),
        (["demo", "--branches", "99999999999"], "--branches"),
        (["serve", "--port", "99999"], "--port"),
        (["serve", "--port", "-1"], "--port"),
        (["serve", "--workers", "0"], "--workers"),
        (["project", "--interval", "nan"], "--interval"),
        (["project", "--interval", "-1"], "--interval"),
        (["project", "--interval", "0"], "--interval"),
    ],
)
def test_counts_ports_and_intervals_out_of_range_are_refused(
    cli: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    option: str,
) -> None:
    """``demo --branches -3`` and ``serve --port 99999`` ended in tracebacks (the generator's
    CalledProcessError, uvicorn's OverflowError); ``project --interval -1`` polled in a loop."""
    err = _usage_error(cli, capsys, *command)
    assert option in err and command[-1] in err
    assert "Traceback" not in err
