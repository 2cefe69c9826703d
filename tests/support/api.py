"""The harness the API tests share: an app over a fresh store in Litestar's TestClient,
tokens of any role and scope, a registered set of branches, and one record of each kind.

The ``api`` and ``lite`` fixtures over it are in ``tests/api/conftest.py``."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

from litestar.testing import TestClient

from api.http.app import create_app
from api.http.auth import hash_token, new_token
from domain.application.service import FiveStar
from tests.support.builders import (
    ALL_VILLAGE,
    chain,
    community,
    five_star_village_years,
    rec,
    village,
)

_ids = itertools.count(1)
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


def api_for(db: str, project: bool = True) -> Generator[Api]:
    """The app over ``db``; ``project=False`` runs it without its projector (as with
    ``serve --no-projector``), so the read models move only when the test catches them up."""
    app = create_app(db, project=project, wait_seconds=1.0)
    with TestClient(app) as client:
        yield Api(client)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def sample(kind: str) -> dict[str, object]:
    """One record of each kind for V1 (whether the ledger then accepts it does not matter)."""
    kind, _, by = kind.partition(":")
    on, n = "2024-05-01", next(_ids)
    by_kind: dict[str, dict[str, object]] = {
        "branch.registered": dict(
            name="n", kind="village", county="清丰县", township="柳格镇", households=1, population=1
        ),
        "branch.secretary_appointed": dict(person="p", civil_servant=False),
        "incident.recorded": dict(category="gambling"),
        "incident.retracted": dict(ref="nothing", reason="r"),
        "meeting.held": dict(kind="theme_day"),
        "member.developed": dict(person="p"),
        "plan.set": dict(year=2024, target=1),
        "honor.granted": dict(kind="other", level="county", recipient="branch", title="t"),
        "metric.reported": dict(year=2024, metric="collective_income", value=1.0),
        "criterion.attested": dict(year=2024, criterion="dual_binding", met=True, by="x"),
        "designation.granted": dict(year=2024, designation="three_zero"),
        "designation.revoked": dict(year=2024, designation="three_zero"),
        "weakness.designated": {},
        "weakness.lifted": {},
        "rating.declared": dict(year=2024, stars=["industry_thriving"]),
        "rating.recommended": dict(year=2024, stars=["industry_thriving"], by=by),
        "rating.awarded": dict(year=2024, stars=["industry_thriving"], by=by),
    }
    fields = by_kind[kind]
    branch = f"N{n}" if kind == "branch.registered" else "V1"
    return rec(kind, branch, on, id=f"s{n}", **fields)


# Every record type, the reviewed ones once per reviewing level (``type:by``).
RECORD_KINDS = sorted(
    {
        "branch.registered", "branch.secretary_appointed", "incident.recorded",
        "incident.retracted", "meeting.held", "member.developed", "plan.set", "honor.granted",
        "metric.reported", "criterion.attested", "designation.granted", "designation.revoked",
        "weakness.designated", "weakness.lifted", "rating.declared",
        "rating.recommended:township", "rating.recommended:county", "rating.recommended:city",
        "rating.awarded:county", "rating.awarded:city", "rating.awarded:province",
    }
)  # fmt: skip


YEARS = [2022, 2023, 2024]


def five_star_three_years(api: Api) -> None:
    """V1 eligible for five stars 2022-2024 and awarded them by the province each year."""
    records = [*five_star_village_years("V1", YEARS)]
    records.append(rec("branch.secretary_appointed", "V1", "2021-12-01", person="李书记",
                       civil_servant=False))  # fmt: skip
    api.write(records, api.token("county"))
    for year in YEARS:
        declared, *reviews, award = chain("V1", year, ALL_VILLAGE, "province")
        api.write([declared, *[r for r in reviews if r["by"] == "township"]], api.token("township"))
        api.write([r for r in reviews if r["by"] == "county"], api.token("county"))
        api.write([r for r in reviews if r["by"] == "city"], api.token("city"))
        api.write([award], api.token("province"))
