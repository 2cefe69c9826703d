#!/usr/bin/env python3
"""Benchmarks of ``fivestar`` against their floors, side by side on one synthetic ledger.

    .venv/bin/python scripts/bench.py                          # 1,500 branches x 2022-2026
    .venv/bin/python scripts/bench.py --write docs/performance.md
    .venv/bin/python scripts/bench.py --memory-scaling --db-url postgresql://.../bench
    .venv/bin/python scripts/bench.py --province --db-url postgresql://.../bench \
        --write docs/performance.md

One run measures, on the same generated ledger (``scripts/generate_ledger.py``):

1. the floor: (a) read the file, ``json.loads`` every line and insert ``(branch, id, type,
   line)`` into one SQLite table with a primary key ``(branch, id)`` in ONE transaction
   (``executemany``) -- "floor insert"; (b) read every row back and ``json.loads`` it --
   "floor scan". Best of 3, each in a fresh child process (so its peak memory is its own);
2. ``fivestar import`` into an empty SQLite store (returns with the read models caught up);
3. ``fivestar rebuild``;
4. ``fivestar recompute --year Y --rulebook puyang-2024-revision`` (dry run);
5. HTTP: ``GET /branches/{code}/eligibility/{Y}`` (random branches, bearer token) from N
   concurrent keep-alive clients for S seconds, against ``GET /ping`` (no auth, no store) of
   the same ``fivestar serve`` process.

Steps 2-4 are timed as whole ``fivestar`` processes (interpreter start-up included); their
peak memory is the process's own maximum resident set (GNU time's ``%M``, see ``measured()``;
the server's is its ``VmHWM``). ``--db-url`` repeats import and rebuild on PostgreSQL;
``--province`` instead imports and rebuilds a province-scale ledger (default 50,000
branches) into PostgreSQL only. ``--write FILE`` rewrites the section of FILE that the run
produced and keeps every other ``## `` section (hand-written analysis, the other kind of
run).

Without ``fivestar serve`` (or to save time) pass ``--skip-http``: step 5 needs the API's
``serve`` and ``token issue`` commands. Targets (the issue) are the ``T_*`` constants below;
each is printed PASS/FAIL. Other processes' CPU use during each step is reported, so a run
on a shared machine says so.

Standard library plus httpx (HTTP clients) and psycopg (PostgreSQL checks, progress).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_ledger.py"
OTHER_RULEBOOK = "puyang-2024-revision"
BYTES_PER_BRANCH = 20_000  # generated JSON Lines per branch for five years (measured: 19.4 KB)

# Targets (the issue): ratios to the floor, absolute memory, HTTP tail latency.
T_IMPORT = 5.0  # import / floor insert
T_REBUILD = 3.0  # rebuild / floor scan
T_RECOMPUTE = 1.0  # recompute / floor scan
T_IMPORT_MB = 300.0  # import peak RSS
T_SCALING = 2.0  # peak RSS of a 4x ledger / peak RSS of 1x ("flat": well under 4x)
T_HTTP_P99 = 2.0  # eligibility p99 / ping p99


def log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


def die(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


def load1() -> float:
    return os.getloadavg()[0]


def cpu_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores, steal excluded)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def others(busy_before: float, seconds: float, usage: Any) -> float:
    """Cores' worth of CPU that other processes used while a measured child ran."""
    if not seconds or not busy_before:
        return 0.0
    own = usage.ru_utime + usage.ru_stime
    return max(0.0, cpu_busy() - busy_before - own) / seconds


# ------------------------------------------------------------------ the machine
def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        from importlib.metadata import version

        es = version("eventsourcing")
    except Exception:
        es = "?"
    return {
        "commit": git_commit(),
        "cpus": os.cpu_count() or 0,
        "model": model,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": es,
        "kernel": platform.release(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def git_commit() -> str:
    """The commit measured, flagged when the production code differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "domain", "projections", "api"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if dirty else head


# --------------------------------------------------------------------- ledgers
def generate(branches: int, years: str, seed: int, workdir: Path) -> tuple[Path, int]:
    """The generated ledger (reused when the same one is already in the workdir)."""
    path = workdir / f"ledger-{branches}b-{years}-s{seed}.jsonl"
    done = path.with_suffix(".done")
    if not (path.exists() and done.exists()):
        need = branches * BYTES_PER_BRANCH * 1.1
        free = shutil.disk_usage(workdir).free
        if need > free:
            die(f"{path.name} needs about {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free")
        log(f"generating {branches:,} branches x {years} (seed {seed}) -> {path}")
        started = time.perf_counter()
        with path.open("wb") as out:
            subprocess.run(
                [
                    sys.executable,
                    str(GENERATOR),
                    "--branches",
                    str(branches),
                    "--years",
                    years,
                    "--seed",
                    str(seed),
                ],
                stdout=out,
                check=True,
            )
        done.write_text("ok\n")
        log(f"generated in {time.perf_counter() - started:.1f}s")
    lines = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    return path, lines


def branch_codes(ledger: Path) -> list[str]:
    """Codes of the registered branches (the generator writes registrations first)."""
    codes: list[str] = []
    with ledger.open("rb") as f:
        for raw in f:
            if b'"branch.registered"' not in raw:
                if codes:
                    break
                continue
            codes.append(json.loads(raw)["branch"])
    return codes


# ----------------------------------------------------------------------- floor
def floor_worker(ledger: str, db: str) -> None:
    """One floor run in this (child) process; prints its timings as JSON."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(db + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")  # as the library's SQLite datastore does
    con.execute(
        "CREATE TABLE records (branch TEXT, id TEXT, type TEXT, line BLOB, "
        "PRIMARY KEY (branch, id))"
    )
    loads = json.loads

    def rows():
        with open(ledger, "rb") as f:
            for raw in f:
                if raw.strip():
                    obj = loads(raw)
                    yield obj.get("branch", ""), obj.get("id", ""), obj.get("type", ""), raw

    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?)", rows())
    con.execute("COMMIT")
    insert = time.perf_counter() - started
    con.close()

    started = time.perf_counter()
    con = sqlite3.connect(db)
    count = 0
    for (line,) in con.execute("SELECT line FROM records ORDER BY rowid"):
        loads(line)
        count += 1
    con.close()
    scan = time.perf_counter() - started
    print(json.dumps({"insert": insert, "scan": scan, "rows": count}))


def pg_floor(ledger: Path | str, url: str) -> float:
    """The PostgreSQL floor, in seconds: read the file, ``json.loads`` every line and COPY
    ``(branch, id, type, line)`` into one indexed table in one transaction (psycopg
    ``cursor.copy``), as the SQLite floor inserts them. The table is dropped afterwards.
    ``main`` calls it before the PostgreSQL import and logs the ratio (import / pg floor is
    the issue's "PostgreSQL ingest <= 3x the COPY floor"), for the tables to pick up."""
    import psycopg

    loads = json.loads
    with psycopg.connect(url) as con:
        con.execute("DROP TABLE IF EXISTS bench_pg_floor")
        con.execute(
            "CREATE TABLE bench_pg_floor (branch text, id text, type text, line bytea, "
            "PRIMARY KEY (branch, id))"
        )
        con.commit()
        started = time.perf_counter()
        with (
            con.cursor() as cur,
            cur.copy("COPY bench_pg_floor (branch, id, type, line) FROM STDIN") as copy,
            open(ledger, "rb") as f,
        ):
            seen: set[tuple[str, str]] = set()  # COPY has no OR IGNORE: skip repeats here
            for raw in f:
                if raw.strip():
                    obj = loads(raw)
                    key = (obj.get("branch", ""), obj.get("id", ""))
                    if key not in seen:
                        seen.add(key)
                        copy.write_row((*key, obj.get("type", ""), raw))
        con.commit()
        seconds = time.perf_counter() - started
        con.execute("DROP TABLE bench_pg_floor")
        con.commit()
    return seconds


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    items: int = 0  # events (or rows, requests) processed
    unit: str = "events/s"
    rc: int = 0
    load: float = 0.0
    other: float = 0.0  # cores used by other processes meanwhile (see others())
    commit: str = ""  # the code measured (others may commit while the bench runs)
    output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measured(cmd: list[str], rss_file: Path) -> list[str]:
    """``cmd`` wrapped so that its own peak RSS can be read afterwards.

    On Linux a child's ``ru_maxrss`` (``os.wait4``) starts at the RSS its parent had when it
    forked (the high-water mark of the forked address space survives ``exec``), so measuring a
    direct child of this 40-60 MB process would overstate every small one. GNU time, itself a
    2 MB process, forks the command and writes the command's own figure (``%M``, KB)."""
    if GNU_TIME:
        rss_file.unlink(missing_ok=True)
        return [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    return cmd


def peak_mb(usage: Any, rss_file: Path) -> float:
    if GNU_TIME:
        try:
            return int(rss_file.read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
    return usage.ru_maxrss / 1024  # an upper bound (see measured())


def floor(ledger: Path, workdir: Path, runs: int) -> tuple[Step, Step]:
    db = str(workdir / "floor.db")
    inserts, scans, peaks, rows, loads, other = [], [], [], 0, [], 0.0
    for i in range(runs):
        loads.append(load1())
        busy, started = cpu_busy(), time.perf_counter()
        rss_file = workdir / "floor.rss"
        proc = subprocess.Popen(
            measured([sys.executable, __file__, "--floor-worker", str(ledger), db], rss_file),
            stdout=subprocess.PIPE,
            text=True,
        )
        out = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        other = max(other, others(busy, time.perf_counter() - started, usage))
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            die(f"floor run failed (exit {proc.returncode})")
        result = json.loads(out)
        inserts.append(result["insert"])
        scans.append(result["scan"])
        peaks.append(peak_mb(usage, rss_file))
        rows = result["rows"]
        log(f"floor run {i + 1}/{runs}: insert {result['insert']:.2f}s, scan {result['scan']:.2f}s")
    load = max(loads)
    return (
        Step("floor insert", min(inserts), max(peaks), rows, "rows/s", load=load, other=other),
        Step("floor scan", min(scans), max(peaks), rows, "rows/s", load=load, other=other),
    )


# ------------------------------------------------------------ fivestar processes
def fivestar_bin() -> list[str]:
    for candidate in (
        Path(sys.executable).parent / "fivestar",
        ROOT / ".venv" / "bin" / "fivestar",
    ):
        if candidate.exists():
            return [str(candidate)]
    return [sys.executable, "-m", "api.cli.main"]


def run_fivestar(
    name: str,
    db: str,
    args: list[str],
    workdir: Path,
    ok_codes: tuple[int, ...] = (0,),
    progress: Any = None,
    profile: Path | None = None,
) -> Step:
    """One whole ``fivestar`` process: wall time and its own peak RSS."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    out_path, err_path = workdir / f"{slug}.out", workdir / f"{slug}.err"
    rss_file = workdir / f"{slug}.rss"
    if profile is None:
        cmd = [*fivestar_bin(), "--db", db, *args]
    else:
        argv = ["fivestar", "--db", db, *args]
        code = (
            f"import cProfile, sys; sys.argv = {argv!r}; from api.cli.main import main; "
            f"cProfile.run('main()', {str(profile)!r})"
        )
        cmd = [sys.executable, "-c", code]
    load, commit = load1(), git_commit()
    env = {**os.environ, "PYTHONPATH": str(ROOT)} if profile else None
    with out_path.open("w") as out, err_path.open("w") as err:
        busy, started = cpu_busy(), time.perf_counter()
        proc = subprocess.Popen(
            measured(cmd, rss_file), stdout=out, stderr=err, cwd=workdir, env=env
        )
        last_report = started
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02 if progress is None else 1.0)
            if progress is not None and time.perf_counter() - last_report >= 60:
                last_report = time.perf_counter()
                progress(last_report - started)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = out_path.read_text(errors="replace")
    if proc.returncode not in ok_codes:
        tail = err_path.read_text(errors="replace")[-2000:]
        die(f"{name}: {' '.join(cmd)} exited {proc.returncode}\n{output[-2000:]}\n{tail}")
    peak = peak_mb(usage, rss_file)
    other = others(busy, seconds, usage)
    return Step(
        name,
        seconds,
        peak,
        rc=proc.returncode,
        load=load,
        output=output,
        other=other,
        commit=commit,
    )


SUMMARY = re.compile(r"(\d+) applied, (\d+) duplicate, (\d+) refused")


def run_import(name: str, db: str, ledger: Path, workdir: Path, **kw: Any) -> Step:
    step = run_fivestar(name, db, ["import", str(ledger)], workdir, ok_codes=(0, 1), **kw)
    found = SUMMARY.findall(step.output)
    if not found:
        die(f"{name}: no summary line in the output:\n{step.output[-2000:]}")
    applied, duplicates, refused = map(int, found[-1])
    step.items = applied
    step.extra = {"applied": applied, "duplicates": duplicates, "refused": refused}
    if duplicates:
        log(f"warning: {name} found {duplicates} duplicates: the store was not empty")
    return step


def run_rebuild(name: str, db: str, workdir: Path, **kw: Any) -> Step:
    step = run_fivestar(name, db, ["rebuild"], workdir, **kw)
    found = re.findall(r"rebuilt up to position (\d+)", step.output)
    step.items = int(found[-1]) if found else 0
    return step


def run_recompute(name: str, db: str, year: int, workdir: Path, **kw: Any) -> Step:
    args = ["recompute", "--year", str(year), "--rulebook", OTHER_RULEBOOK, "--json"]
    step = run_fivestar(name, db, args, workdir, **kw)
    report = json.loads(step.output.strip().splitlines()[-1])
    step.items = int(report.get("branches_evaluated", 0))
    step.unit = "branches/s"
    step.extra = {"changes": len(report.get("changes", []))}
    return step


def best(steps: list[Step]) -> Step:
    return min(steps, key=lambda s: s.seconds)


def sqlite_paths(db: Path) -> list[Path]:
    views = db.with_name(f"{db.stem}.views{db.suffix}")
    return [Path(str(p) + s) for p in (db, views) for s in ("", "-wal", "-shm", "-journal")]


def fresh_sqlite(db: Path) -> None:
    for p in sqlite_paths(db):
        p.unlink(missing_ok=True)


# ------------------------------------------------------------------------ HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


@dataclass
class Load:
    path: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def hammer(
    base: str,
    label: str,
    paths: Any,
    headers: dict[str, str],
    seconds: float,
    clients: int,
    warmup: float,
    seed: int,
) -> Load:
    """``clients`` threads, one keep-alive ``httpx.Client`` each, for ``seconds``."""
    import httpx

    barrier = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []
    window: dict[str, float] = {}

    def client(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        mine = latencies[i]
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            barrier.wait()
            start, stop = window["start"], window["stop"]
            while True:
                now = time.perf_counter()
                if now >= stop:
                    break
                t0 = time.perf_counter()
                try:
                    response = http.get(paths(rng))
                    ok = response.status_code == 200
                    if not ok and not first_error:
                        first_error.append(f"{response.status_code} {response.text[:300]}")
                except httpx.HTTPError as exc:
                    ok = False
                    if not first_error:
                        first_error.append(repr(exc))
                t1 = time.perf_counter()
                if t0 >= start:
                    if ok:
                        mine.append(t1 - t0)
                    else:
                        errors[i] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    window["start"] = now + warmup
    window["stop"] = now + warmup + seconds
    barrier.wait()
    for t in threads:
        t.join()
    if first_error:
        log(f"first error on {paths(random.Random(0))}: {first_error[0]}")
    values = sorted(v for per in latencies for v in per)
    return Load(
        path=label,
        requests=len(values),
        errors=sum(errors),
        seconds=seconds,
        p50_ms=percentile(values, 0.50) * 1000,
        p99_ms=percentile(values, 0.99) * 1000,
        mean_ms=(statistics.fmean(values) * 1000) if values else float("nan"),
    )


def http_bench(
    db: str, codes: list[str], year: int, workdir: Path, seconds: float, clients: int, seed: int
) -> tuple[Load, Load, float, float]:
    import httpx

    token_step = run_fivestar(
        "token issue", db, ["token", "issue", "--role", "service", "--name", "bench"], workdir
    )
    lines = [line for line in token_step.output.splitlines() if line.strip()]
    if not lines:
        die("fivestar token issue printed no token")
    token = lines[-1].strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (workdir / "serve.log").open("w")
    load = load1()
    server = subprocess.Popen(
        [*fivestar_bin(), "--db", db, "serve", "--port", str(port)],
        stdout=server_log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                die(f"fivestar serve exited {server.returncode}; see {workdir / 'serve.log'}")
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                if health.status_code == 200 and health.json().get("lag", 1) == 0:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                die(f"fivestar serve did not become healthy; see {workdir / 'serve.log'}")
            time.sleep(0.25)
        auth = {"Authorization": f"Bearer {token}"}
        probe = httpx.get(f"{base}/branches/{codes[0]}/eligibility/{year}", headers=auth)
        if probe.status_code != 200:
            die(f"eligibility probe: {probe.status_code} {probe.text[:500]}")
        warmup = min(2.0, seconds / 5)
        log(f"HTTP: {clients} clients x {seconds:g}s on /ping (after {warmup:g}s warm-up)")
        ping = hammer(base, "/ping", lambda rng: "/ping", {}, seconds, clients, warmup, seed)
        log(f"HTTP: {clients} clients x {seconds:g}s on /branches/{{code}}/eligibility/{year}")
        elig = hammer(
            base,
            f"/branches/{{code}}/eligibility/{year}",
            lambda rng: f"/branches/{rng.choice(codes)}/eligibility/{year}",
            auth,
            seconds,
            clients,
            warmup,
            seed,
        )
    finally:
        peak = stop_server(server)
        server_log.close()
    return ping, elig, peak, load


def stop_server(server: subprocess.Popen[Any]) -> float:
    """The server's own peak RSS (VmHWM of its address space, read before it stops), then
    SIGINT (uvicorn's graceful shutdown), SIGKILL after 20 s."""
    peak = float("nan")
    try:
        for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    server.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 20
    while True:
        pid, status, _ = os.wait4(server.pid, os.WNOHANG)
        if pid:
            server.returncode = os.waitstatus_to_exitcode(status)
            return peak
        if time.monotonic() > deadline:
            server.kill()
            deadline = float("inf")
        time.sleep(0.1)


# ------------------------------------------------------------------ PostgreSQL
def pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def pg_prepare(url: str, reset: bool) -> dict[str, str]:
    """Refuse a database that holds tables unless --pg-reset; describe the server."""
    with pg_connect(url) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        if tables and not reset:
            die(
                f"{_safe(url)} is not empty ({len(tables)} tables, e.g. {tables[0]}): give an "
                "empty database, or --pg-reset to drop and recreate its current schema"
            )
        if tables:
            schema = con.execute("SELECT current_schema()").fetchone()[0]
            log(f"--pg-reset: dropping schema {schema} of {_safe(url)}")
            con.execute(f'DROP SCHEMA "{schema}" CASCADE')
            con.execute(f'CREATE SCHEMA "{schema}"')
        info = {}
        for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit"):
            info[name] = con.execute(f"SHOW {name}").fetchone()[0]
        return info


def pg_size(url: str) -> str:
    with pg_connect(url) as con:
        return con.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()[0]


def pg_progress(url: str, what: str) -> Any:
    def report(elapsed: float) -> None:
        try:
            with pg_connect(url) as con:
                q = "SELECT max(notification_id) FROM fivestar_events"
                top = con.execute(q).fetchone()[0] or 0
            log(f"{what}: {elapsed / 60:.1f} min, ledger head at {top:,}")
        except Exception as exc:
            log(f"{what}: {elapsed / 60:.1f} min ({type(exc).__name__})")

    return report


def _safe(url: str) -> str:
    u = urlparse(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url


# --------------------------------------------------------------------- report
def mb(x: float) -> str:
    return f"{x:,.0f} MB"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render_sqlite(
    args: argparse.Namespace,
    info: dict[str, Any],
    lines: int,
    steps: dict[str, Step],
    http: tuple[Load, Load, float, float] | None,
    scaling: Step | None,
    pg: dict[str, Step],
    pg_info: dict[str, str] | None,
    start_load: float,
) -> str:
    fi, fs = steps["floor insert"], steps["floor scan"]
    imp, reb, rec = steps["import"], steps["rebuild"], steps["recompute"]
    rows = [
        ("floor insert (parse + one-transaction insert)", fi, None, None),
        ("floor scan (read back + parse)", fs, None, None),
        (
            "`fivestar import` (read models caught up)",
            imp,
            imp.seconds / fi.seconds,
            "floor insert",
        ),
        ("`fivestar rebuild`", reb, reb.seconds / fs.seconds, "floor scan"),
        (
            f"`fivestar recompute --year {args.year} --rulebook {OTHER_RULEBOOK}`",
            rec,
            rec.seconds / fs.seconds,
            "floor scan",
        ),
    ]
    out = [f"## SQLite, {args.branches:,} branches x {args.years} (latest run)", ""]
    out.append(
        f"`{' '.join(['scripts/bench.py', *args.argv])}` on {info['date']}. Ledger: "
        f"{args.branches:,} branches, years {args.years}, seed {args.seed}: {lines:,} records "
        f"({imp.extra['applied']:,} applied, {imp.extra['refused']} refused by design)."
    )
    out.append("")
    quiet = [*steps.values(), *([scaling] if scaling else [])]
    out.append(machine_md(info, start_load, quiet, [*quiet, *pg.values()]))
    out.append("")
    if "start-up" in steps:
        rows.append(("start-up only: `fivestar --help` (best of 3)", steps["start-up"], None, None))
    out.append("| step | seconds | throughput | peak RSS | ratio | CPU of other processes |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for label, s, ratio, of in rows:
        r = f"{ratio:.2f}x {of}" if ratio is not None else "—"
        rate = f"{s.rate:,.0f} {s.unit}" if s.unit else "—"
        out.append(
            f"| {label} | {s.seconds:.2f} | {rate} | {mb(s.peak_mb)} | {r} | {s.other:.2f} |"
        )
    if scaling is not None:
        out.append(
            f"| `fivestar import`, 4x ledger ({scaling.extra['branches']:,} branches, "
            f"{scaling.items:,} events) | {scaling.seconds:.2f} | {scaling.rate:,.0f} events/s "
            f"| {mb(scaling.peak_mb)} | {scaling.peak_mb / imp.peak_mb:.2f}x the 1x peak RSS "
            f"| {scaling.other:.2f} |"
        )
    for name, s in pg.items():
        base = fi if "import" in name else fs
        out.append(
            f"| PostgreSQL: `fivestar {name}` | {s.seconds:.2f} | {s.rate:,.0f} {s.unit} | "
            f"{mb(s.peak_mb)} | {s.seconds / base.seconds:.2f}x SQLite {base.name} "
            f"| {s.other:.2f} incl. the server |"
        )
    out.append("")
    out.append(
        "Ratio: to the floor (import to floor insert; rebuild and recompute to floor scan). "
        "CPU of other processes: cores' worth of CPU the rest of the machine used while the "
        "step ran (for PostgreSQL rows that includes the database server doing the work)."
    )
    if http is not None:
        ping, elig, server_peak, _ = http
        out.append("")
        out.append(
            f"HTTP, {args.clients} concurrent keep-alive clients (threads, `httpx`) x "
            f"{args.http_seconds:g} s each, one `fivestar serve` worker; server peak RSS "
            f"{mb(server_peak)}:"
        )
        out.append("")
        out.append("| endpoint | requests/s | p50 | p99 | mean | errors |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for label, ld in (
            ("`GET /ping` (trivial: no auth, no store)", ping),
            (f"`GET /branches/{{code}}/eligibility/{args.year}` (bearer token)", elig),
        ):
            out.append(
                f"| {label} | {ld.rps:,.0f} | {ld.p50_ms:.2f} ms | {ld.p99_ms:.2f} ms "
                f"| {ld.mean_ms:.2f} ms | {ld.errors} |"
            )
    out.append("")
    out.append("Targets:")
    out.append("")
    out.append("| target | measured | verdict |")
    out.append("|---|---:|---|")
    for text, measured, ok in targets(steps, http, scaling):
        out.append(f"| {text} | {measured} | {verdict(ok)} |")
    if pg_info:
        out.append("")
        out.append(pg_md(pg_info))
    return "\n".join(out) + "\n"


def targets(
    steps: dict[str, Step], http: tuple[Load, Load, float, float] | None, scaling: Step | None
) -> list[tuple[str, str, bool]]:
    fi, fs = steps["floor insert"], steps["floor scan"]
    imp, reb, rec = steps["import"], steps["rebuild"], steps["recompute"]
    result = [
        (
            f"import within {T_IMPORT:g}x the floor insert",
            f"{imp.seconds / fi.seconds:.2f}x",
            imp.seconds <= T_IMPORT * fi.seconds,
        ),
        (
            f"rebuild within {T_REBUILD:g}x the floor scan",
            f"{reb.seconds / fs.seconds:.2f}x",
            reb.seconds <= T_REBUILD * fs.seconds,
        ),
        (
            f"recompute within {T_RECOMPUTE:g}x the floor scan (whole process)",
            f"{rec.seconds / fs.seconds:.2f}x",
            rec.seconds <= T_RECOMPUTE * fs.seconds,
        ),
        (
            f"import peak memory under {T_IMPORT_MB:g} MB",
            mb(imp.peak_mb),
            imp.peak_mb < T_IMPORT_MB,
        ),
    ]
    if scaling is not None:
        ratio = scaling.peak_mb / imp.peak_mb
        result.append(
            (
                f"import memory flat: 4x ledger under {T_SCALING:g}x the peak RSS "
                f"(and under {T_IMPORT_MB:g} MB)",
                f"{ratio:.2f}x ({mb(scaling.peak_mb)})",
                ratio < T_SCALING and scaling.peak_mb < T_IMPORT_MB,
            )
        )
    if http is not None:
        ping, elig = http[0], http[1]
        result.append(
            (
                f"eligibility p99 within {T_HTTP_P99:g}x the trivial endpoint's",
                f"{elig.p99_ms / ping.p99_ms:.2f}x (p50 {elig.p50_ms / ping.p50_ms:.2f}x)",
                elig.p99_ms <= T_HTTP_P99 * ping.p99_ms and elig.errors == 0,
            )
        )
    return result


def machine_md(
    info: dict[str, Any], start_load: float, steps: list[Step], all_steps: list[Step]
) -> str:
    by_commit: dict[str, list[str]] = {}
    for s in all_steps:
        if s.commit:
            by_commit.setdefault(s.commit, []).append(s.name)
    if len(by_commit) > 1:  # the code changed under the bench: say which step ran which
        code = "**the code changed during the run**: " + "; ".join(
            f"{commit} for {', '.join(names)}" for commit, names in by_commit.items()
        )
    else:
        code = f"code at commit {next(iter(by_commit), info['commit'])}"
    text = (
        f"Machine: {info['cpus']} CPUs ({info['model']}), {info['memory_gb']:.1f} GB RAM, "
        f"Linux {info['kernel']}; Python {info['python']}, SQLite {info['sqlite']}, "
        f"eventsourcing {info['eventsourcing']}; {code}. "
        f"1-minute load average when the run started: {start_load:.2f}."
    )
    steps = [s for s in steps if s.seconds >= 1.0]  # /proc/stat counts in 10 ms ticks
    if steps:
        worst = max(steps, key=lambda s: s.other)
        text += (
            f" Other processes used at most {worst.other:.2f} of the {info['cpus']} cores "
            f"while a measured step of a second or more ran ({worst.name})"
        )
        if worst.other > 0.25:
            text += (
                " — **the machine was shared**: absolute figures are pessimistic where that "
                "column is high; ratios are less affected"
            )
        else:
            text += ": the machine was otherwise quiet"
        text += "."
    return text


def pg_md(pg_info: dict[str, str]) -> str:
    return (
        f"PostgreSQL {pg_info['server_version']} on the same machine, shared_buffers "
        f"{pg_info['shared_buffers']}, fsync={pg_info['fsync']}, synchronous_commit="
        f"{pg_info['synchronous_commit']}"
        + (
            " (a throwaway cluster without durability: production figures will be slower "
            "on commit-heavy steps)."
            if pg_info["fsync"] == "off"
            else "."
        )
    )


def render_province(
    args: argparse.Namespace,
    info: dict[str, Any],
    lines: int,
    steps: list[Step],
    pg_info: dict[str, str],
    size: str,
    start_load: float,
) -> str:
    out = [PROVINCE_HEADING, ""]
    note = ""
    if args.branches < 50_000:
        note = (
            f" **Measured at {args.branches:,} branches, not 50,000**; the 50,000-branch "
            f"figures below are extrapolated linearly from the measured rates (about "
            f"{50_000 / args.branches:.1f}x the records)."
        )
    out.append(
        f"`{' '.join(['scripts/bench.py', *args.argv])}` on {info['date']}. Ledger: "
        f"{args.branches:,} branches, years {args.years}, seed {args.seed}: {lines:,} records."
        + note
    )
    out.append("")
    out.append(machine_md(info, start_load, [], steps))
    out.append("")
    out.append(pg_md(pg_info) + f" Database size after the run: {size}.")
    out.append("")
    out.append("| step | minutes | events/s | peak RSS | CPU of other processes |")
    out.append("|---|---:|---:|---:|---:|")
    for s in steps:
        out.append(
            f"| `fivestar {s.name}` | {s.seconds / 60:.1f} | {s.rate:,.0f} | {mb(s.peak_mb)} "
            f"| {s.other:.2f} incl. the server |"
        )
    if args.branches < 50_000:
        factor = 50_000 / args.branches
        out.append("")
        out.append("Extrapolated to 50,000 branches (linear in records; memory as measured):")
        out.append("")
        out.append("| step | minutes (extrapolated) |")
        out.append("|---|---:|")
        for s in steps:
            out.append(f"| `fivestar {s.name}` | ~{s.seconds * factor / 60:.0f} |")
    return "\n".join(out) + "\n"


PROVINCE_HEADING = "## PostgreSQL at province scale"
TITLE = "# Performance"
INTRO = (
    "Figures written by `scripts/bench.py --write docs/performance.md` (see its docstring for "
    "what each step measures). The bench replaces its own sections; other `## ` sections are "
    "kept. Ratios compare whole `fivestar` processes (interpreter start-up included) with an "
    "in-process floor: parsing every line and inserting it into one indexed SQLite table in "
    "one transaction (floor insert), and reading every row back and parsing it (floor scan)."
)


def write_section(path: Path, heading_prefix: str, section: str) -> None:
    """Replace the ``## `` section whose heading starts with ``heading_prefix``; keep the rest."""
    sections: list[str] = []
    if path.exists():
        text = path.read_text()
        parts = re.split(r"(?m)^(?=## )", text)
        sections = [p.rstrip("\n") + "\n" for p in parts[1:]]
    kept = [s for s in sections if not s.startswith(heading_prefix)]
    generated = [section]
    # the SQLite run first, the province run after it, hand-written sections last
    sqlite = [s for s in kept + generated if s.startswith("## SQLite")]
    province = [s for s in kept + generated if s.startswith(PROVINCE_HEADING)]
    others = [s for s in kept if s not in sqlite and s not in province]
    body = "\n".join([*sqlite, *province, *others])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{TITLE}\n\n{INTRO}\n\n{body}")
    log(f"wrote {path}")


def print_table(steps: dict[str, Step], http: Any, scaling: Step | None, pg: dict) -> None:
    print()
    print(f"{'step':<34} {'seconds':>9} {'throughput':>22} {'peak RSS':>10} {'others':>7}")
    for s in [*steps.values(), *([scaling] if scaling else []), *pg.values()]:
        label = s.name
        rate = f"{s.rate:,.0f} {s.unit}" if s.unit else ""
        print(f"{label:<34} {s.seconds:>9.2f} {rate:>22} {s.peak_mb:>7.0f} MB {s.other:>7.2f}")
    if http is not None:
        ping, elig, peak, _ = http
        print(f"{'fivestar serve':<34} {'':>9} {'':>22} {peak:>7.0f} MB")
        for ld in (ping, elig):
            print(
                f"{ld.path:<34} {ld.rps:>9,.0f} req/s  p50 {ld.p50_ms:6.2f} ms  "
                f"p99 {ld.p99_ms:6.2f} ms  errors {ld.errors}"
            )
    print()
    for text, measured, ok in targets(steps, http, scaling):
        print(f"  {verdict(ok)}  {text}: {measured}")
    print()


# ------------------------------------------------------------------------ main
def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--branches", type=int, help="default 1500 (50000 with --province)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument(
        "--years", default="2022-2026", help="ledger years; the last is the one measured"
    )
    p.add_argument("--workdir", help="where ledgers and stores go (default: a temporary dir)")
    p.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    p.add_argument("--db-url", help="PostgreSQL URL of an EMPTY database: import+rebuild there too")
    p.add_argument("--pg-reset", action="store_true", help="drop and recreate its schema first")
    p.add_argument("--http-seconds", type=float, default=10.0, help="per endpoint (10)")
    p.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (8)")
    p.add_argument("--skip-http", action="store_true", help="skip step 5 (no `fivestar serve`)")
    p.add_argument("--memory-scaling", action="store_true", help="also import a 4x ledger")
    p.add_argument("--floor-runs", type=int, default=3, help="the best is kept (3)")
    p.add_argument("--repeat", type=int, default=1, help="runs of steps 2-4; the best is kept")
    p.add_argument(
        "--profile", action="store_true", help="extra cProfile runs of 2-4: WORKDIR/*.prof"
    )
    p.add_argument("--province", action="store_true", help="province scale on --db-url only")
    p.add_argument("--write", help="markdown file to update (e.g. docs/performance.md)")
    p.add_argument("--floor-worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = argv
    if args.branches is None:
        args.branches = 50_000 if args.province else 1500
    if args.province and not args.db_url:
        p.error("--province needs --db-url")
    try:
        args.year = int(args.years.split("-")[-1])
    except ValueError:
        p.error(f"--years {args.years!r}: give FIRST-LAST, e.g. 2022-2026")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.floor_worker:
        floor_worker(*args.floor_worker)
        return 0
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="fivestar-bench-"))
    log(f"workdir {workdir}")
    try:
        return province(args, workdir) if args.province else sqlite_run(args, workdir)
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def sqlite_run(args: argparse.Namespace, workdir: Path) -> int:
    start_load = load1()
    info = machine()
    pg_info = pg_prepare(args.db_url, args.pg_reset) if args.db_url else None
    ledger, lines = generate(args.branches, args.years, args.seed, workdir)
    log(f"ledger {ledger.name}: {lines:,} lines, {ledger.stat().st_size / 1e6:.0f} MB")
    steps: dict[str, Step] = {}

    fi, fs = floor(ledger, workdir, args.floor_runs)
    steps["floor insert"], steps["floor scan"] = fi, fs

    db = workdir / "bench.db"
    imports, rebuilds, recomputes = [], [], []
    for _ in range(args.repeat):
        fresh_sqlite(db)
        imports.append(run_import("import", str(db), ledger, workdir))
        log(f"import: {imports[-1].seconds:.2f}s, {mb(imports[-1].peak_mb)}")
        rebuilds.append(run_rebuild("rebuild", str(db), workdir))
        log(f"rebuild: {rebuilds[-1].seconds:.2f}s, {mb(rebuilds[-1].peak_mb)}")
        recomputes.append(run_recompute("recompute", str(db), args.year, workdir))
        log(f"recompute: {recomputes[-1].seconds:.2f}s, {mb(recomputes[-1].peak_mb)}")
    startup = best([run_fivestar("start-up", str(db), ["--help"], workdir) for _ in range(3)])
    startup.unit = ""
    steps["start-up"] = startup
    for name, runs in (("import", imports), ("rebuild", rebuilds), ("recompute", recomputes)):
        steps[name] = best(runs)
    if args.profile:  # extra runs under cProfile (slower), never the measured ones
        prof_db = workdir / "profile.db"
        fresh_sqlite(prof_db)
        run_import(
            "import (profiled)", str(prof_db), ledger, workdir, profile=workdir / "import.prof"
        )
        run_rebuild("rebuild (profiled)", str(prof_db), workdir, profile=workdir / "rebuild.prof")
        run_recompute(
            "recompute (profiled)",
            str(prof_db),
            args.year,
            workdir,
            profile=workdir / "recompute.prof",
        )
        fresh_sqlite(prof_db)
        log(f"cProfile output: {workdir}/{{import,rebuild,recompute}}.prof (pstats)")

    http = None
    if not args.skip_http:
        http = http_bench(
            str(db),
            branch_codes(ledger),
            args.year,
            workdir,
            args.http_seconds,
            args.clients,
            args.seed,
        )

    scaling = None
    if args.memory_scaling:
        big, big_lines = generate(args.branches * 4, args.years, args.seed, workdir)
        big_db = workdir / "bench4x.db"
        fresh_sqlite(big_db)
        scaling = run_import("import (4x)", str(big_db), big, workdir)
        scaling.extra["branches"] = args.branches * 4
        scaling.extra["lines"] = big_lines
        log(f"import 4x: {scaling.seconds:.2f}s, {mb(scaling.peak_mb)}")
        fresh_sqlite(big_db)

    pg: dict[str, Step] = {}
    if args.db_url:
        copy_floor = pg_floor(ledger, args.db_url)  # to wire into the tables (issue 15)
        log(f"pg floor (COPY): {copy_floor:.2f}s")
        pg["import"] = run_import("pg import", args.db_url, ledger, workdir)
        log(f"pg import: {pg['import'].seconds:.2f}s, {mb(pg['import'].peak_mb)}")
        log(f"pg import / pg floor: {pg['import'].seconds / copy_floor:.2f}x (target 3x)")
        pg["rebuild"] = run_rebuild("pg rebuild", args.db_url, workdir)
        log(f"pg rebuild: {pg['rebuild'].seconds:.2f}s, {mb(pg['rebuild'].peak_mb)}")

    print_table(steps, http, scaling, pg)
    if args.write:
        section = render_sqlite(args, info, lines, steps, http, scaling, pg, pg_info, start_load)
        write_section(Path(args.write), "## SQLite", section)
    if not args.skip_http:  # the dashboard's overview page against its JSON (issue 14)
        import bench_dashboard

        dash = bench_dashboard.measure(str(db), args.year)
        log(f"dashboard: overview {dash.overview_ms:.0f} ms, {dash.ratio:.2f}x /eligibility")
        if args.write:
            bench_dashboard.write(Path(args.write), dash)
    return 0


def province(args: argparse.Namespace, workdir: Path) -> int:
    start_load = load1()
    info = machine()
    pg_info = pg_prepare(args.db_url, args.pg_reset)
    ledger, lines = generate(args.branches, args.years, args.seed, workdir)
    log(f"ledger {ledger.name}: {lines:,} lines, {ledger.stat().st_size / 1e9:.2f} GB")
    imp = run_import(
        "import",
        args.db_url,
        ledger,
        workdir,
        progress=pg_progress(args.db_url, "import"),
    )
    log(f"import: {imp.seconds / 60:.1f} min, {imp.rate:,.0f} events/s, {mb(imp.peak_mb)}")

    def rebuild_progress(elapsed: float) -> None:
        log(f"rebuild: {elapsed / 60:.1f} min")

    reb = run_rebuild("rebuild", args.db_url, workdir, progress=rebuild_progress)
    log(f"rebuild: {reb.seconds / 60:.1f} min, {reb.rate:,.0f} events/s, {mb(reb.peak_mb)}")
    size = pg_size(args.db_url)
    print()
    for s in (imp, reb):
        print(f"pg {s.name:<10} {s.seconds:>9.1f}s {s.rate:>10,.0f} events/s {s.peak_mb:>7.0f} MB")
    print(f"database size {size}")
    if args.write:
        section = render_province(args, info, lines, [imp, reb], pg_info, size, start_load)
        write_section(Path(args.write), PROVINCE_HEADING, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
