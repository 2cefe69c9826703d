"""``fivestar import`` streams its file: memory does not grow with the file, and no progress
bar is drawn unless standard error is a terminal. SQLite only (the backend does not matter)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tracemalloc
from pathlib import Path

from domain.application.service import FiveStar

FIVESTAR = Path(sys.executable).parent / "fivestar"
BRANCHES = 20
MEETINGS = 60_000
KINDS = ["theme_day", "party_lesson", "org_life", "party_congress", "branch_committee"]


def meetings_ledger(path: Path, meetings: int) -> Path:
    """``BRANCHES`` registrations, then ``meetings`` small meeting records round-robin."""
    with path.open("w", encoding="utf-8") as f:
        for b in range(BRANCHES):
            registration = {
                "id": f"reg-{b}",
                "type": "branch.registered",
                "branch": f"V{b:03d}",
                "on": "2021-01-01",
                "name": f"第{b}村",
                "kind": "village",
                "county": "清丰县",
                "township": "柳格镇",
                "households": 300,
                "population": 1000,
            }
            f.write(json.dumps(registration, ensure_ascii=False) + "\n")
        for n in range(meetings):
            record = {
                "id": f"m{n:06d}",
                "type": "meeting.held",
                "branch": f"V{n % BRANCHES:03d}",
                "on": f"{2022 + n % 4}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "kind": KINDS[n % len(KINDS)],
            }
            f.write(json.dumps(record) + "\n")
    return path


def test_import_memory_stays_far_below_ten_times_the_file(sqlite_db: str, tmp_path: Path) -> None:
    path = meetings_ledger(tmp_path / "meetings.jsonl", MEETINGS)
    size = path.stat().st_size
    assert size > 5_000_000
    with FiveStar(sqlite_db) as svc:
        tracemalloc.start()
        try:
            report = svc.import_file(path, "test:streaming")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert (report.applied, report.refused) == (BRANCHES + MEETINGS, [])
        assert svc.history("V007")[-1].record["id"] == f"m{MEETINGS - BRANCHES + 7:06d}"
    bound = 60_000_000
    assert bound < 10 * size  # the bound is below the file's size times ten
    assert peak < bound, (
        f"peak Python memory {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file"
    )


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    path = meetings_ledger(tmp_path / "meetings.jsonl", 12_000)  # three 5,000-line batches
    db = str(tmp_path / "piped.db")
    result = subprocess.run(
        [str(FIVESTAR), "--db", db, "import", str(path)],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert b"\r" not in result.stderr
    assert b"\r" not in result.stdout
    assert b"#" not in result.stderr
    assert len(result.stdout.splitlines()) == 1  # only the summary


def test_a_progress_bar_is_drawn_on_a_terminal(tmp_path: Path) -> None:
    """The counterpart of the test above: the bar exists, and goes to stderr only."""
    path = meetings_ledger(tmp_path / "meetings.jsonl", 12_000)
    db = str(tmp_path / "tty.db")
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run(
            [str(FIVESTAR), "--db", db, "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
        )
        os.close(secondary)
        secondary = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO once the terminal's other side is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(primary)
        if secondary != -1:
            os.close(secondary)
    assert proc.returncode == 0
    assert b"\r" in drawn
    assert b"\r" not in proc.stdout
