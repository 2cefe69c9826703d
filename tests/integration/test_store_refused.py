"""A PostgreSQL server that answers but refuses us (a database or role that does not exist):
one line saying the store refused and to mend --db, exit 2 (ADR 0022). It was reported as
"unreachable (couldn't get a connection after 5.00 sec); run the same command again to
resume", exit 3, which sends an operator or a retrying script to wait for nothing.

Runs against the shared server (FIVESTAR_TEST_PG) with a name that is not there: nothing is
stopped or created.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from tests.support.server import fivestar

# a read, a write that may create the store, and the token commands' own opening path
COMMANDS = (("eligibility", "--year", "2024"), ("rebuild",), ("token", "list"))


def _with(server: str, **parts: str) -> str:
    url = urlparse(server)
    netloc = url.netloc
    if "user" in parts:
        netloc = f"{parts['user']}@{url.hostname}:{url.port}"
    path = f"/{parts['database']}" if "database" in parts else url.path
    return urlunparse(url._replace(netloc=netloc, path=path))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("wrong", ["database", "user"])
def test_a_refusing_server_ends_in_one_line_naming_what_to_mend(
    postgres_server: str | None, wrong: str, command: tuple[str, ...]
) -> None:
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG, or run `make test`)")
    missing = f"nosuch_{uuid.uuid4().hex[:8]}"
    db = _with(postgres_server, **{wrong: missing})
    done = fivestar(db, *command)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    said = done.stderr.strip()
    assert len(said.splitlines()) == 1, said
    assert said.startswith("fivestar: the store postgresql://"), said
    assert f'"{missing}" does not exist' in said, said
    assert "refused the connection" in said
    assert "--db" in said
    assert "unreachable" not in said and "resume" not in said
