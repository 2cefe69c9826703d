"""The harness the API tests share: an app over a fresh store in Litestar's TestClient,
tokens of any role and scope, and a registered set of branches. Also its own smoke tests."""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.http.app import create_app
from api.http.auth import hash_token, new_token
from domain.application.service import FiveStar
from tests.support.builders import community, village

_names = itertools.count(1)

# 清丰县 has two townships; 华龙区 one street with a community.
BRANCHES = [
    village("V1", "清丰县", "柳格镇"),
    village("V2", "清丰县", "柳格镇"),
    village("V3", "清丰县", "马庄桥镇"),
    village("V4", "南乐县", "城关镇"),
    community("C1", "华龙区", "胜利路街道"),
]


class Api:
    """A TestClient over ``create_app(db)`` with helpers for tokens and writes."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client
        self.app = client.app
        self.svc: FiveStar = client.app.state.svc
        self.admin = self.token("admin")

    def token(self, role: str, name: str | None = None, **scope: str) -> str:
        token = new_token()
        name = name or f"{role}{next(_names)}"
        self.app.state.tokens.issue(
            name,
            hash_token(token),
            role,
            scope.get("county"),
            scope.get("township"),
            scope.get("branch"),
        )
        return token

    @staticmethod
    def auth(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, body: Any, token: str | None) -> Any:
        return self.client.post("/records", json=body, headers=self.auth(token))

    def get(self, path: str, token: str | None, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.auth(token))

    def write(self, records: list[dict[str, Any]], token: str | None = None) -> Any:
        """Post records that must all be applied; return the response after the read
        models have caught up with them."""
        response = self.post(records, token or self.admin)
        assert response.status_code == 200, response.text
        assert all(r["status"] == "applied" for r in response.json()), response.text
        self.svc.catch_up()
        return response

    def register(self, records: list[dict[str, Any]] | None = None) -> None:
        self.write(records or BRANCHES)


def api_for(db: str) -> Generator[Api]:
    app = create_app(db, wait_seconds=1.0)
    with TestClient(app) as client:
        yield Api(client)


@pytest.fixture(name="api")
def api_fixture(db: str) -> Iterator[Api]:
    """On SQLite and on PostgreSQL."""
    yield from api_for(db)


@pytest.fixture(name="lite")
def lite_fixture(sqlite_db: str) -> Iterator[Api]:
    """On SQLite only: HTTP shapes and status codes, where the store does not matter."""
    yield from api_for(sqlite_db)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# ------------------------------------------------------------------ smoke tests
def test_ping_needs_no_token_and_no_store(lite: Api) -> None:
    response = lite.client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_openapi_document_and_interactive_page(lite: Api) -> None:
    doc = lite.client.get("/schema/openapi.json")
    assert doc.status_code == 200
    spec = doc.json()
    assert spec["openapi"].startswith("3.1")
    body = spec["paths"]["/records"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["oneOf"][1]["maxItems"] == 1000
    assert "Record" in spec["components"]["schemas"]
    for path in ("/branches", "/eligibility", "/awards", "/rewards", "/priority", "/health"):
        assert path in spec["paths"]
    page = lite.client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_unknown_route_and_method_are_problems(lite: Api) -> None:
    assert_problem(lite.client.get("/nowhere"), 404)
    assert_problem(lite.client.put("/records", json={}), 405)
