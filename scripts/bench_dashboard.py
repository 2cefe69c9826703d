#!/usr/bin/env python3
"""The dashboard's overview page against the equivalent JSON endpoint (issue 14).

Target: ``GET /ui/overview?year=Y`` for a whole 1,500-branch province renders in under twice
the time of ``GET /eligibility?year=Y`` (the same branches' eligibility as JSON). Also shown:
the three JSON reads the overview summarises together (eligibility + awards + priority).

Used by ``scripts/bench.py`` (step 5, beside the HTTP load) and on its own:

    python scripts/bench_dashboard.py --db STORE [--year 2025] [--rounds 15]
    python scripts/bench_dashboard.py --branches 1500   # generates and imports a ledger first
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2.0


@dataclass
class Result:
    branches: int
    year: int
    rounds: int
    overview_ms: float
    eligibility_ms: float
    all_json_ms: float
    load: float = 0.0  # 1-minute load average when the measurement started

    @property
    def ratio(self) -> float:
        return self.overview_ms / self.eligibility_ms

    def markdown(self) -> str:
        ok = "met" if self.ratio < TARGET else "NOT met"
        return (
            f"| page or endpoint ({self.branches:,} branches, year {self.year}, median of "
            f"{self.rounds} sequential requests) | ms |\n|---|---:|\n"
            f"| `GET /ui/overview?year={self.year}` (HTML, chart, counts) | "
            f"{self.overview_ms:.0f} |\n"
            f"| `GET /eligibility?year={self.year}` (JSON) | {self.eligibility_ms:.0f} |\n"
            f"| `/eligibility` + `/awards` + `/priority` (JSON, the data the overview sums) | "
            f"{self.all_json_ms:.0f} |\n\n"
            f"Overview / eligibility JSON: **{self.ratio:.2f}x** (target < {TARGET:g}x: {ok}). "
            f"1-minute load average at the start: {self.load:.1f} on {os.cpu_count()} CPUs "
            "(absolute times on a busy machine are high; the ratio is what the target is about)."
        )


HEADING = "## Dashboard"


def section(result: Result) -> str:
    """The ``## Dashboard`` section of docs/performance.md."""
    return (
        f"{HEADING}: the overview page against the JSON it summarises (latest run)\n\n"
        "`scripts/bench_dashboard.py` (also run by `scripts/bench.py` beside the HTTP load): "
        "`fivestar serve` over the store, an auditor signed in, one request at a time.\n\n"
        f"{result.markdown()}\n\n"
        "The overview reads the read models' light columns (eligible stars, exclusion, "
        "awarded stars) instead of decoding every branch's full eligibility object; stale "
        "awards and the priority tier are derived from them as `queries.awards` and "
        "`queries.priority` decide them (a test compares the two on a generated ledger). "
        "With the straightforward version (the three query functions) the page took 4.6x "
        "the eligibility JSON, mostly in `queries.priority` decoding three years of awards.\n"
    )


def write(path: Path, result: Result) -> None:
    """Replace the ``## Dashboard`` section of ``path`` (before the hand-written notes)."""
    text = path.read_text() if path.exists() else "# Performance\n"
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], [p for p in parts[1:] if not p.startswith(HEADING)]
    notes = next((i for i, p in enumerate(sections) if "written by hand" in p), len(sections))
    sections.insert(notes, section(result))
    path.write_text(head + "".join(p.rstrip("\n") + "\n\n" for p in sections).rstrip() + "\n")


def _fivestar(db: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli.main", "--db", db, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"fivestar {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def _median_ms(client: Any, path: str, rounds: int, **kw: Any) -> float:
    client.get(path, **kw).raise_for_status()  # warm-up (and a check)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        answer = client.get(path, **kw)
        times.append(time.perf_counter() - t0)
        answer.raise_for_status()
    return statistics.median(times) * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(db: str, year: int, rounds: int = 15) -> Result:
    """Serve ``db`` and time the overview page and the JSON reads, one request at a time."""
    import httpx

    load = os.getloadavg()[0]
    token = _fivestar(db, "token", "issue", "--role", "auditor").strip().splitlines()[-1]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "FIVESTAR_DB"}
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli.main", "--db", db, "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            result = _timed(f"http://127.0.0.1:{port}", token, year, rounds, server, httpx)
            result.load = load
            return result
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _timed(base: str, token: str, year: int, rounds: int, server: Any, httpx: Any) -> Result:
    deadline = time.monotonic() + 90
    while True:
        if server.poll() is not None:
            raise SystemExit("fivestar serve exited")
        try:
            if httpx.get(f"{base}/health", timeout=2).json().get("lag", 1) == 0:
                break
        except (httpx.HTTPError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit("fivestar serve did not become healthy")
        time.sleep(0.25)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=120) as client:
        form = client.get("/ui/login").text
        nonce = re.search(r'name="nonce" value="([^"]+)"', form)
        assert nonce is not None
        client.post("/ui/login", data={"token": token, "nonce": nonce.group(1)})
        branches = len(client.get("/eligibility", params={"year": year}, headers=auth).json())
        overview = _median_ms(client, f"/ui/overview?year={year}", rounds)
        eligibility = _median_ms(client, f"/eligibility?year={year}", rounds, headers=auth)
        awards = _median_ms(client, f"/awards?year={year}", rounds, headers=auth)
        priority = _median_ms(client, f"/priority?year={year}", rounds, headers=auth)
    return Result(branches, year, rounds, overview, eligibility, eligibility + awards + priority)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--db", help="an existing store (else a generated ledger is imported)")
    p.add_argument("--branches", type=int, default=1500)
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--write", help="markdown file to update (e.g. docs/performance.md)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            ledger = Path(tmp) / "ledger.jsonl"
            with ledger.open("wb") as out:
                subprocess.run(
                    [sys.executable, str(ROOT / "scripts" / "generate_ledger.py"),
                     "--branches", str(args.branches), "--seed", "1"],
                    stdout=out, check=True,
                )  # fmt: skip
            db = str(Path(tmp) / "bench.db")
            _fivestar(db, "import", str(ledger))
        result = measure(db, args.year, args.rounds)
    print(result.markdown())
    if args.write:
        write(Path(args.write), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
