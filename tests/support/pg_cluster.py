"""A private PostgreSQL cluster a test may stop and start (``pg_ctl stop -m immediate``)
without touching the shared server the other tests use (FIVESTAR_TEST_PG).

It is made by ``scripts/pg_throwaway.sh start`` (initdb, a free port, trust auth) and
restarted here with the same options; ``pg_ctl`` comes from FIVESTAR_PG_BIN or the newest
``/usr/lib/postgresql/*/bin``, as the script finds it. As root (CI) the server runs as the
``postgres`` OS user, as the script does. ``available()`` says why not, for a skip.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pg_throwaway.sh"


def pg_bin() -> Path | None:
    """The directory of ``pg_ctl`` and ``initdb``, or None."""
    named = os.environ.get("FIVESTAR_PG_BIN")
    candidates = [Path(named)] if named else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "pg_ctl").is_file() and (folder / "initdb").is_file():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def available() -> str | None:
    """None when a private cluster can be made here, else the reason it cannot."""
    if pg_bin() is None:
        return "pg_ctl/initdb not found (FIVESTAR_PG_BIN or /usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0 and shutil.which("runuser") is None and shutil.which("su") is None:
        return "running as root without runuser/su to start PostgreSQL as postgres"
    return None


class PrivateCluster:
    """One throwaway cluster: ``url`` names its ``fivestar_test`` database."""

    def __init__(self) -> None:
        made = subprocess.run(
            ["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=180
        )
        if made.returncode != 0:
            raise RuntimeError(f"pg_throwaway.sh start failed: {made.stderr[-2000:]}")
        env = dict(
            line.removeprefix("export ").split("=", 1)
            for line in made.stdout.splitlines()
            if line.startswith("export ")
        )
        self.url = shlex.split(env["FIVESTAR_TEST_PG"])[0]
        self.datadir = Path(shlex.split(env["FIVESTAR_PG_DATADIR"])[0])
        self.bin = Path(shlex.split(env["FIVESTAR_PG_BIN"])[0])
        self.port = urlparse(self.url).port
        # The script starts it with synchronous_commit=off (a commit the client was told
        # of may be lost in a crash, and a crash is what this cluster is for): start again
        # with PostgreSQL's default, as a production server runs.
        self._pg_ctl("stop", "-m", "fast", "-w")
        self.start()

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.datadir), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {done.stderr[-2000:]}")

    def kill(self) -> None:
        """Stop at once, as a crash would: no checkpoint, connections cut."""
        self._pg_ctl("stop", "-m", "immediate", "-w")

    def start(self) -> None:
        """Start again on the same port (crash recovery first)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k /tmp -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        log = self.datadir.parent / "postgres.log"
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(log), "-o", options)

    def destroy(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "stop"],
            env={**os.environ, "FIVESTAR_PG_DATADIR": str(self.datadir),
                 "FIVESTAR_PG_BIN": str(self.bin)},
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
