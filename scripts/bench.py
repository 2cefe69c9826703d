#!/usr/bin/env python3
"""Benchmarks of ``fivestar`` against their floors, side by side on year-ordered ledgers.

    .venv/bin/python scripts/bench.py                        # 1,500 and 6,000 branches
    .venv/bin/python scripts/bench.py --sizes 1500 --db-url postgresql://.../bench --pg-reset
    .venv/bin/python scripts/bench.py --sizes 1500,6000,24000 --write docs/performance.md
    .venv/bin/python scripts/bench.py --province --db-url postgresql://.../bench \
        --write docs/performance.md

Every figure of issue 15, each printed with its target and PASS/FAIL. At each size
(``--sizes``, default 1,500 and 6,000 branches; ledgers of ``scripts/generate_ledger.py
--years 2022-2026 --seed 3``, mechanism records included unless ``--no-mechanisms``):

1. the floor: (a) read the file, ``json.loads`` every line and insert ``(branch, id, type,
   line)`` into one SQLite table with a primary key ``(branch, id)`` in ONE transaction
   (``executemany``) -- "floor insert"; (b) read every row back and ``json.loads`` it --
   "floor scan". Best of ``--floor-runs``, each in a fresh child process;
2. ``fivestar import`` into an empty SQLite store (read models caught up), with the count of
   branch states rebuilt from events more than once (the import's ``branch states: N
   loaded, M rebuilt from events again`` line; "not reported" when the import has none);
3. ``fivestar rebuild`` (every read model);

and once, at the first size: ``fivestar recompute`` (dry run), ``fivestar verify`` (as a
ratio to the floor scan, issue 13), start-up, and reads under load: ``--clients`` (16)
concurrent keep-alive clients on ``GET /eligibility?year=&county=`` (a county's whole year),
``GET /compliance?year=&county=`` and ``GET /cases?county=`` against ``GET /ping`` of the
same ``fivestar serve``; then the latency of single-record writes over HTTP (one client).

With ``--db-url`` (an EMPTY PostgreSQL database, or ``--pg-reset``) the first size is also
imported and rebuilt on PostgreSQL, against a PostgreSQL floor: ``pg_floor`` (COPY into an
indexed table in one transaction) and a PostgreSQL floor scan; the reads under load are
repeated there, and the database size per branch is reported. ``--province`` instead
imports and rebuilds a province-scale ledger (default 50,000 branches) into PostgreSQL only
(target: under 4 minutes); it is not part of the default run.

Whole ``fivestar`` processes are timed (interpreter start-up included); peak memory is the
process's own maximum resident set (GNU time's ``%M``, see ``measured()``). ``--workdir DIR``
keeps ledgers and reuses a ledger of the same name there (``l1500.jsonl`` is 1,500 branches,
seed 3, 2022-2026, mechanisms included). ``--write FILE`` rewrites the sections of FILE this
run produced and keeps every other ``## `` section. Other processes' CPU use during each step
is reported: on a shared machine absolute figures are noisy, ratios to a floor taken in the
same run less so.

Standard library plus httpx (HTTP clients) and psycopg (PostgreSQL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
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
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_ledger.py"
OTHER_RULEBOOK = "puyang-2024-revision"
BYTES_PER_BRANCH = 62_000  # JSON Lines per branch for five years, mechanisms on (61.6 KB)

# Targets (issue 15): ratios to a floor taken in the same run, absolute memory, HTTP tails.
T_IMPORT = 3.0  # SQLite import / floor insert, at every size
T_GROWTH = 4.4  # import seconds at 6,000 branches / at 1,500 (4x the records)
T_IMPORT_MB = 300.0  # import peak RSS, at every size
T_RELOADS = 0  # branch states rebuilt from events more than once per import
T_REBUILD = 2.0  # rebuild / floor scan (SQLite and PostgreSQL)
T_RECOMPUTE = 1.0  # recompute / floor scan
T_PG_IMPORT = 3.0  # PostgreSQL import / COPY floor
T_HTTP_P99 = 2.0  # list endpoint p99 / ping p99 at the same concurrency
T_PROVINCE_MIN = 4.0  # province import on PostgreSQL, minutes
# The targets bench.py held when issues 9, 10 and 13 were filed, which their "done when" name
# (ADR 0032); issue 15 tightened them to the ones above.
T_FILED_IMPORT = 5.0  # SQLite import / floor insert (issues 9 and 13)
T_FILED_REBUILD = 3.0  # SQLite rebuild / floor scan (issues 9 and 10)
DEFAULT_SEED = 3  # the issue's ledgers: generate_ledger.py --years 2022-2026 --seed 3


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
def ledger_name(branches: int, years: str, seed: int, mechanisms: bool) -> str:
    """``l1500.jsonl`` for the issue's ledger (seed 3, 2022-2026, everything on), a longer
    name for any other, so a shared workdir's ledgers are reused only when they are the same."""
    if seed == DEFAULT_SEED and years == "2022-2026" and mechanisms:
        return f"l{branches}.jsonl"
    return f"l{branches}-{years}-s{seed}{'' if mechanisms else '-nomech'}.jsonl"


def complete(path: Path) -> bool:
    """A ledger already there and whole (its ``.done`` marker, or a last line that ends)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    if path.with_suffix(".done").exists():
        return True
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def generate(
    branches: int, years: str, seed: int, workdir: Path, mechanisms: bool = True
) -> tuple[Path, int]:
    """The generated ledger (reused when the same one is already in the workdir)."""
    path = workdir / ledger_name(branches, years, seed, mechanisms)
    if not complete(path):
        need = branches * BYTES_PER_BRANCH * 1.1
        free = shutil.disk_usage(workdir).free
        if need > free:
            die(f"{path.name} needs about {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free")
        log(f"generating {branches:,} branches x {years} (seed {seed}) -> {path}")
        started = time.perf_counter()
        flags = [] if mechanisms else ["--no-mechanisms"]
        cmd = [sys.executable, str(GENERATOR), "--branches", str(branches), "--years", years]
        with path.open("wb") as out:
            subprocess.run([*cmd, "--seed", str(seed), *flags], stdout=out, check=True)
        path.with_suffix(".done").write_text("ok\n")
        log(f"generated in {time.perf_counter() - started:.1f}s")
    lines = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
    return path, lines


def registrations(ledger: Path) -> dict[str, str]:
    """County of each registered branch (the generator writes registrations first)."""
    found: dict[str, str] = {}
    with ledger.open("rb") as f:
        for raw in f:
            if b'"branch.registered"' not in raw:
                if found:
                    break
                continue
            obj = json.loads(raw)
            found[obj["branch"]] = obj["county"]
    return found


def branch_codes(ledger: Path) -> list[str]:
    """Codes of the registered branches."""
    return list(registrations(ledger))


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
RELOADS = re.compile(r"branch states: (\d+) loaded, (\d+) rebuilt from events again")


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
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    text = step.output + (workdir / f"{slug}.err").read_text(errors="replace")
    reloads = RELOADS.findall(text)
    if reloads:
        step.extra["loaded"], step.extra["reloads"] = map(int, reloads[-1])
    return step


def run_verify(name: str, db: str, workdir: Path, **kw: Any) -> Step:
    """``fivestar verify`` (issue 13): re-reads every event and recomputes leaves and root."""
    step = run_fivestar(name, db, ["verify"], workdir, **kw)
    step.unit = ""
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

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []
    window: dict[str, float] = {}

    def open_window() -> None:
        """Once every client is ready (making 16 clients takes a while on a busy machine)."""
        now = time.perf_counter()
        window["start"] = now + warmup
        window["stop"] = now + warmup + seconds

    barrier = threading.Barrier(clients + 1, action=open_window)

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
                    # the body's bytes as sent (gzip for the lists): decompressing them is the
                    # client's CPU, which on this machine would compete with the server's
                    with http.stream("GET", paths(rng)) as response:
                        for _ in response.iter_raw():
                            pass
                    ok = response.status_code == 200
                    if not ok and not first_error:
                        first_error.append(f"{response.status_code} {response.url}")
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


LISTS = (  # the list endpoints of issue 15, "a county's whole year"
    ("GET /eligibility?year=&county=", "/eligibility?year={year}&county={county}"),
    ("GET /compliance?year=&county=", "/compliance?year={year}&county={county}"),
    ("GET /cases?county=", "/cases?county={county}"),
)


@dataclass
class Reads:
    """Reads under load on one store: ``/ping`` first, then each list endpoint."""

    store: str
    loads: list[Load]
    server_peak_mb: float
    writes: Load | None = None

    @property
    def ping(self) -> Load:
        return self.loads[0]


def start_server(db: str, workdir: Path, tag: str) -> tuple[subprocess.Popen[Any], str, Any]:
    """``fivestar serve`` on a free port, once its read models have caught up."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (workdir / f"serve-{tag}.log").open("w")
    server = subprocess.Popen(
        [*fivestar_bin(), "--db", db, "serve", "--port", str(port)],
        stdout=server_log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            die(f"fivestar serve exited {server.returncode}; see {server_log.name}")
        try:
            health = httpx.get(f"{base}/health", timeout=2)
            if health.status_code == 200 and health.json().get("lag", 1) == 0:
                return server, base, server_log
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            die(f"fivestar serve did not become healthy; see {server_log.name}")
        time.sleep(0.25)


def issue_token(db: str, workdir: Path, *scope: str) -> str:
    """A reading ``service`` token, or the token of ``scope`` (e.g. a county's writer)."""
    role = list(scope) or ["--role", "service"]
    name = f"bench-{role[1]}-{time.time_ns()}"  # names are never reused
    step = run_fivestar("token issue", db, ["token", "issue", *role, "--name", name], workdir)
    lines = [line for line in step.output.splitlines() if line.strip()]
    if not lines:
        die("fivestar token issue printed no token")
    return lines[-1].strip()


def http_bench(
    store: str,
    db: str,
    ledger: Path,
    year: int,
    workdir: Path,
    args: argparse.Namespace,
) -> Reads:
    """Reads under load (``args.clients`` threads per endpoint), then single-record writes."""
    import httpx

    counties = sorted(set(registrations(ledger).values()))
    token = issue_token(db, workdir)
    auth = {"Authorization": f"Bearer {token}"}
    server, base, server_log = start_server(db, workdir, store.lower())
    seconds, clients = args.http_seconds, args.clients
    try:
        started = time.perf_counter()
        for _, template in LISTS:  # every list answers once before it is measured
            for county in counties:
                url = base + template.format(year=year, county=quote(county))
                probe = httpx.get(url, headers=auth, timeout=120)
                if probe.status_code != 200:
                    die(f"{template}: {probe.status_code} {probe.text[:500]}")
        log(
            f"HTTP {store}: first answers of {len(counties)} counties x {len(LISTS)} lists "
            f"in {time.perf_counter() - started:.1f}s"
        )
        warmup = min(2.0, seconds / 5)
        log(f"HTTP {store}: {clients} clients x {seconds:g}s on /ping (after {warmup:g}s warm-up)")
        loads = [hammer(base, "GET /ping", lambda rng: "/ping", {}, seconds, clients, warmup, 0)]
        for label, template in LISTS:
            log(f"HTTP {store}: {clients} clients x {seconds:g}s on {label}")

            def path(rng: random.Random, template: str = template) -> str:
                return template.format(year=year, county=quote(rng.choice(counties)))

            loads.append(hammer(base, label, path, auth, seconds, clients, warmup, args.seed))
        county = counties[0]  # a county's recorder: may write its branches' meetings
        writer = issue_token(db, workdir, "--role", "county", "--county", county)
        branches = {c for c, where in registrations(ledger).items() if where == county}
        writes = write_latency(
            base, {"Authorization": f"Bearer {writer}"}, ledger, year, args.writes, store, branches
        )
    finally:
        peak = stop_server(server)
        server_log.close()
    return Reads(store, loads, peak, writes)


def write_latency(
    base: str,
    auth: dict[str, str],
    ledger: Path,
    year: int,
    count: int,
    tag: str,
    branches: set[str],
) -> Load | None:
    """``count`` single records POSTed one after another (one client): each is decided,
    stored with its leaf and answered; the projector catches up behind it. The records are
    the ledger's own meetings of ``year`` under new ids (applied: they are new records)."""
    import httpx

    if count <= 0:
        return None
    templates = []
    with ledger.open("rb") as f:
        for raw in f:
            if b'"meeting.held"' in raw and f'"on": "{year}-'.encode() in raw:
                record = json.loads(raw)
                if record["branch"] in branches:
                    templates.append(record)
                if len(templates) >= count:
                    break
    latencies, errors, first = [], 0, ""
    stamp = int(time.time())
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        for i, record in enumerate(templates):
            record = {**record, "id": f"bench-{tag.lower()}-{stamp}-{i}"}
            t0 = time.perf_counter()
            response = http.post("/records", json=record)
            t1 = time.perf_counter()
            if response.status_code in (200, 201):
                latencies.append(t1 - t0)
            else:
                errors += 1
                first = first or f"{response.status_code} {response.text[:300]}"
    if first:
        log(f"writes: first error {first}")
    values = sorted(latencies)
    return Load(
        path="POST /records (one record, one client)",
        requests=len(values),
        errors=errors,
        seconds=sum(values),
        p50_ms=percentile(values, 0.50) * 1000,
        p99_ms=percentile(values, 0.99) * 1000,
        mean_ms=(statistics.fmean(values) * 1000) if values else float("nan"),
    )


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


PG_FLOOR_TABLE = "bench_floor"


def pg_floor(ledger: Path, url: str) -> float:
    """Seconds to COPY ``(branch, id, type, line)`` of every line into an indexed table in
    ONE transaction, ``json.loads`` per line (psycopg ``cursor.copy``): the PostgreSQL floor
    the import is held to. Leaves the table for ``pg_floor_scan``; ``pg_floor_drop`` ends it."""
    import psycopg

    loads = json.loads
    with psycopg.connect(url) as con:
        con.execute(f"DROP TABLE IF EXISTS {PG_FLOOR_TABLE}")
        con.execute(
            f"CREATE TABLE {PG_FLOOR_TABLE} (seq bigserial, branch text, id text, type text, "
            "line text, PRIMARY KEY (branch, id))"
        )
        con.commit()
        started = time.perf_counter()
        with con.cursor() as cur:
            sql = f"COPY {PG_FLOOR_TABLE} (branch, id, type, line) FROM STDIN"
            with cur.copy(sql) as copy, ledger.open("rb") as f:
                for raw in f:
                    if raw.strip():
                        obj = loads(raw)
                        line = raw.decode().rstrip("\n")
                        copy.write_row((obj.get("branch"), obj.get("id"), obj.get("type"), line))
        con.commit()
        return time.perf_counter() - started


def pg_floor_scan(url: str) -> float:
    """Seconds to read every row of the floor table back in order and ``json.loads`` it."""
    import psycopg

    loads = json.loads
    with psycopg.connect(url) as con:
        started = time.perf_counter()
        with con.cursor(name="bench_floor_scan") as cur:  # server-side: streamed
            cur.itersize = 5000
            cur.execute(f"SELECT line FROM {PG_FLOOR_TABLE} ORDER BY seq")
            for (line,) in cur:
                loads(line)
        return time.perf_counter() - started


def pg_floor_drop(url: str) -> None:
    with pg_connect(url) as con:
        con.execute(f"DROP TABLE IF EXISTS {PG_FLOOR_TABLE}")


def pg_bytes(url: str) -> int:
    with pg_connect(url) as con:
        return con.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def _safe(url: str) -> str:
    u = urlparse(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url


# --------------------------------------------------------------------- report
def mb(x: float) -> str:
    return f"{x:,.0f} MB"


@dataclass
class SizeRun:
    """The SQLite steps at one ledger size."""

    branches: int
    lines: int
    ledger_bytes: int
    years: int
    floor_insert: Step
    floor_scan: Step
    imp: Step
    reb: Step


@dataclass
class PgRun:
    """The PostgreSQL steps (first size) against the PostgreSQL floor."""

    branches: int
    floor_copy: float
    floor_scan: float
    imp: Step
    reb: Step
    db_bytes: int


@dataclass
class Run:
    sizes: list[SizeRun]
    extras: dict[str, Step]  # recompute, verify, start-up (first size)
    reads: list[Reads]
    pg: PgRun | None
    year: int


Target = tuple[str, str, bool | None]  # what, measured, PASS/FAIL (None: reported only)


def reload_target(s: SizeRun) -> Target:
    what = f"{s.branches:,} branches: branch states rebuilt from events again = {T_RELOADS}"
    if "reloads" not in s.imp.extra:
        return what, "not reported", False
    found = s.imp.extra["reloads"]
    return what, f"{found:,} ({s.imp.extra['loaded']:,} loaded)", found <= T_RELOADS


def size_targets(s: SizeRun) -> list[Target]:
    n = f"{s.branches:,} branches"
    ri = s.imp.seconds / s.floor_insert.seconds
    rr = s.reb.seconds / s.floor_scan.seconds
    return [
        (f"{n}: SQLite import ≤ {T_IMPORT:g}x floor insert", f"{ri:.2f}x", ri <= T_IMPORT),
        (
            f"{n}: import peak RSS ≤ {T_IMPORT_MB:g} MB",
            mb(s.imp.peak_mb),
            s.imp.peak_mb <= T_IMPORT_MB,
        ),
        reload_target(s),
        (f"{n}: SQLite rebuild ≤ {T_REBUILD:g}x floor scan", f"{rr:.2f}x", rr <= T_REBUILD),
    ]


def filed_targets(s: SizeRun) -> list[Target]:
    """The import and rebuild targets as they stood when issues 9, 10 and 13 were filed."""
    n = f"{s.branches:,} branches"
    ri = s.imp.seconds / s.floor_insert.seconds
    rr = s.reb.seconds / s.floor_scan.seconds
    return [
        (
            f"{n}: SQLite import ≤ {T_FILED_IMPORT:g}x floor insert (as filed: issues 9, 13)",
            f"{ri:.2f}x",
            ri <= T_FILED_IMPORT,
        ),
        (
            f"{n}: SQLite rebuild ≤ {T_FILED_REBUILD:g}x floor scan (as filed: issues 9, 10)",
            f"{rr:.2f}x",
            rr <= T_FILED_REBUILD,
        ),
    ]


def growth_targets(sizes: list[SizeRun]) -> list[Target]:
    """Each size against the previous one: 4x the branches within 4.4x the seconds (1.1x
    the branch ratio in general)."""
    out: list[tuple[str, str, bool | None]] = []
    for small, big in itertools.pairwise(sizes):
        factor = big.branches / small.branches
        limit = T_GROWTH * factor / 4
        ratio = big.imp.seconds / small.imp.seconds
        out.append(
            (
                f"import {big.branches:,} / {small.branches:,} branches ≤ {limit:.2f}x "
                f"(records {big.lines / small.lines:.2f}x)",
                f"{ratio:.2f}x",
                ratio <= limit,
            )
        )
    return out


def targets(run: Run) -> list[Target]:
    result: list[Target] = []
    for s in run.sizes:
        result += size_targets(s)
    result += growth_targets(run.sizes)
    for s in run.sizes:
        result += filed_targets(s)
    first = run.sizes[0]
    fs = first.floor_scan.seconds
    if "recompute" in run.extras:
        r = run.extras["recompute"].seconds / fs
        result.append((f"recompute ≤ {T_RECOMPUTE:g}x floor scan", f"{r:.2f}x", r <= T_RECOMPUTE))
    if "verify" in run.extras:
        r = run.extras["verify"].seconds / fs
        result.append(("`fivestar verify` / floor scan (issue 13: near a scan)", f"{r:.2f}x", None))
    if run.pg is not None:
        pg = run.pg
        ri, rr = pg.imp.seconds / pg.floor_copy, pg.reb.seconds / pg.floor_scan
        n = f"{pg.branches:,} branches"
        result += [
            (
                f"{n}: PostgreSQL import ≤ {T_PG_IMPORT:g}x COPY floor",
                f"{ri:.2f}x",
                ri <= T_PG_IMPORT,
            ),
            (
                f"{n}: PostgreSQL import peak RSS ≤ {T_IMPORT_MB:g} MB",
                mb(pg.imp.peak_mb),
                pg.imp.peak_mb <= T_IMPORT_MB,
            ),
            (
                f"{n}: PostgreSQL rebuild ≤ {T_REBUILD:g}x PostgreSQL floor scan",
                f"{rr:.2f}x",
                rr <= T_REBUILD,
            ),
        ]
    for reads in run.reads:
        ping = reads.ping
        for ld in reads.loads[1:]:
            ratio = ld.p99_ms / ping.p99_ms
            result.append(
                (
                    f"{reads.store}: {ld.path} p99 ≤ {T_HTTP_P99:g}x /ping p99",
                    f"{ratio:.2f}x ({ld.p99_ms:.0f} / {ping.p99_ms:.0f} ms)",
                    ratio <= T_HTTP_P99 and ld.errors == 0 and ld.requests > 0,
                )
            )
    return result


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "FAIL")


def per_branch(run: Run) -> list[tuple[str, str]]:
    """Per-branch costs (docs/deployment.md scales them to a national ledger)."""
    s = run.sizes[-1]
    out = [
        (
            "events per branch per year",
            f"{s.imp.items / s.branches / s.years:.1f} ({s.branches:,} branches)",
        ),
        ("ledger bytes per branch (5 years, JSON Lines)", f"{s.ledger_bytes / s.branches:,.0f}"),
    ]
    for s in run.sizes:
        out.append(
            (
                f"SQLite import / rebuild ms per branch ({s.branches:,})",
                f"{s.imp.seconds / s.branches * 1000:.2f} / "
                f"{s.reb.seconds / s.branches * 1000:.2f}",
            )
        )
    if run.pg is not None:
        pg = run.pg
        out += [
            (
                f"PostgreSQL import / rebuild ms per branch ({pg.branches:,})",
                f"{pg.imp.seconds / pg.branches * 1000:.2f} / "
                f"{pg.reb.seconds / pg.branches * 1000:.2f}",
            ),
            ("PostgreSQL database bytes per branch", f"{pg.db_bytes / pg.branches:,.0f}"),
        ]
    for reads in run.reads:
        if reads.writes is not None and reads.writes.requests:
            w = reads.writes
            out.append(
                (
                    f"{reads.store}: write latency per record over HTTP (p50 / p99)",
                    f"{w.p50_ms:.1f} / {w.p99_ms:.1f} ms ({w.requests} records)",
                )
            )
    return out


def step_rows(run: Run) -> list[tuple[str, Step | None, float, str, str]]:
    """(label, step, seconds, ratio, peak) rows of the main table."""
    rows: list[tuple[str, Step | None, float, str, str]] = []
    for s in run.sizes:
        n = f"{s.branches:,} b"
        fi, fs = s.floor_insert, s.floor_scan
        rows += [
            (f"{n}: floor insert (parse + indexed insert)", fi, fi.seconds, "—", mb(fi.peak_mb)),
            (f"{n}: floor scan (read back + parse)", fs, fs.seconds, "—", mb(fs.peak_mb)),
            (
                f"{n}: `fivestar import`",
                s.imp,
                s.imp.seconds,
                f"{s.imp.seconds / fi.seconds:.2f}x floor insert",
                mb(s.imp.peak_mb),
            ),
            (
                f"{n}: `fivestar rebuild`",
                s.reb,
                s.reb.seconds,
                f"{s.reb.seconds / fs.seconds:.2f}x floor scan",
                mb(s.reb.peak_mb),
            ),
        ]
    fs0 = run.sizes[0].floor_scan.seconds
    n0 = f"{run.sizes[0].branches:,} b"
    for name, label in (
        ("recompute", f"`fivestar recompute --year {run.year} --rulebook {OTHER_RULEBOOK}`"),
        ("verify", "`fivestar verify`"),
        ("start-up", "start-up only: `fivestar --help` (best of 3)"),
    ):
        if name in run.extras:
            st = run.extras[name]
            ratio = "—" if name == "start-up" else f"{st.seconds / fs0:.2f}x floor scan"
            rows.append((f"{n0}: {label}", st, st.seconds, ratio, mb(st.peak_mb)))
    if run.pg is not None:
        pg = run.pg
        n = f"{pg.branches:,} b"
        rows += [
            (f"{n}: PostgreSQL floor: COPY, one transaction", None, pg.floor_copy, "—", "—"),
            (f"{n}: PostgreSQL floor scan", None, pg.floor_scan, "—", "—"),
            (
                f"{n}: PostgreSQL `fivestar import`",
                pg.imp,
                pg.imp.seconds,
                f"{pg.imp.seconds / pg.floor_copy:.2f}x COPY floor",
                mb(pg.imp.peak_mb),
            ),
            (
                f"{n}: PostgreSQL `fivestar rebuild`",
                pg.reb,
                pg.reb.seconds,
                f"{pg.reb.seconds / pg.floor_scan:.2f}x PG floor scan",
                mb(pg.reb.peak_mb),
            ),
        ]
    return rows


def render_run(
    args: argparse.Namespace,
    info: dict[str, Any],
    run: Run,
    pg_info: dict[str, str] | None,
    start_load: float,
) -> str:
    sizes = ", ".join(f"{s.branches:,} branches ({s.lines:,} records)" for s in run.sizes)
    out = [f"## {SECTION_HEADING} (latest run)", ""]
    out.append(
        f"`{' '.join(['scripts/bench.py', *args.argv])}` on {info['date']}. Ledgers "
        f"(`generate_ledger.py --years {args.years} --seed {args.seed}`"
        f"{' --no-mechanisms' if args.no_mechanisms else ', mechanism records included'}, "
        f"year by year): {sizes}."
    )
    out.append("")
    steps = [st for _, st, *_ in step_rows(run) if st is not None]
    out.append(machine_md(info, start_load, steps, steps))
    out.append("")
    out.append("| step | seconds | ratio | peak RSS | CPU of other processes |")
    out.append("|---|---:|---:|---:|---:|")
    for label, st, seconds, ratio, peak in step_rows(run):
        other = f"{st.other:.2f}" if st is not None else "—"
        out.append(f"| {label} | {seconds:.2f} | {ratio} | {peak} | {other} |")
    for reads in run.reads:
        out.append("")
        out.append(
            f"Reads under load, {reads.store}: {args.clients} concurrent keep-alive clients "
            f"(threads, `httpx`) x {args.http_seconds:g} s per endpoint, one `fivestar serve` "
            f"worker, a random county each request, year {run.year}; server peak RSS "
            f"{mb(reads.server_peak_mb)}:"
        )
        out.append("")
        out.append("| endpoint | requests/s | p50 | p99 | p99 / ping p99 | errors |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for ld in [*reads.loads, *([reads.writes] if reads.writes else [])]:
            ratio = f"{ld.p99_ms / reads.ping.p99_ms:.2f}x" if ld is not reads.ping else "—"
            if ld is reads.writes:
                ratio = "—"
            out.append(
                f"| `{ld.path}` | {ld.rps:,.0f} | {ld.p50_ms:.2f} ms | {ld.p99_ms:.2f} ms "
                f"| {ratio} | {ld.errors} |"
            )
    out.append("")
    out.append('Per-branch costs (the inputs of deployment.md\'s "Where one machine ends"):')
    out.append("")
    out.append("| cost | measured |")
    out.append("|---|---:|")
    for what, value in per_branch(run):
        out.append(f"| {what} | {value} |")
    out.append("")
    out.append("Targets (issue 15):")
    out.append("")
    out.append("| target | measured | verdict |")
    out.append("|---|---:|---|")
    for text, measured, ok in targets(run):
        out.append(f"| {text} | {measured} | {verdict(ok)} |")
    if pg_info:
        out.append("")
        out.append(pg_md(pg_info))
    return "\n".join(out) + "\n"


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
    out.append("")
    out.append("Target: " + province_target(args, steps[0])[1].replace("  ", " ", 1) + ".")
    return "\n".join(out) + "\n"


PROVINCE_HEADING = "## PostgreSQL at province scale"
SECTION_HEADING = "SQLite and PostgreSQL, year-ordered ledgers, issue 15 targets"
TITLE = "# Performance"
INTRO = (
    "Figures written by `scripts/bench.py --write docs/performance.md` (see its docstring for "
    "what each step measures; issue 15 lists the targets). The bench replaces its own sections; "
    "other `## ` sections are kept. Ratios compare whole `fivestar` processes (interpreter "
    "start-up included) with floors taken in the same run: parsing every line and inserting it "
    "into one indexed SQLite table in one transaction (floor insert), reading every row back "
    "and parsing it (floor scan), and on PostgreSQL a `COPY` of the same rows into an indexed "
    "table in one transaction and a scan of it. Absolute seconds depend on what else the "
    'machine runs (the column "CPU of other processes" says); compare ratios.'
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


def print_run(run: Run) -> None:
    print()
    print(f"{'step':<58} {'seconds':>9} {'ratio':>24} {'peak RSS':>10}")
    for label, _, seconds, ratio, peak in step_rows(run):
        print(f"{label.replace('`', ''):<58} {seconds:>9.2f} {ratio:>24} {peak:>10}")
    for reads in run.reads:
        print()
        print(f"reads under load, {reads.store} (server peak {mb(reads.server_peak_mb)})")
        for ld in [*reads.loads, *([reads.writes] if reads.writes else [])]:
            print(
                f"  {ld.path:<40} {ld.rps:>7,.0f} req/s  p50 {ld.p50_ms:7.2f} ms  "
                f"p99 {ld.p99_ms:7.2f} ms  errors {ld.errors}"
            )
    print()
    print("per-branch costs")
    for what, value in per_branch(run):
        print(f"  {what:<62} {value}")
    print()
    print("targets (issue 15)")
    for text, measured, ok in targets(run):
        print(f"  {verdict(ok):<4}  {text.replace('`', '')}: {measured}")
    print()


# ------------------------------------------------------------------------ main
def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected e.g. 1500,6000: {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive branch counts: {text!r}")
    return sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1500, 6000],
        help="ledger sizes in branches (default 1500,6000; e.g. 1500,6000,24000)",
    )
    p.add_argument("--branches", type=int, help="--province only: default 50000")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed (default 3)")
    p.add_argument(
        "--years", default="2022-2026", help="ledger years; the last is the one measured"
    )
    p.add_argument(
        "--no-mechanisms", action="store_true", help="ledgers without the mechanism records"
    )
    p.add_argument("--workdir", help="where ledgers and stores go (ledgers there are reused)")
    p.add_argument("--keep", action="store_true", help="keep the temporary workdir")
    p.add_argument("--db-url", help="PostgreSQL URL of an EMPTY database: the PostgreSQL steps")
    p.add_argument("--pg-reset", action="store_true", help="drop and recreate its schema first")
    p.add_argument("--http-seconds", type=float, default=10.0, help="per endpoint (10)")
    p.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (16)")
    p.add_argument("--writes", type=int, default=200, help="single-record writes timed (200)")
    p.add_argument("--skip-http", action="store_true", help="skip the HTTP steps")
    p.add_argument("--floor-runs", type=int, default=3, help="the best is kept (3)")
    p.add_argument("--repeat", type=int, default=1, help="runs of import/rebuild; the best kept")
    p.add_argument(
        "--profile", action="store_true", help="extra cProfile runs at the first size: *.prof"
    )
    p.add_argument("--province", action="store_true", help="province scale on --db-url only")
    p.add_argument("--write", help="markdown file to update (e.g. docs/performance.md)")
    p.add_argument("--floor-worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = argv
    if args.branches is None:
        args.branches = 50_000
    if args.province and not args.db_url:
        p.error("--province needs --db-url")
    try:
        first, last = (int(x) for x in (args.years.split("-") * 2)[:2])
        args.year, args.year_count = last, last - first + 1
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
        return province(args, workdir) if args.province else default_run(args, workdir)
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def measure_size(args: argparse.Namespace, workdir: Path, branches: int) -> tuple[SizeRun, Path]:
    """Floor, import and rebuild on SQLite at one size; the store is left for what follows."""
    ledger, lines = generate(branches, args.years, args.seed, workdir, not args.no_mechanisms)
    log(f"ledger {ledger.name}: {lines:,} lines, {ledger.stat().st_size / 1e6:.0f} MB")
    fi, fs = floor(ledger, workdir, args.floor_runs)
    db = workdir / f"bench-{branches}.db"
    imports, rebuilds = [], []
    for _ in range(args.repeat):
        fresh_sqlite(db)
        imports.append(run_import(f"import {branches}", str(db), ledger, workdir))
        imp = imports[-1]
        log(
            f"import {branches}: {imp.seconds:.2f}s ({imp.seconds / fi.seconds:.2f}x), "
            f"{mb(imp.peak_mb)}, reloads {imp.extra.get('reloads', 'not reported')}"
        )
        rebuilds.append(run_rebuild(f"rebuild {branches}", str(db), workdir))
        reb = rebuilds[-1]
        log(f"rebuild {branches}: {reb.seconds:.2f}s ({reb.seconds / fs.seconds:.2f}x)")
    run = SizeRun(
        branches,
        lines,
        ledger.stat().st_size,
        args.year_count,
        fi,
        fs,
        best(imports),
        best(rebuilds),
    )
    return run, ledger


def first_size_extras(args: argparse.Namespace, workdir: Path, db: Path, ledger: Path) -> dict:
    extras: dict[str, Step] = {}
    extras["recompute"] = run_recompute("recompute", str(db), args.year, workdir)
    extras["verify"] = run_verify("verify", str(db), workdir)
    log(f"recompute {extras['recompute'].seconds:.2f}s, verify {extras['verify'].seconds:.2f}s")
    startup = best([run_fivestar("start-up", str(db), ["--help"], workdir) for _ in range(3)])
    startup.unit = ""
    extras["start-up"] = startup
    if args.profile:  # extra runs under cProfile (slower), never the measured ones
        prof_db = workdir / "profile.db"
        fresh_sqlite(prof_db)
        run_import(
            "import (profiled)", str(prof_db), ledger, workdir, profile=workdir / "import.prof"
        )
        run_rebuild("rebuild (profiled)", str(prof_db), workdir, profile=workdir / "rebuild.prof")
        fresh_sqlite(prof_db)
        log(f"cProfile output: {workdir}/{{import,rebuild}}.prof (pstats)")
    return extras


def measure_pg(args: argparse.Namespace, workdir: Path, ledger: Path, branches: int) -> PgRun:
    """The PostgreSQL floor (COPY, then a scan of it), then import and rebuild."""
    copies, scans = [], []
    for i in range(max(1, args.floor_runs)):
        copies.append(pg_floor(ledger, args.db_url))
        scans.append(pg_floor_scan(args.db_url))
        log(f"pg floor run {i + 1}: COPY {copies[-1]:.2f}s, scan {scans[-1]:.2f}s")
    pg_floor_drop(args.db_url)
    imp = run_import("pg import", args.db_url, ledger, workdir)
    log(f"pg import: {imp.seconds:.2f}s ({imp.seconds / min(copies):.2f}x), {mb(imp.peak_mb)}")
    reb = run_rebuild("pg rebuild", args.db_url, workdir)
    log(f"pg rebuild: {reb.seconds:.2f}s ({reb.seconds / min(scans):.2f}x)")
    return PgRun(branches, min(copies), min(scans), imp, reb, pg_bytes(args.db_url))


def default_run(args: argparse.Namespace, workdir: Path) -> int:
    start_load = load1()
    info = machine()
    pg_info = pg_prepare(args.db_url, args.pg_reset) if args.db_url else None
    sizes: list[SizeRun] = []
    first_ledger = first_db = None
    extras: dict[str, Step] = {}
    reads: list[Reads] = []
    for branches in args.sizes:
        size, ledger = measure_size(args, workdir, branches)
        sizes.append(size)
        db = workdir / f"bench-{branches}.db"
        if first_ledger is None:
            first_ledger, first_db = ledger, db
            extras = first_size_extras(args, workdir, db, ledger)
            if not args.skip_http:
                reads.append(http_bench("SQLite", str(db), ledger, args.year, workdir, args))
        fresh_sqlite(db) if db != first_db else None
    pg = None
    if args.db_url and first_ledger is not None:
        pg = measure_pg(args, workdir, first_ledger, args.sizes[0])
        if not args.skip_http:
            reads.append(
                http_bench("PostgreSQL", args.db_url, first_ledger, args.year, workdir, args)
            )
    run = Run(sizes, extras, reads, pg, args.year)
    print_run(run)
    if args.write:
        section = render_run(args, info, run, pg_info, start_load)
        write_section(Path(args.write), "## SQLite", section)
    if not args.skip_http and first_db is not None:  # the dashboard against its JSON (issue 14)
        import bench_dashboard

        dash = bench_dashboard.measure(str(first_db), args.year)
        log(f"dashboard: overview {dash.overview_ms:.0f} ms, {dash.ratio:.2f}x /eligibility")
        if args.write:
            bench_dashboard.write(Path(args.write), dash)
    return 0


def province_target(args: argparse.Namespace, imp: Step) -> tuple[bool, str]:
    """The province import against its target (issue 15: under 4 minutes at 50,000)."""
    minutes = imp.seconds / 60 * 50_000 / args.branches
    ok = minutes < T_PROVINCE_MIN
    scaled = "" if args.branches == 50_000 else " (scaled linearly to 50,000 branches)"
    return ok, (
        f"{verdict(ok)}  PostgreSQL import of 50,000 branches under {T_PROVINCE_MIN:g} minutes: "
        f"{minutes:.1f} min{scaled}"
    )


def province(args: argparse.Namespace, workdir: Path) -> int:
    start_load = load1()
    info = machine()
    pg_info = pg_prepare(args.db_url, args.pg_reset)
    ledger, lines = generate(args.branches, args.years, args.seed, workdir, not args.no_mechanisms)
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
    print(f"  {province_target(args, imp)[1]}")
    if args.write:
        section = render_province(args, info, lines, [imp, reb], pg_info, size, start_load)
        write_section(Path(args.write), PROVINCE_HEADING, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
