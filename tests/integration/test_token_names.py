"""A token name never begins with '-': ``fivestar token revoke -x`` reads it as an option, so
a token issued under such a name could not be revoked the way the README shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import Api, assert_problem
from tests.support.builders import village


def test_the_command_line_refuses_a_name_beginning_with_a_dash(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    refused = cli("token", "issue", "--role", "recorder", "--name=-x")
    assert refused.code == 2 and "-x" in refused.err
    assert "-x" not in cli("token", "list").out
    assert cli("token", "issue", "--role", "recorder", "--name=x-1").code == 0


def test_the_api_refuses_a_name_beginning_with_a_dash(lite: Api) -> None:
    admin = lite.auth(lite.admin)
    assert_problem(
        lite.client.post("/tokens", json={"role": "recorder", "name": "-x"}, headers=admin), 400
    )
    ok = lite.client.post("/tokens", json={"role": "recorder", "name": "x-1"}, headers=admin)
    assert ok.status_code == 201
