"""Schemathesis, with every check, against a real ``fivestar serve`` over a small generated
store, with a province-wide admin token (ADR 0013): the OpenAPI document and the server must
agree on what is accepted and what is answered. Bounded: a few examples per operation and a
deadline per request; the seed is fixed so a failure reproduces."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ROOT, Server, fivestar

pytest.importorskip("schemathesis")
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
GENERATOR = ROOT / "scripts" / "generate_ledger.py"
CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "fivestar.db")
    ledger = tmp_path / "small.jsonl"
    generated = subprocess.run(
        [sys.executable, str(GENERATOR), "--branches", "5", "--seed", "1"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    ledger.write_text(generated.stdout)
    assert fivestar(db, "import", str(ledger)).returncode in (0, 1)  # 1: some refused, by design
    issued = fivestar(db, "token", "issue", "--role", "admin", "--name", "schemathesis")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]

    server = Server(db, workers=1)
    try:
        server.wait_ready()
        run = subprocess.run(
            [ST, "--config-file", str(CONFIG), "run", f"{server.url}/schema/openapi.json",
             "--checks", "all",
             "--header", f"Authorization: Bearer {token}", "--max-examples", "5",
             "--request-timeout", "20", "--seed", "20261129", "--no-color"],
            capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout
