"""``fivestar serve`` as a real process, talked to with httpx over TCP.

Against PostgreSQL (the ``db`` fixture's postgres parameter) and SQLite, with two uvicorn
workers, so that writes race across processes as well as threads: sixteen concurrent
writers on one branch lose and duplicate nothing, retries with the same ids are
duplicates, and a read can wait for the position a write answered with.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.server import ROOT, Server, fivestar

WRITERS, PER_WRITER = 16, 8


def issue(db: str, role: str, name: str, *scope: str) -> str:
    result = fivestar(db, "token", "issue", "--role", role, "--name", name, *scope)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def server(db: str) -> Iterator[tuple[Server, dict[str, str]]]:
    tokens = {
        "admin": issue(db, "admin", "adm"),
        "recorder": issue(db, "recorder", "clerk", "--county", "清丰县"),
        "auditor": issue(db, "auditor", "audit"),
    }
    srv = Server(db, workers=2)
    try:
        srv.wait_ready()
        yield srv, tokens
    finally:
        code = srv.stop()
        assert code == 0, srv.output() if not srv.log.closed else code


def post(client: httpx.Client, body: Any, attempts: int = 20) -> httpx.Response:
    """POST /records, retrying a 503 (the store asked for a retry) with the same ids."""
    for _ in range(attempts):
        response = client.post("/records", json=body)
        if response.status_code != 503:
            return response
        time.sleep(float(response.headers.get("retry-after", "0.2")) / 5)
    return response


def meeting(writer: int, n: int) -> dict[str, Any]:
    return {"id": f"w{writer:02d}-{n:02d}", "type": "meeting.held", "branch": "V1",
            "on": f"2024-{n % 12 + 1:02d}-0{writer % 9 + 1}", "kind": "theme_day"}  # fmt: skip


def test_serve_end_to_end(server: tuple[Server, dict[str, str]]) -> None:
    srv, tokens = server
    auth = {name: {"Authorization": f"Bearer {tok}"} for name, tok in tokens.items()}
    with httpx.Client(base_url=srv.url, headers=auth["admin"], timeout=30) as admin:
        registered = post(admin, {"id": "reg-V1", "type": "branch.registered", "branch": "V1",
                                  "on": "2021-12-01", "name": "一村", "kind": "village",
                                  "county": "清丰县", "township": "柳格镇", "households": 300,
                                  "population": 1000})  # fmt: skip
        assert registered.status_code == 201, registered.text
        assert httpx.get(f"{srv.url}/branches", timeout=5).status_code == 401

        def write(writer: int) -> list[dict[str, Any]]:
            with httpx.Client(base_url=srv.url, headers=auth["recorder"], timeout=60) as client:
                results = []
                for n in range(PER_WRITER):
                    response = post(client, meeting(writer, n))
                    assert response.status_code == 201, response.text
                    results.append(response.json())
                # a client that retries everything it sent gets duplicates
                again = post(client, [meeting(writer, n) for n in range(PER_WRITER)])
                assert again.status_code == 200, again.text
                assert {r["status"] for r in again.json()} == {"duplicate"}
                return results

        with ThreadPoolExecutor(WRITERS) as pool:
            results = [r for batch in pool.map(write, range(WRITERS)) for r in batch]
        positions = [r["position"] for r in results]
        assert len(set(positions)) == WRITERS * PER_WRITER

        with httpx.Client(base_url=srv.url, headers=auth["auditor"], timeout=30) as auditor:
            history = auditor.get("/branches/V1/history")
            assert history.status_code == 200
            ids = [e["record"]["id"] for e in history.json()]
            assert len(ids) == 1 + WRITERS * PER_WRITER == len(set(ids))
            assert {e["recorder"] for e in history.json()} == {"api:adm", "api:clerk"}
            # a read waits for the last write's position, then sees it
            eligibility = auditor.get(
                "/branches/V1/eligibility/2024", params={"min_position": max(positions)}
            )
            assert eligibility.status_code == 200, eligibility.text
            health = auditor.get("/health").json()
            assert health["ok"] and health["head"] >= max(positions)
            assert health["projector"] == "external"  # the one projector is the parent's
            deadline = time.monotonic() + 10
            while auditor.get("/health").json()["lag"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert auditor.get("/health").json()["lag"] == 0
            page = auditor.get("/branches").json()
            assert page["total"] == 1 and page["items"][0]["code"] == "V1"

        # tokens revoked from the command line stop working at once
        assert fivestar(srv.db, "token", "revoke", "clerk").returncode == 0
        with httpx.Client(base_url=srv.url, headers=auth["recorder"], timeout=30) as clerk:
            assert clerk.post("/records", json=meeting(99, 1)).status_code == 401
        listed = fivestar(srv.db, "token", "list")
        assert "clerk" in listed.stdout and tokens["admin"] not in listed.stdout


def test_an_api_without_projector_is_kept_caught_up_by_a_projector_process(db: str) -> None:
    """`serve --no-projector` leaves the read models to `fivestar project` (ADR 0010)."""
    admin = issue(db, "admin", "adm")
    srv = Server(db, workers=1, extra=("--no-projector",))
    projector = None
    try:
        srv.wait_ready()
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=srv.url, headers=headers, timeout=10) as client:
            record = {"id": "reg-1", "type": "branch.registered", "branch": "V9",
                      "on": "2021-12-01", "name": "九村", "kind": "village", "county": "范县",
                      "township": "陈庄镇", "households": 300, "population": 1100}  # fmt: skip
            assert post(client, record).status_code == 201
            health = client.get("/health").json()
            assert health["projector"] == "external"
            assert health["lag"] >= 1  # nobody projects yet
            projector = subprocess.Popen(
                [sys.executable, "-m", "api.cli.main", "--db", db, "project", "--interval", "0.1"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 30
            while client.get("/health").json()["lag"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert client.get("/health").json()["lag"] == 0
            assert client.get("/branches/V9").json()["county"] == "范县"
    finally:
        if projector is not None:
            projector.send_signal(signal.SIGINT)
            projector.wait(timeout=20)
        assert srv.stop() == 0
