"""A revoked token stops receiving the event stream (ADR 0008: a revocation holds from the
next request; ``/events/stream`` is one request that does not end).

Before, the stream checked its token once, when it opened: a token revoked afterwards, even
by ``fivestar token revoke`` in another process, went on receiving every new event of its
jurisdiction for as long as the connection stayed open. A real server over TCP (Litestar's
test client does not hand a stream over as it is produced).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.e2e.test_serve import issue
from tests.support.server import Server, fivestar

BRANCH = {"id": "reg-v1", "type": "branch.registered", "branch": "V1", "on": "2024-01-01",
          "name": "一村", "kind": "village", "county": "清丰县", "township": "柳格镇",
          "households": 300, "population": 1000}  # fmt: skip
MEETING = {"id": "m1", "type": "meeting.held", "branch": "V1", "on": "2024-05-01",
           "kind": "theme_day"}  # fmt: skip


def test_a_stream_ends_once_its_token_is_revoked(db: str) -> None:
    # given a server, admin and county tokens, and a service token following the stream
    admin = {"Authorization": f"Bearer {issue(db, 'admin', 'adm')}"}
    county = {"Authorization": f"Bearer {issue(db, 'county', 'cty')}"}
    follower = {"Authorization": f"Bearer {issue(db, 'service', 'follower')}"}
    srv = Server(db)
    try:
        srv.wait_ready()
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            first = client.post("/records", json=BRANCH, headers=admin)
            assert first.status_code == 201, first.text
            position = first.json()["position"]
            received: list[dict[str, Any]] = []
            params = {"after": position - 1, "limit": 2, "idle": 5}
            with client.stream("GET", "/events/stream", params=params, headers=follower) as got:
                assert got.status_code == 200
                for line in got.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    received.append(json.loads(line[5:].strip()))
                    if len(received) == 1:
                        # when the token is revoked (by the CLI) and a new event is recorded
                        assert fivestar(db, "token", "revoke", "follower").returncode == 0
                        later = client.post("/records", json=MEETING, headers=county)
                        assert later.status_code == 201, later.text
            # then the stream ends without passing the new event on
            assert [e["position"] for e in received] == [position]
            # and the revoked token is refused a new stream
            again = client.get("/events/stream", params={"idle": 0}, headers=follower)
            assert again.status_code == 401
    finally:
        srv.stop()
