"""Fixtures of the API tests: the harness of ``tests/support/api.py`` over a fresh store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.api import Api, api_for


@pytest.fixture
def api(db: str) -> Iterator[Api]:
    """On SQLite and on PostgreSQL."""
    yield from api_for(db)


@pytest.fixture
def lite(sqlite_db: str) -> Iterator[Api]:
    """On SQLite only: HTTP shapes and status codes, where the store does not matter."""
    yield from api_for(sqlite_db)
