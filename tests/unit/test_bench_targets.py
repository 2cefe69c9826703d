"""``scripts/bench.py``'s verdicts (issue 15): what it reads from the import's output and
how each target turns into PASS, FAIL or "not reported". No timing is measured here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def size(bench: ModuleType, branches: int, imp: float, reloads: int | None) -> object:
    step = bench.Step("import", imp, 200.0, items=branches * 450)
    if reloads is not None:
        step.extra = {"loaded": branches, "reloads": reloads}
    return bench.SizeRun(
        branches,
        branches * 450,
        branches * 62_000,
        5,
        bench.Step("floor insert", 1.0 * branches / 1500, 24.0),
        bench.Step("floor scan", 0.5 * branches / 1500, 24.0),
        step,
        bench.Step("rebuild", 0.9 * branches / 1500, 150.0),
    )


def verdicts(bench: ModuleType, run: object) -> dict[str, tuple[str, bool | None]]:
    return {what: (measured, ok) for what, measured, ok in bench.targets(run)}


def test_the_reload_line_is_read_and_its_absence_fails(bench: ModuleType) -> None:
    line = "branch states: 1500 loaded, 3 rebuilt from events again"
    assert bench.RELOADS.findall(f"imported\n{line}\n") == [("1500", "3")]
    run = bench.Run([size(bench, 1500, 2.5, None)], {}, [], None, 2026)
    found = verdicts(bench, run)
    reload_row = next(k for k in found if "rebuilt from events again" in k)
    assert found[reload_row] == ("not reported", False)
    run = bench.Run([size(bench, 1500, 2.5, 0)], {}, [], None, 2026)
    assert verdicts(bench, run)[reload_row][1] is True


def test_import_ratio_and_growth_between_sizes(bench: ModuleType) -> None:
    small, big = size(bench, 1500, 2.5, 0), size(bench, 6000, 12.0, 0)
    found = verdicts(bench, bench.Run([small, big], {}, [], None, 2026))
    assert found["1,500 branches: SQLite import ≤ 3x floor insert"] == ("2.50x", True)
    assert found["6,000 branches: SQLite import ≤ 3x floor insert"] == ("3.00x", True)
    growth = next(k for k in found if k.startswith("import 6,000 / 1,500"))
    assert found[growth] == ("4.80x", False)  # over 4.4x the 1,500-branch seconds
    assert found["1,500 branches: SQLite rebuild ≤ 2x floor scan"][1] is True


def test_reads_compare_p99_with_ping_and_fail_without_requests(bench: ModuleType) -> None:
    def load(path: str, p99: float, requests: int = 100) -> object:
        return bench.Load(path, requests, 0, 10.0, p99 / 2, p99, p99 / 2)

    reads = bench.Reads(
        "SQLite",
        [load("GET /ping", 50.0), load("GET /cases?county=", 99.0), load("GET /x", 101.0)],
        80.0,
    )
    reads.loads.append(load("GET /none", 1.0, requests=0))
    run = bench.Run([size(bench, 1500, 2.5, 0)], {}, [reads], None, 2026)
    found = verdicts(bench, run)
    assert found["SQLite: GET /cases?county= p99 ≤ 2x /ping p99"][1] is True
    assert found["SQLite: GET /x p99 ≤ 2x /ping p99"][1] is False
    assert found["SQLite: GET /none p99 ≤ 2x /ping p99"][1] is False


def test_ledgers_are_named_so_a_shared_workdir_reuses_the_same_one(bench: ModuleType) -> None:
    assert bench.ledger_name(1500, "2022-2026", 3, True) == "l1500.jsonl"
    assert bench.ledger_name(1500, "2022-2026", 1, True) != "l1500.jsonl"
    assert bench.ledger_name(1500, "2022-2026", 3, False) != "l1500.jsonl"


def test_the_targets_issues_9_10_and_13_were_filed_under_are_reported_beside(
    bench: ModuleType,
) -> None:
    run = bench.Run([size(bench, 1500, 4.0, 0)], {}, [], None, 2026)
    found = verdicts(bench, run)
    assert found["1,500 branches: SQLite import ≤ 3x floor insert"] == ("4.00x", False)
    filed = "1,500 branches: SQLite import ≤ 5x floor insert (as filed: issues 9, 13)"
    assert found[filed] == ("4.00x", True)
    rebuild = "1,500 branches: SQLite rebuild ≤ 3x floor scan (as filed: issues 9, 10)"
    assert found[rebuild] == ("1.80x", True)
