"""The OpenAPI document states every lower bound the server enforces: schemathesis and client
generators take a numeric parameter without ``minimum`` to accept negative numbers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, assert_problem


def _numeric(schema: dict[str, Any]) -> bool:
    types = [schema.get("type"), *(s.get("type") for s in schema.get("oneOf", []))]
    return any(t in ("integer", "number") for t in types)


def test_every_numeric_query_parameter_declares_its_minimum(lite: Api) -> None:
    """``size`` and ``to`` (``/ledger/digest``, ``/ledger/consistency``, proofs) and ``idle``
    (``/events/stream``) were refused below 0 with a 400 the document did not announce."""
    spec = lite.client.get("/schema/openapi.json").json()
    undeclared = [
        (path, parameter["name"])
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and _numeric(parameter["schema"])
        and "minimum" not in parameter["schema"]
    ]
    assert undeclared == []


@pytest.mark.parametrize(
    ("path", "params"),
    [("/ledger/digest", {"size": -1}), ("/ledger/consistency", {"from": 0, "to": -1})],
)
def test_the_declared_minimum_is_the_one_enforced(
    lite: Api, path: str, params: dict[str, int]
) -> None:
    lite.register()
    spec = lite.client.get("/schema/openapi.json").json()
    declared = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
    for name, value in params.items():
        if value < 0:
            assert declared[name]["minimum"] == 0
    assert_problem(lite.get(path, lite.admin, **params), 400)
