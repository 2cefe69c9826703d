"""The example ledger: refusals as expected, on both stores, and SQLite and PostgreSQL end up
holding the same records in the same order.

Each test runs on the tests' own copy (``tests/fixtures``, always) and on the programme's shared
example (``../shared/examples``) when it is beside the repository, as in CI; without it the
``shared`` cases are skipped with the reason. The shared checker runs only against the shared one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import FiveStar
from tests.support.builders import record_sequence, registered_codes
from tests.support.ledgers import SHARED_CHECKER, ExampleLedger, example, shared_example

REFUSAL_LINE = re.compile(r"^line (\d+): (\S+): (.+)$")


@pytest.fixture(params=["own", "shared"])
def ledger(request: pytest.FixtureRequest) -> ExampleLedger:
    return example(request.param)


def nonblank_lines(path: Path) -> int:
    return sum(1 for raw in path.read_bytes().splitlines() if raw.strip())


def test_the_example_ledger_refuses_exactly_the_expected_records(
    ledger: ExampleLedger, cli: Callable[..., Any], service: FiveStar
) -> None:
    expected = ledger.expected
    result = cli("import", str(ledger.ledger))
    assert result.code == 1
    out = result.out.splitlines()
    refusals = [REFUSAL_LINE.match(line) for line in out if line.startswith("line ")]
    assert all(refusals), [line for line in out if line.startswith("line ")]
    got = Counter(m[2] for m in refusals if m)
    # ``-`` stands for each line without a valid id: compare as multisets
    assert got == Counter(expected["refused"]), {
        "missing": sorted((Counter(expected["refused"]) - got).elements()),
        "extra": sorted((got - Counter(expected["refused"])).elements()),
    }
    # refusal lines come in file order, one per line
    numbers = [int(m[1]) for m in refusals if m]
    assert numbers == sorted(set(numbers))
    # the workflow refusals are the ones the expected file says; the others are not
    workflow = set(expected["refused_by_workflow"])
    for m in refusals:
        assert m is not None
        assert m[3].startswith("workflow:") == (m[2] in workflow), m[0]
    # the summary adds up: every non-blank line applied, duplicate or refused
    assert re.search(rf"\b{len(expected['refused'])} refused\b", out[-1]), out[-1]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (applied|duplicate|refused)", out[-1])}
    assert sum(counts.values()) == nonblank_lines(ledger.ledger)
    codes = registered_codes(ledger.ledger)
    stored = sum(len(rows) for rows in record_sequence(service, codes).values())
    assert stored == counts["applied"]


def test_sqlite_and_postgresql_hold_the_same_record_sequence(
    ledger: ExampleLedger, sqlite_db: str, postgres_url: str
) -> None:
    codes = registered_codes(ledger.ledger)
    assert len(codes) == 25
    sequences, refusals = [], []
    for db in (sqlite_db, postgres_url):
        with FiveStar(db) as svc:
            report = svc.import_file(ledger.ledger, "test:example")
            refusals.append(report.refused)
            sequences.append(record_sequence(svc, codes))
            for code in codes:
                positions = [e.position for e in svc.history(code)]
                assert positions == sorted(set(positions))
    sqlite_sequence, postgres_sequence = sequences
    assert all(sqlite_sequence[code] for code in codes)
    for code in codes:
        assert sqlite_sequence[code] == postgres_sequence[code], code
    assert refusals[0] == refusals[1]


def test_the_shared_checker_agrees_in_full(db: str) -> None:
    """`python ../shared/tools/check_example.py` — refusals, eligibility, awards with stale
    flags and priority — on this store (a fresh SQLite file or PostgreSQL database)."""
    shared_example()
    if not SHARED_CHECKER.is_file():
        pytest.skip(f"the shared checker {SHARED_CHECKER} is not beside the repository")
    fivestar = Path(sys.executable).with_name("fivestar")
    result = subprocess.run(
        [sys.executable, str(SHARED_CHECKER), "--db", db],
        capture_output=True,
        text=True,
        env={**os.environ, "FIVESTAR": str(fivestar)},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("agree")
