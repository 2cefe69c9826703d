"""Property: every read model kept incrementally equals a replay and a full rebuild.

For random ledgers (``tests/support/prop_ledgers.py``: every record type, the mechanism
records of mechanisms.md §1, records dated on period boundaries and out of date order,
corrections, retractions, weak spells, honours, adoptions of every rulebook in the folder,
ladder listings applied, duplicates, id clashes and records the ledger refuses), arriving in
several batches (imported, or submitted through the API service with and without a catch-up
after each, with small import and projection batch sizes so the read models are kept in
several transactions), each read of each read model answers the same in three ways:

- incrementally: the tables as kept while the batches arrived;
- replayed: an as-of replay at the head where the read has one (eligibility, compliance),
  else the same query over fresh tables filled from the log one event at a time;
- rebuilt: after ``fivestar rebuild``, which also stores, table by table, the rows kept
  (``test_rebuilt_rows.py`` on these ledgers).

The rulebook folder holds the real rulebooks and variants that stretch each parameter
(windows of 1, 5 and 10 years, thresholds at their extremes, criteria added and removed, the
star that needs the others under another id); each example reads its case limits and county
parameters from one of several folders that stretch those files too (limits of 0 days and ten
years, county overrides, figures missing or extreme, mechanism standards at either
extreme). ``READS`` lists every read (one line each), with the registered read model it
reads; ``test_every_read_model_is_covered`` fails when a read model is registered in
``projections.READ_MODELS`` without one.
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import tempfile
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import projections
from domain.application import case_reads
from domain.application.ledger import LedgerLog
from domain.application.service import FiveStar, rebuild_views
from domain.application.settings import Settings
from domain.model import records as r
from domain.model.rulebook import RulebookError, available_rulebooks
from projections.runner import ProjectionRunner
from projections.views import open_views
from tests.support.postgres import throwaway_store
from tests.support.prop_ledgers import OPS, YEARS, LedgerBuilder, registration
from tests.support.rows import stored_rows
from tests.support.rulebooks import parameters_dir

Answers = dict[str, Any]  # label (a year, a date, a case) -> the answer as builtins


def _built(value: Any) -> Any:
    return msgspec.to_builtins(value)


def per_year(query: Callable[[FiveStar, int], Any]) -> Callable[[FiveStar], Answers]:
    return lambda svc: {str(y): _built(query(svc, y)) for y in YEARS}


def per_day(
    days: Callable[[int], list[date]], query: Callable[[FiveStar, int, date], Any]
) -> Callable[[FiveStar], Answers]:
    """The query for each year Y on each business date D of ``days(Y)``."""
    return lambda svc: {f"{y} on {d}": _built(query(svc, y, d)) for y in YEARS for d in days(y)}


def on_days(days: list[date], query: Callable[[FiveStar, date], Any]) -> Callable[..., Answers]:
    return lambda svc: {str(d): _built(query(svc, d)) for d in days}


def boundaries(year: int) -> list[date]:
    """Quarter ends, a day in the middle of a quarter and of a month, the year's end and 3
    January after it (after 2026, the last day of ISO week 53 of 2026)."""
    return [date(year, 3, 31), date(year, 5, 15), date(year, 6, 30), date(year, 12, 31),
            date(year + 1, 1, 3)]  # fmt: skip


def summary_days(year: int) -> list[date]:
    return [date(year, 12, 31), date(year + 1, 3, 31)]


CASE_DAYS = [date(y, m, d) for y in YEARS for m, d in ((3, 31), (12, 31))] + [date(2027, 1, 3)]
LADDER_DAYS = [date(y, m, 1) for y in YEARS for m in (1, 4, 7, 10)] + [date(2027, 1, 3)]
FAR = date(2028, 12, 31)  # after every record the ledgers hold


def one_case(svc: FiveStar) -> Answers:
    """Each case as ``GET /branches/{code}/cases/{case}`` reads it: its stored steps and the
    case judged alone, on two dates."""
    out: Answers = {}
    for case in case_reads.judged_cases(svc, FAR):
        key = f"{case.branch}/{case.case}"
        out[key] = _built(case_reads.case_steps(svc, case.branch, case.case))
        for day in (case.reported_on, date(case.reported_on.year, 12, 31)):
            found = case_reads.judged_cases(svc, day, branch=case.branch, case=case.case)
            out[f"{key} on {day}"] = _built(found)
    return out


@dataclass(frozen=True)
class Read:
    """One read of a registered read model (``model``), answered from the service's tables;
    ``at`` answers it by an as-of replay at a ledger position instead, where there is one."""

    model: str
    name: str
    query: Callable[[FiveStar], Answers]
    at: Callable[[FiveStar, int], Answers] | None = None


# One line per read; a read model registered in projections.READ_MODELS needs at least one.
READS: list[Read] = [
    Read(
        "eligibility",
        "eligibility",
        per_year(lambda svc, y: svc.eligibility(y)),
        lambda svc, head: per_year(lambda s, y: s.eligibility(y, position=head))(svc),
    ),
    Read("eligibility", "awards", per_year(lambda svc, y: svc.awards(y))),
    Read("eligibility", "rewards", per_year(lambda svc, y: svc.rewards(y))),
    Read("eligibility", "priority", per_year(lambda svc, y: svc.priority(y))),
    Read(
        "compliance",
        "compliance",
        per_day(boundaries, lambda svc, y, d: svc.compliance(y, d)),
        lambda svc, head: per_day(boundaries, lambda s, y, d: s.compliance(y, d, position=head))(
            svc
        ),
    ),
    Read("compliance", "staffing", per_year(lambda svc, y: svc.staffing(y))),
    Read("cases", "cases", on_days(CASE_DAYS, case_reads.judged_cases)),
    Read("cases", "case summary", per_day(summary_days, case_reads.case_summary)),
    Read("cases", "one case", one_case),
    Read("ladder", "ladder", on_days(LADDER_DAYS, case_reads.judged_ladder)),
    Read("ladder", "ladder rows", lambda svc: {"rows": _built(case_reads.ladder_rows(svc))}),
]


# ------------------------------------------------------------------ the ledgers
# Folders of parameter files: (case limits, county parameters) variants of rulebooks.py.
PARAMETER_SETS = {  # case limits, county parameters, mechanism standards
    "shipped": ("shipped", "shipped", "shipped"),
    "short": ("short", "extreme", "strict"),
    "long": ("long", "absent", "lax"),
    "overrides": ("overrides", "extreme", "absent"),
}
MODES = ["import", "api", "api_no_catch_up"]  # how a batch arrives


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.lists(st.sampled_from(["village", "community"]), min_size=1, max_size=3))
    counties = ["清丰县", "南乐县", "华龙区"]
    builder = LedgerBuilder(kinds)
    late = draw(st.booleans())  # one branch registered after records naming it
    regs = [
        registration(c, k, counties[i % 3], ["某镇", "另镇"][i // 2 % 2])
        for i, (c, k) in enumerate(zip(builder.codes, kinds, strict=True))
    ]
    for record in regs[:-1] if late and len(regs) > 1 else regs:
        builder.add(record)
    ops = draw(
        st.lists(
            st.tuples(
                st.sampled_from(OPS),
                st.integers(0, 2),
                st.sampled_from(YEARS),
                st.integers(0, 400),
                st.integers(0, 40),
            ),
            min_size=3,
            max_size=30,
        )
    )
    for op in ops:
        builder.op(op)
    if late and len(regs) > 1:
        builder.add(regs[-1])
        for op in ops[:5]:
            builder.op((op[0], len(regs) - 1, *op[2:]))
    records = builder.records
    cuts = sorted(set(draw(st.lists(st.integers(0, len(records)), max_size=4))))
    batches = [records[a:b] for a, b in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    modes = draw(st.lists(st.sampled_from(MODES), min_size=len(batches), max_size=len(batches)))
    between = st.integers(0, len(batches))
    adoptions = draw(
        st.lists(
            st.tuples(between, st.sampled_from(YEARS), st.sampled_from(available_rulebooks())),
            max_size=3,
        )
    )
    listings = draw(st.lists(st.tuples(between, st.sampled_from(LADDER_DAYS)), max_size=2))
    return {
        "batches": batches,
        "modes": modes,
        "adoptions": adoptions,
        "listings": listings,
        "parameters": draw(st.sampled_from(sorted(PARAMETER_SETS))),
        "import_batch": draw(st.sampled_from([1, 3, 5000])),
        "projection_batch": draw(st.sampled_from([1, 4, 20_000])),
    }


# ------------------------------------------------------------------ the property
@pytest.fixture(scope="module")
def books() -> Iterator[dict[str, Path]]:
    """One rulebook folder per parameter set; ``FIVESTAR_RULEBOOKS`` points at the first
    while examples are drawn (every folder holds the same rulebooks)."""
    root = Path(tempfile.mkdtemp(prefix="fivestar-books-"))
    folders = {
        name: parameters_dir(root / name, limits, county, standards)
        for name, (limits, county, standards) in PARAMETER_SETS.items()
    }
    patch = pytest.MonkeyPatch()
    patch.setenv("FIVESTAR_RULEBOOKS", str(folders["shipped"]))
    try:
        yield folders
    finally:
        patch.undo()
        shutil.rmtree(root, ignore_errors=True)


def adopt(svc: FiveStar, year: int, book: str) -> None:
    """An adoption; one the ledger refuses (a year before the rulebook applies) is skipped."""
    with contextlib.suppress(RulebookError):
        svc.adopt(year, book, "property test", "test")


def between_batches(svc: FiveStar, ledger: dict[str, Any], index: int) -> None:
    """The adoptions and ladder listings (``ladder --apply``) drawn before batch ``index``."""
    for at, year, book in ledger["adoptions"]:
        if at == index:
            adopt(svc, year, book)
    for at, day in ledger["listings"]:
        if at == index:
            case_reads.apply_listing(svc, day, "test")


def apply_ledger(svc: FiveStar, ledger: dict[str, Any], folder: Path) -> None:
    batches = zip(ledger["batches"], ledger["modes"], strict=True)
    for index, (batch, mode) in enumerate(batches):
        between_batches(svc, ledger, index)
        if mode == "import":
            path = folder / f"batch-{index}.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch))
            svc.import_file(path, "test")
        else:
            svc.submit(batch, "test")
            if mode == "api":
                svc.catch_up()
    between_batches(svc, ledger, len(ledger["batches"]))
    svc.catch_up()


def replayed_views(svc: FiveStar) -> FiveStar:
    """The service with fresh read-model tables filled from the log one event at a time."""
    fresh = open_views(svc.db, svc.ledger.factory.datastore, "rp_")  # type: ignore[attr-defined]
    ProjectionRunner(LedgerLog(svc.ledger), fresh, batch_size=1).catch_up()
    shim = copy.copy(svc)
    shim.views = fresh
    return shim


def difference(kept: Any, expected: Any) -> Any:
    """The first differing part of two answers, small enough to read."""
    if isinstance(kept, list) and isinstance(expected, list) and len(kept) == len(expected):
        for a, b in zip(kept, expected, strict=True):
            if a != b:
                return difference(a, b)
    if isinstance(kept, dict) and isinstance(expected, dict):
        keys = sorted(set(kept) | set(expected))
        return {k: difference(kept.get(k), expected.get(k)) for k in keys
                if kept.get(k) != expected.get(k)} | {"_at": kept.get("branch")}  # fmt: skip
    return {"kept": kept, "expected": expected}


def compare(incremental: dict[str, Answers], other: dict[str, Answers], label: str) -> None:
    for read in READS:
        kept, expected = incremental[read.name], other[read.name]
        assert sorted(kept) == sorted(expected), (read.name, label, "labels differ")
        for key in kept:
            assert kept[key] == expected[key], (
                read.name,
                key,
                label,
                difference(kept[key], expected[key]),
            )


def three_ways(svc: FiveStar) -> tuple[dict[str, Answers], ...]:
    """Every read kept incrementally, replayed, and after a rebuild."""
    head = svc.ledger.recorder.max_notification_id() or 0
    incremental = {read.name: read.query(svc) for read in READS}
    replay_svc = replayed_views(svc)
    replayed = {
        read.name: read.query(replay_svc) if read.at is None else read.at(svc, head)
        for read in READS
    }
    rows = stored_rows(svc)
    rebuild_views(svc)
    for table, kept in stored_rows(svc).items():
        assert kept == rows[table], f"table {table} differs after the rebuild"
    return incremental, replayed, {read.name: read.query(svc) for read in READS}


def check(db: str, ledger: dict[str, Any], folder: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="fivestar-prop-"))
    tuned = Settings(
        import_batch_size=ledger["import_batch"],
        projection_batch_size=ledger["projection_batch"],
    )
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FIVESTAR_RULEBOOKS", str(folder))
            with FiveStar(db, tuned) as svc:
                apply_ledger(svc, ledger, work)
                incremental, replayed, rebuilt = three_ways(svc)
        try:
            compare(incremental, replayed, "replay")
            compare(incremental, rebuilt, "rebuild")
        except AssertionError as exc:  # keep the ledger, to replay it outside Hypothesis
            kept = Path(tempfile.mkstemp(prefix="fivestar-prop-ledger-", suffix=".json")[1])
            kept.write_text(json.dumps(ledger, ensure_ascii=False), encoding="utf-8")
            raise AssertionError(f"{exc}\n(the ledger drawn: {kept})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large],
    "derandomize": True,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: bounded time
}  # fmt: skip


@settings(max_examples=30, **COMMON)
@given(ledger=ledgers())
def test_read_models_equal_replay_and_rebuild_sqlite(
    books: dict[str, Path], ledger: dict[str, Any]
) -> None:
    with throwaway_store(None) as db:
        check(db, ledger, books[ledger["parameters"]])


@settings(max_examples=4, **COMMON)
@given(ledger=ledgers())
def test_read_models_equal_replay_and_rebuild_postgres(
    books: dict[str, Path], postgres_server: str | None, ledger: dict[str, Any]
) -> None:
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG)")
    with throwaway_store(postgres_server) as db:
        check(db, ledger, books[ledger["parameters"]])


# ------------------------------------------------------------------ the guards
def test_every_read_model_is_covered() -> None:
    """A read model registered in projections.READ_MODELS without a line in READS fails
    here: the next read model cannot be forgotten."""
    registered = {model.name for model in projections.READ_MODELS}
    covered = {read.model for read in READS}
    assert registered - covered == set(), "add a Read for each of these read models"
    assert covered - registered == set(), "READS names a read model that is not registered"


def test_the_ledgers_hold_every_record_type() -> None:
    """Every record type the ledger knows is produced by some operation of the generator
    (for a village and a community, every operation in turn), so a read model of a new
    record type cannot be left with ledgers that never hold it."""
    builder = LedgerBuilder(["village", "community"])
    for code, kind in (("B0", "village"), ("B1", "community")):
        builder.add(registration(code, kind, "华龙区"))
    for what in OPS:
        for index in (0, 1):
            for choice in range(14):
                builder.op((what, index, 2026, 366 + choice, choice))
    produced = {record["type"] for record in builder.records}
    known = {cls.__struct_config__.tag for cls in typing.get_args(r.AnyRecord)}
    assert known - produced == set(), "give LedgerBuilder an operation for these types"
