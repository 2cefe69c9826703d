"""Smoke tests of the API harness (tests/support/api.py): ping, the OpenAPI document and the
interactive page, unknown routes."""

from __future__ import annotations

from tests.support.api import Api, assert_problem


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
