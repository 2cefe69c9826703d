"""An import's cost stays linear in the ledger (ADR 0021): a branch evicted from the ledger's
cache is snapshotted, so however many branches a year-ordered ledger has, no branch state is
rebuilt from its events twice; the read models a forked projector follows the import with are
the ones the importing process would have built."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.application.audit import Audit
from domain.application.service import FiveStar
from domain.application.settings import Settings
from projections.tables import all_tables

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "generate_ledger.py"
BRANCHES = 24
YEARS = (2022, 2023, 2024)
LOADS_LINE = re.compile(r"branch states: (\d+) loaded, (\d+) rebuilt from events again")


@pytest.fixture(scope="module")
def year_ordered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated ledger, year by year as counties submit them: every branch comes back
    each year, after all the others."""
    path = tmp_path_factory.mktemp("ledgers") / "year-ordered.jsonl"
    out = subprocess.run(
        [sys.executable, str(GENERATOR), "--branches", str(BRANCHES), "--years", "2022-2024"],
        capture_output=True,
        check=True,
    ).stdout
    path.write_bytes(out)
    return path


def _answers(svc: FiveStar) -> dict[int, Any]:
    return {year: sorted((e.branch, e.eligible) for e in svc.eligibility(year)) for year in YEARS}


@pytest.mark.parametrize("park", [0, 64], ids=["snapshots", "parked"])
@pytest.mark.parametrize(
    "bound", [{"branch_cache_size": 5}, {"branch_cache_events": 400}], ids=["branches", "events"]
)
def test_more_branches_than_the_cache_rebuilds_no_branch_from_events_twice(
    db: str, year_ordered: Path, tmp_path: Path, bound: dict[str, int], park: int
) -> None:
    small = Settings(**bound, import_batch_size=60, import_follower_bytes=0, import_park_mb=park)
    with FiveStar(db, small) as svc:
        report = svc.import_file(year_ordered, "test")
        answers = _answers(svc)
    assert report.branches_rebuilt_again == 0
    # the cache really was too small: branches were evicted and loaded again, year by year,
    # from the import's memory (ADR 0030) or from their snapshots in the store
    assert report.branches_loaded > 2 * BRANCHES
    assert (report.branches_unpacked > BRANCHES) == bool(park)
    with FiveStar(str(tmp_path / "roomy.db"), Settings()) as svc:
        roomy = svc.import_file(year_ordered, "test")
        assert roomy.branches_loaded == BRANCHES
        assert _answers(svc) == answers


def _fixed_clock() -> datetime:
    """The same recording times in both runs (the ledger adds a microsecond per record)."""
    return datetime(2027, 1, 4, tzinfo=UTC)


def _rows(svc: FiveStar) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, in a stable order."""
    views = svc.views
    out = {}
    for table in all_tables(views.read_models):
        with views.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {views.table(table)} ORDER BY 1, 2")
            out[table] = sorted(tuple(row) for row in c.fetchall())
    return out


def test_the_import_projector_builds_the_read_models_the_importer_would(
    tmp_path: Path, year_ordered: Path
) -> None:
    """Same ledger file, projected by a forked follower or in the importing process: the
    same rows in every read model."""
    results = []
    for name, follower_bytes in (("forked", 0), ("inline", 10**12)):
        settings = Settings(
            import_batch_size=200, import_follower_bytes=follower_bytes, clock=_fixed_clock
        )
        with FiveStar(str(tmp_path / f"{name}.db"), settings) as svc:
            report = svc.import_file(year_ordered, "test")
            assert report.position == svc.head() == svc.position()
            results.append((_rows(svc), report.applied, len(report.refused)))
    assert results[0][0].keys() == results[1][0].keys()
    for table in results[0][0]:
        assert results[0][0][table] == results[1][0][table], table
    assert results[0][1:] == results[1][1:]


def test_parked_states_give_the_ledger_and_rows_that_stored_snapshots_give(
    year_ordered: Path, tmp_path: Path
) -> None:
    """Evicted states parked in the import's memory or snapshotted to the store (ADR 0030):
    byte for byte the same events, so the same digest, and the same read-model rows."""
    results = []
    for park in (0, 64):
        settings = Settings(
            branch_cache_size=5,
            import_batch_size=60,
            import_follower_bytes=0,
            import_park_mb=park,
            clock=_fixed_clock,
        )
        with FiveStar(str(tmp_path / f"park{park}.db"), settings) as svc:
            report = svc.import_file(year_ordered, "test")
            assert report.branches_rebuilt_again == 0
            assert (report.branches_unpacked > 0) == bool(park)
            results.append((Audit(svc).digest(), _rows(svc)))
    assert results[0] == results[1]


def test_the_import_prints_its_branch_loads(
    cli: Callable[..., Any], year_ordered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_BRANCH_CACHE_SIZE", "5")
    monkeypatch.setenv("FIVESTAR_IMPORT_BATCH_SIZE", "60")
    res = cli("import", str(year_ordered))
    found = LOADS_LINE.search(res.err)
    assert found, res.err
    loaded, again = int(found.group(1)), int(found.group(2))
    assert loaded > 2 * BRANCHES and again == 0


def test_the_import_projector_follows_the_ledger_on_both_stores(
    db: str, year_ordered: Path, tmp_path: Path
) -> None:
    """The forked projector on SQLite and PostgreSQL: the import returns with the read models
    at the ledger's head, answering as an import projected in-process does."""
    with FiveStar(db, Settings(import_batch_size=200, import_follower_bytes=0)) as svc:
        report = svc.import_file(year_ordered, "test")
        assert report.position == svc.head() == svc.position()
        forked = _answers(svc)
    with FiveStar(str(tmp_path / "inline.db"), Settings(import_follower_bytes=10**12)) as svc:
        svc.import_file(year_ordered, "test")
        assert _answers(svc) == forked


def test_the_import_projector_runs_at_a_lower_priority(year_ordered: Path, tmp_path: Path) -> None:
    """Deciding records is the import's critical path: the forked projector is niced so it
    catches up behind it (``import_projector_nice``), and ends with the read models at the
    ledger's head all the same."""
    seen: list[int] = []

    def look(done: int, size: int) -> None:
        for child in multiprocessing.active_children():
            if child.name == "fivestar-import-projector" and child.pid and not seen:
                with contextlib.suppress(ProcessLookupError):
                    seen.append(os.getpriority(os.PRIO_PROCESS, child.pid))

    mine = os.getpriority(os.PRIO_PROCESS, 0)
    settings = Settings(import_batch_size=200, import_follower_bytes=0, import_projector_nice=3)
    with FiveStar(str(tmp_path / "nice.db"), settings) as svc:
        report = svc.import_file(year_ordered, "test", progress=look)
        assert report.position == svc.head() == svc.position()
    assert seen and seen[0] == min(mine + 3, 19)
