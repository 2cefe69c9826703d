"""PostgreSQL going away (ADR 0022): stopped with ``pg_ctl stop -m immediate`` in the middle of
an import, the import ends with one line naming the store and the last committed line, exit 3,
no traceback; run again once the server is back it resumes to the result of a clean import.
``serve`` answers 503 problem details while the server is away and 200 again once it is back,
without a restart.

A private cluster (tests/support/pg_cluster.py) is stopped, never the shared FIVESTAR_TEST_PG
server the other tests use; skipped where pg_ctl/initdb are not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
import pytest

from domain.application.service import FiveStar
from tests.support import pg_cluster
from tests.support.ledgers import make_ledger
from tests.support.postgres import fresh_database
from tests.support.server import Server, fivestar

ROOT = Path(__file__).resolve().parents[2]
YEARS = range(2022, 2027)
BATCH = 500  # lines per import transaction, so the import is stopped between many of them
ONE_LINE = re.compile(
    r"^fivestar: the store (?P<store>postgresql://\S+) is unreachable \(.+\); "
    r"(?P<path>\S+) is committed up to line (?P<line>\d+); "
    r"run the same command again to resume$"
)

pytestmark = pytest.mark.skipif(
    pg_cluster.available() is not None, reason=pg_cluster.available() or ""
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[pg_cluster.PrivateCluster]:
    made = pg_cluster.PrivateCluster()
    try:
        yield made
    finally:
        made.destroy()


@pytest.fixture
def running(cluster: pg_cluster.PrivateCluster) -> Iterator[pg_cluster.PrivateCluster]:
    """The private cluster, up at the start of a test and left up at its end."""
    yield cluster
    try:
        with psycopg.connect(cluster.url, connect_timeout=2):
            pass
    except psycopg.OperationalError:
        cluster.start()


def run_import(db: str, path: Path, follower: bool = False) -> subprocess.Popen[str]:
    """``follower``: the forked projector and writer of a large file's import (ADR 0021,
    0027) run for this small one too; each of them loses the store as well."""
    env = {**os.environ, "FIVESTAR_IMPORT_BATCH_SIZE": str(BATCH)}
    if follower:
        env["FIVESTAR_IMPORT_FOLLOWER_BYTES"] = "0"
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "--db", db, "import", str(path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def committed_line(db: str) -> int:
    """How far the import run in ``db`` is committed (0 before its first batch)."""
    try:
        with psycopg.connect(db, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT MAX(notification_id) FROM fivestar_tracking "
                "WHERE application_name LIKE 'import:%'"
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0] or 0) if row else 0


def results(db: str) -> dict[str, Any]:
    """Eligibility and awards of every year, without receipts (another import recorded at
    other times, so its Merkle roots differ)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "basis"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    with FiveStar(db) as svc:
        return {
            str(year): plain(
                msgspec.to_builtins(
                    {"eligibility": svc.eligibility(year), "awards": svc.awards(year)}
                )
            )
            for year in YEARS
        }


@pytest.mark.parametrize("follower", [False, True], ids=["alone", "with-follower"])
def test_an_import_whose_server_stops_ends_in_one_line_and_resumes(
    running: pg_cluster.PrivateCluster, tmp_path: Path, follower: bool
) -> None:
    path = make_ledger(tmp_path / "ledger.jsonl", branches=40, every=211)
    lines = sum(1 for _ in path.open("rb"))
    db, _ = fresh_database(running.url)
    clean, _ = fresh_database(running.url)

    proc = run_import(db, path, follower)
    deadline = time.monotonic() + 120
    while committed_line(db) < 2 * BATCH:  # a few batches in, the server goes away
        assert proc.poll() is None, f"finished before the stop: {proc.communicate()}"
        assert time.monotonic() < deadline, "no batch committed in 2 minutes"
        time.sleep(0.02)
    running.kill()
    _, err = proc.communicate(timeout=120)

    assert proc.returncode == 3, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err  # the follower used to add its own
    last = err.strip().splitlines()[-1]
    said = ONE_LINE.match(last)
    assert said is not None, last
    assert said["store"] == db  # no password in these URLs; the store named as given
    assert said["path"] == str(path)
    reported = int(said["line"])
    assert 2 * BATCH <= reported < lines

    running.start()
    assert committed_line(db) >= reported  # the batch in flight may have committed too
    again = fivestar(db, "import", str(path))
    assert again.returncode in (0, 1), again.stderr  # 1: the ledger's refused lines
    assert f"after line {committed_line_before(again)}" in again.stderr
    resumed_at = committed_line_before(again)
    assert resumed_at >= reported

    whole = fivestar(clean, "import", str(path))
    assert whole.returncode == again.returncode, whole.stderr
    assert results(db) == results(clean)
    assert results(db)["2024"]["eligibility"], "the comparison saw no eligibility"


def committed_line_before(done: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"resumed an interrupted import of \S+ after line (\d+)", done.stderr)
    assert found is not None, done.stderr
    return int(found[1])


def test_a_command_against_a_stopped_server_ends_in_one_line(
    running: pg_cluster.PrivateCluster, tmp_path: Path
) -> None:
    db, _ = fresh_database(running.url)
    assert fivestar(
        db, "import", str(make_ledger(tmp_path / "l.jsonl", branches=2))
    ).returncode in (0, 1)
    running.kill()
    started = time.monotonic()
    done = fivestar(db, "eligibility", "--year", "2024")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"fivestar: the store {db} is unreachable ("
        + done.stderr.split(" is unreachable (", 1)[1].split("); ", 1)[0]
        + "); run the same command again to resume"
    )
    assert time.monotonic() - started < 60  # not ten retries of a 30-second wait


def test_serve_answers_503_while_the_server_is_away_and_recovers(
    running: pg_cluster.PrivateCluster, tmp_path: Path
) -> None:
    db, _ = fresh_database(running.url)
    assert fivestar(
        db, "import", str(make_ledger(tmp_path / "l.jsonl", branches=2))
    ).returncode in (0, 1)
    issued = fivestar(db, "token", "issue", "--role", "auditor", "--name", "outage")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.split()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(db)
    try:
        server.wait_ready()
        assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200
        read = f"{server.url}/eligibility?year=2024"
        assert httpx.get(read, headers=headers, timeout=30).status_code == 200
        browser = httpx.Client(follow_redirects=False)
        login = f"{server.url}/ui/login"
        nonce = re.search(r'name="nonce" value="([^"]+)"', browser.get(login).text)[1]  # type: ignore[index]
        signed = browser.post(login, data={"token": token, "nonce": nonce, "next": ""})
        assert signed.status_code == 303, signed.text
        nonce = re.search(r'name="nonce" value="([^"]+)"', browser.get(login).text)[1]  # type: ignore[index]

        feed = httpx.stream("GET", f"{server.url}/events/stream", headers=headers, timeout=60)
        stream = feed.__enter__()
        chunks = stream.iter_text()
        assert "event: ledger" in next(chunks)

        running.kill()
        # the open feed ends cleanly with a message to reconnect, not cut mid-chunk
        rest = "".join(chunks)
        feed.__exit__(None, None, None)
        assert "event: unavailable" in rest and "retry: 5000" in rest, rest
        for url in (read, f"{server.url}/health"):
            away = httpx.get(url, headers=headers, timeout=60)
            assert away.status_code == 503, away.text
            assert away.headers["content-type"].startswith("application/problem+json")
            problem = away.json()
            assert problem["status"] == 503
            assert "unreachable" in problem["detail"], problem

        # the dashboard: a 503 page, not the API's JSON, for a signed-in page and sign-in
        for method, url in (("GET", f"{server.url}/ui/overview"), ("POST", login)):
            data = {"token": token, "nonce": nonce, "next": ""} if method == "POST" else None
            page = browser.request(method, url, data=data, timeout=60)
            assert page.status_code == 503, page.text
            assert page.headers["content-type"].startswith("text/html"), page.text
            assert "unreachable" in page.text
            assert page.headers["retry-after"] == "5"

        running.start()
        deadline = time.monotonic() + 60
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(httpx.get(read, headers=headers, timeout=60).status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.5)
        assert statuses[-1] == 200, (statuses, server.output())
        assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200
        assert browser.get(f"{server.url}/ui/overview", timeout=30).status_code == 200
        assert server.process.poll() is None  # the same process throughout
    finally:
        server.stop()
