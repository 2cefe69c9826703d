"""Smoke tests of the API harness (tests/support/api.py): ping, the OpenAPI document and the
interactive page, unknown routes."""

from __future__ import annotations

import re
from urllib.parse import urlparse

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


def test_the_interactive_page_works_offline(lite: Api) -> None:
    """Government intranets have no internet: every script, style sheet and icon of /schema
    comes from this server, and each is served."""
    page = lite.client.get("/schema").text
    assert "SwaggerUIBundle" in page
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert len(assets) >= 4, assets
    external = [a for a in assets if urlparse(a).netloc or a.startswith("//")]
    assert external == [], external
    assert "validatorUrl: null" in page
    for asset in assets:
        response = lite.client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset
