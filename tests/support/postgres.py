"""Throwaway PostgreSQL databases on the server named by FIVESTAR_TEST_PG."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg


def fresh_database(server: str) -> tuple[str, str]:
    """Create an empty database; return its URL and its name (for ``drop_database``)."""
    name = f"fs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlparse(server)
    return urlunparse(url._replace(path=f"/{name}")), name


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def throwaway_store(server: str | None) -> Iterator[str]:
    """A store for one example of a property test, removed after it: a new PostgreSQL
    database on ``server``, or a SQLite file in a temporary folder when ``server`` is None."""
    if server is None:
        folder = Path(tempfile.mkdtemp(prefix="fivestar-db-"))
        try:
            yield str(folder / "fivestar.db")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    url, name = fresh_database(server)
    try:
        yield url
    finally:
        drop_database(server, name)
