"""Where the tests' example ledgers are: their own copy, and the shared one when it is there.

The tests own ``tests/fixtures/ledger-small.jsonl`` and its expected answers, so a clone of the
repository alone runs them. The programme's shared example (``../shared/examples``, beside the
repository in CI) is checked too, but only when it is present: ``shared_example()`` skips the
calling test with the reason otherwise. ``FIVESTAR_SHARED=DIR`` names another place for it
(a git worktree, say, whose parent has no ``shared``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = Path(os.environ.get("FIVESTAR_SHARED") or REPO.parent / "shared")
GENERATOR = REPO / "scripts" / "generate_ledger.py"


@dataclass(frozen=True)
class ExampleLedger:
    """A ledger file and the answers expected after importing it into an empty store."""

    ledger: Path
    expected_file: Path

    @property
    def expected(self) -> dict[str, Any]:
        return _load(self.expected_file)


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


OWN_EXAMPLE = ExampleLedger(
    FIXTURES / "ledger-small.jsonl", FIXTURES / "ledger-small.expected.json"
)
SHARED_EXAMPLE = ExampleLedger(
    SHARED / "examples" / "ledger-small.jsonl",
    SHARED / "examples" / "ledger-small.expected.json",
)
SHARED_CHECKER = SHARED / "tools" / "check_example.py"


def shared_example() -> ExampleLedger:
    """The shared example ledger, or skip: conformance runs only where ../shared is beside us."""
    missing = [p for p in (SHARED_EXAMPLE.ledger, SHARED_EXAMPLE.expected_file) if not p.is_file()]
    if missing:
        pytest.skip(
            f"conformance with the shared example needs {SHARED} beside the repository "
            f"(as in CI); not found: {', '.join(str(p) for p in missing)}"
        )
    return SHARED_EXAMPLE


def example(source: str) -> ExampleLedger:
    """``own`` (tests/fixtures, always there) or ``shared`` (skips when absent)."""
    return OWN_EXAMPLE if source == "own" else shared_example()


def make_ledger(path: Path, branches: int, seed: int = 3, every: int = 37) -> Path:
    """A generated ledger with a refused line slipped in every ``every`` lines: a line that is
    not JSON, a record for an unregistered branch, an id clash, and an exact repeat (a
    duplicate, not refused)."""
    generated = subprocess.run(
        [sys.executable, str(GENERATOR), "--branches", str(branches), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    out: list[str] = []
    for n, line in enumerate(generated, 1):
        out.append(line)
        if n % every:
            continue
        kind = (n // every) % 4
        record = json.loads(line)
        if kind == 0:
            out.append(f'{{"id": "cut-{n}", "type": "meeting.held", "branch"')
        elif kind == 1:
            bad = {"id": f"bad-{n}", "type": "meeting.held", "branch": "NOPE", "on": "2024-01-05"}
            out.append(json.dumps({**bad, "kind": "theme_day"}))
        elif kind == 2:
            out.append(json.dumps({**record, "on": "2000-01-01"}, ensure_ascii=False))
        else:
            out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
