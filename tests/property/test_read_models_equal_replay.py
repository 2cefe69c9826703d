"""Property: every read model kept incrementally equals a replay and a full rebuild.

For random ledgers (every record type, out-of-order dates, corrections, retractions, weak
spells, honours, adoptions of every rulebook in the folder, duplicates, id clashes and
records the ledger refuses), imported in several batches and submitted through the API
service, each read model answers the same in three ways:

- incrementally: the tables as kept while the batches were applied;
- replayed: an as-of replay at the head where the read model has one (eligibility), else the
  same query over fresh tables filled from the log one event at a time;
- rebuilt: after ``fivestar rebuild`` (stream by stream).

The rulebook folder holds the real rulebooks and variants that stretch each parameter
(windows of 1, 5 and 10 years, thresholds at their extremes, criteria added and removed, the
star that needs the others under another id). A new read model is covered by adding one
entry to ``READ_MODELS``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain.application.ledger import LedgerLog
from domain.application.service import FiveStar, rebuild_views
from domain.model.rulebook import RulebookError, available_rulebooks
from domain.model.vocabulary import vocabulary
from projections.runner import ProjectionRunner
from projections.views import open_views
from tests.support.builders import (
    chain,
    five_star_community_year,
    five_star_village_year,
    org_life_year,
    rec,
)
from tests.support.rulebooks import rulebook_dir

YEARS = list(range(2021, 2027))
Query = Callable[[FiveStar, int], Any]
Replay = Callable[[FiveStar, int, int], Any] | None

# (name, incremental query, as-of replay at a position or None: the query over fresh tables
# replayed event by event). One line per read model.
READ_MODELS: list[tuple[str, Query, Replay]] = [
    (
        "eligibility",
        lambda svc, year: svc.eligibility(year),
        lambda svc, year, head: svc.eligibility(year, position=head),
    ),
    ("awards", lambda svc, year: svc.awards(year), None),
    ("rewards", lambda svc, year: svc.rewards(year), None),
    ("priority", lambda svc, year: svc.priority(year), None),
    (
        "compliance",
        lambda svc, year: svc.compliance(year, date(year, 9, 30)),
        lambda svc, year, head: svc.compliance(year, date(year, 9, 30), position=head),
    ),
]


# ------------------------------------------------------------------ the ledgers
Op = tuple[str, int, int, int, int]  # (what, branch index, year, day of year, choice)
OPS = [
    "incident", "retract", "metric", "attest", "grant", "revoke", "plan", "member", "honour",
    "meeting", "secretary", "weak", "lift", "five_star", "rating", "duplicate", "clash",
    "unknown", "org_life", "awarded", "awarded", "awarded_run",
]  # fmt: skip
VALUES = [0, 0.5, 0.8, 0.85, 0.95, 1.0, 10000, 12000, 200000, 1e12]
LEVELS = ["township", "county", "city", "province", "national"]
MEETINGS = ["party_congress", "party_lesson", "theme_day", "org_life", "branch_committee"]


def _day(year: int, day: int) -> str:
    month, dom = divmod(day % 336, 28)
    return f"{year}-{month + 1:02d}-{dom + 1:02d}"


def _choose(options: list[Any] | tuple[Any, ...], choice: int) -> Any:
    """One of the options; with none (communities report no metric), an id the ledger
    refuses."""
    return options[choice % len(options)] if options else "not_rated"


class LedgerBuilder:
    """Records from drawn operations; ids are deterministic so a failing case replays."""

    def __init__(self, kinds: list[str]) -> None:
        self.codes = [f"B{i}" for i in range(len(kinds))]
        self.kinds = kinds
        self.records: list[dict[str, Any]] = []
        self.incidents: dict[str, list[str]] = {c: [] for c in self.codes}
        self.count = 0

    def rid(self) -> str:
        self.count += 1
        return f"r{self.count:05d}"

    def add(self, record: dict[str, Any]) -> None:
        record["id"] = self.rid()
        self.records.append(record)

    def op(self, op: Op) -> None:
        what, index, year, day, choice = op
        code = self.codes[index % len(self.codes)]
        kind = self.kinds[index % len(self.codes)]
        vocab = vocabulary(kind)
        on = _day(year, day)
        if what == "incident":
            self.add(
                rec(
                    "incident.recorded",
                    code,
                    on,
                    category=_choose(sorted(vocab.categories), choice),
                )
            )
            self.incidents[code].append(self.records[-1]["id"])
        elif what == "retract":
            ref = _choose(self.incidents[code], choice) if self.incidents[code] else "nope"
            self.add(rec("incident.retracted", code, on, ref=ref, reason="错报"))
        elif what == "metric":
            self.add(
                rec(
                    "metric.reported",
                    code,
                    on,
                    year=year,
                    metric=_choose(sorted(vocab.metrics), choice),
                    value=_choose(VALUES, day),
                )
            )
        elif what == "attest":
            self.add(
                rec(
                    "criterion.attested",
                    code,
                    on,
                    year=year,
                    criterion=_choose(sorted(vocab.criteria), choice),
                    met=day % 3 != 0,
                    by="township",
                )
            )
        elif what in ("grant", "revoke"):
            self.add(
                rec(
                    f"designation.{'granted' if what == 'grant' else 'revoked'}",
                    code,
                    on,
                    year=year,
                    designation=_choose(sorted(vocab.designations), choice),
                )
            )
        elif what == "plan":
            self.add(rec("plan.set", code, on, year=year, target=choice % 3))
        elif what == "member":
            self.add(rec("member.developed", code, on, person=f"党员{choice}"))
        elif what == "honour":
            self.add(
                rec(
                    "honor.granted",
                    code,
                    on,
                    kind=_choose(["two_excellent_one_advanced", "other"], choice // 5),
                    level=_choose(LEVELS, choice),
                    recipient="branch",
                    title="表彰",
                )
            )
        elif what == "meeting":
            self.add(rec("meeting.held", code, on, kind=_choose(MEETINGS, choice)))
        elif what == "secretary":
            self.add(
                rec(
                    "branch.secretary_appointed",
                    code,
                    on,
                    person=f"书记{choice % 3}",
                    civil_servant=choice % 2 == 0,
                )
            )
        elif what == "weak":
            self.add(rec("weakness.designated", code, on))
        elif what == "lift":
            self.add(rec("weakness.lifted", code, on))
        elif what == "five_star":
            build = five_star_village_year if kind == "village" else five_star_community_year
            for record in build(code, year):
                self.add(record)
        elif what == "org_life":
            for record in org_life_year(code, year):
                self.add(record)
        elif what == "rating":
            stars = list(vocab.stars)
            strong = [s for s in stars if s in vocab.complete_sets]
            others = [s for s in stars if s not in vocab.complete_sets][:4]
            count = choice % 5 + 1
            chosen = (others + strong[:1]) if count == 5 else others[:count]
            final = {1: "county", 2: "county", 3: "county", 4: "city", 5: "province"}[count]
            for record in chain(code, year, chosen, final):
                self.add(record)
        elif what == "awarded":  # facts for all five stars, then a rating chain
            self.op(("five_star", index, year, day, choice))
            self.op(("org_life", index, year, day, choice))
            self.op(("rating", index, year, day, choice))
            if choice % 3 == 0:  # a late incident: the award goes stale
                self.op(("incident", index, year, day, choice))
        elif what == "awarded_run":  # three years of four or five stars: priority
            for y in (year - 2, year - 1, year):
                self.op(("awarded", index, max(y, YEARS[0] + 1), day, 3 + choice % 2))
        elif what == "duplicate" and self.records:
            self.records.append(dict(_choose(self.records, choice)))
        elif what == "clash" and self.records:
            clash = dict(_choose(self.records, choice))
            clash["on"] = on if clash.get("on") != on else _day(year, day + 1)
            self.records.append(clash)
        elif what == "unknown":
            self.add(rec("meeting.held", "ZZ-unregistered", on, kind="theme_day"))


def registration(code: str, kind: str, county: str) -> dict[str, Any]:
    fields = {"name": f"{code}支部", "kind": kind, "county": county, "township": "某镇",
              "households": 100, "population": 400}  # fmt: skip
    return rec("branch.registered", code, "2020-12-01", **fields)


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.lists(st.sampled_from(["village", "community"]), min_size=1, max_size=3))
    counties = ["清丰县", "南乐县", "华龙区"]
    builder = LedgerBuilder(kinds)
    late = draw(st.booleans())  # one branch registered after records naming it
    regs = [
        registration(c, k, counties[i % 3])
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
    via_api = draw(st.lists(st.booleans(), min_size=len(batches), max_size=len(batches)))
    adoptions = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(batches)),
                st.sampled_from(YEARS),
                st.sampled_from(sorted(available_rulebooks())),
            ),
            max_size=3,
        )
    )
    return {"batches": batches, "via_api": via_api, "adoptions": adoptions}


# ------------------------------------------------------------------ the property
@pytest.fixture(scope="module")
def books() -> Iterator[Path]:
    folder = rulebook_dir(Path(tempfile.mkdtemp(prefix="fivestar-books-")))
    patch = pytest.MonkeyPatch()
    patch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    try:
        yield folder
    finally:
        patch.undo()
        shutil.rmtree(folder, ignore_errors=True)


def adopt(svc: FiveStar, year: int, book: str) -> None:
    """An adoption; one the ledger refuses (a year before the rulebook applies) is skipped."""
    with contextlib.suppress(RulebookError):
        svc.ledger.adopt(year, book, "property test", "test")


def apply_ledger(svc: FiveStar, ledger: dict[str, Any], folder: Path) -> None:
    adoptions = ledger["adoptions"]
    batches = zip(ledger["batches"], ledger["via_api"], strict=True)
    for index, (batch, via_api) in enumerate(batches):
        for at, year, book in adoptions:
            if at == index:
                adopt(svc, year, book)
        if via_api:
            svc.submit(batch, "test")
            svc.catch_up()
        else:
            path = folder / f"batch-{index}.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch))
            svc.import_file(path, "test")
    for at, year, book in adoptions:
        if at == len(ledger["batches"]):
            adopt(svc, year, book)
    svc.catch_up()


def replayed_views(svc: FiveStar) -> FiveStar:
    """The service with fresh read-model tables filled from the log one event at a time."""
    fresh = open_views(svc.db, svc.ledger.factory.datastore, "rp_")  # type: ignore[attr-defined]
    ProjectionRunner(LedgerLog(svc.ledger), fresh, batch_size=1).catch_up()
    shim = copy.copy(svc)
    shim.views = fresh
    return shim


def answers(query: Callable[..., Any], *args: Any) -> dict[int, Any]:
    return {year: msgspec.to_builtins(query(*args, year)) for year in YEARS}


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


def check(db: str, ledger: dict[str, Any]) -> None:
    work = Path(tempfile.mkdtemp(prefix="fivestar-prop-"))
    try:
        with FiveStar(db) as svc:
            apply_ledger(svc, ledger, work)
            head = svc.ledger.recorder.max_notification_id() or 0
            incremental = {name: answers(q, svc) for name, q, _ in READ_MODELS}
            replay_svc = replayed_views(svc)
            replayed = {
                name: answers(q, replay_svc)
                if r is None
                else {y: msgspec.to_builtins(r(svc, y, head)) for y in YEARS}
                for name, q, r in READ_MODELS
            }
            rebuild_views(svc)
            rebuilt = {name: answers(q, svc) for name, q, _ in READ_MODELS}
        for name, _, _ in READ_MODELS:
            for year in YEARS:
                for other, label in ((replayed, "replay"), (rebuilt, "rebuild")):
                    kept, expected = incremental[name][year], other[name][year]
                    assert kept == expected, (name, year, label, difference(kept, expected))
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
def test_read_models_equal_replay_and_rebuild_sqlite(books: Path, ledger: dict[str, Any]) -> None:
    db = Path(tempfile.mkdtemp(prefix="fivestar-db-")) / "fivestar.db"
    try:
        check(str(db), ledger)
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


@settings(max_examples=4, **COMMON)
@given(ledger=ledgers())
def test_read_models_equal_replay_and_rebuild_postgres(
    books: Path, postgres_server: str | None, ledger: dict[str, Any]
) -> None:
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG)")
    from tests.support.postgres import drop_database as _drop_database
    from tests.support.postgres import fresh_database as _fresh_database

    url, name = _fresh_database(postgres_server)
    try:
        check(url, ledger)
    finally:
        _drop_database(postgres_server, name)
