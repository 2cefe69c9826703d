"""Shared fixtures: every persistence test runs on SQLite and on a real PostgreSQL.

PostgreSQL is the server named by ``FIVESTAR_TEST_PG`` (``.ci/run`` and ``make test`` start a
throwaway one). Each test gets a fresh database. Under ``CI=true`` a missing PostgreSQL fails
the run instead of skipping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.cli.main import main
from domain.application.service import FiveStar
from tests.support.api import Api, api_for
from tests.support.ledgers import OWN_EXAMPLE
from tests.support.postgres import drop_database as _drop_database
from tests.support.postgres import fresh_database as _fresh_database

# The tests' own example ledger (tests/fixtures); the shared one is tests.support.ledgers'.
EXAMPLE_LEDGER = OWN_EXAMPLE.ledger
EXAMPLE_EXPECTED = OWN_EXAMPLE.expected_file


def _postgres_url() -> str | None:
    url = os.environ.get("FIVESTAR_TEST_PG")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but FIVESTAR_TEST_PG is not set: PostgreSQL tests cannot run")
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str | None:
    return _postgres_url()


@pytest.fixture(params=["sqlite", "postgres"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None
) -> Iterator[str]:
    """A fresh, empty store: a SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "fivestar.db")
        return
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG, or run `make test`)")
    url, name = _fresh_database(postgres_server)
    try:
        yield url
    finally:
        _drop_database(postgres_server, name)


@pytest.fixture
def postgres_url(postgres_server: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database on its own (beside a test's SQLite file, say)."""
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG, or run `make test`)")
    url, name = _fresh_database(postgres_server)
    try:
        yield url
    finally:
        _drop_database(postgres_server, name)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    """For pure read-side tests where the backend does not matter."""
    return str(tmp_path / "fivestar.db")


@pytest.fixture
def service(db: str) -> Iterator[FiveStar]:
    svc = FiveStar(db)
    try:
        yield svc
    finally:
        svc.close()


@pytest.fixture
def write_ledger(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    """Write records as a JSON Lines file and return its path."""
    counter = iter(range(10_000))

    def write(records: list[dict[str, Any]], name: str | None = None) -> Path:
        path = tmp_path / (name or f"ledger-{next(counter)}.jsonl")
        path.write_text(
            "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records),
            encoding="utf-8",
        )
        return path

    return write


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(db: str, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``fivestar --db DB ...`` in-process and capture what it prints."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(["--db", db, *args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def api(db: str) -> Iterator[Api]:
    """On SQLite and on PostgreSQL."""
    yield from api_for(db)


@pytest.fixture
def lite(sqlite_db: str) -> Iterator[Api]:
    """On SQLite only: HTTP shapes and status codes, where the store does not matter."""
    yield from api_for(sqlite_db)
