"""``serve`` and ``project`` stop cleanly on SIGINT and SIGTERM however they were started,
including in the background by a shell, which starts them with SIGINT ignored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.builders import village
from tests.support.server import ROOT, fivestar, free_port


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `cmd &` in a non-interactive shell


def _start(db: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("FIVESTAR_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "--db", db, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_ignore_sigint,
    )  # fmt: skip


def _wait_for(process: subprocess.Popen[str], text: str, timeout: float = 60) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return
    process.kill()
    raise AssertionError(f"never said {text!r}: {''.join(seen)}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["serve", "project"])
def test_started_with_sigint_ignored_it_still_stops(
    tmp_path: Path, command: str, signum: int
) -> None:
    db = str(tmp_path / "fivestar.db")
    ledger = tmp_path / "l.jsonl"
    ledger.write_text(__import__("json").dumps(village("V1"), ensure_ascii=False) + "\n")
    assert fivestar(db, "import", str(ledger)).returncode == 0
    if command == "serve":
        process = _start(db, "serve", "--port", str(free_port()))
        _wait_for(process, "Uvicorn running")
    else:
        process = _start(db, "project", "--interval", "0.1")
        _wait_for(process, "projector following")
    process.send_signal(signum)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"{command} ignored {signal.Signals(signum).name}") from None
    assert code == 0
