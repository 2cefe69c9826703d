"""Throwaway PostgreSQL databases on the server named by FIVESTAR_TEST_PG."""

from __future__ import annotations

import uuid
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
