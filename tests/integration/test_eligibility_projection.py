"""The eligibility read model through ``fivestar``: shape, filters, as-of, crash and rebuild.

Runs on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import domain.application.rebuild as rebuild_module
from domain.application.service import FiveStar
from domain.application.settings import Settings
from projections.eligibility import LedgerProjection
from tests.support.builders import (
    ALL_COMMUNITY,
    ALL_VILLAGE,
    chain,
    community,
    five_star_community_year,
    five_star_village_year,
    five_star_village_years,
    rec,
    village,
)
from tests.support.cli import eligibility, load, table_body

ELIGIBILITY_KEYS = {
    "branch",
    "year",
    "kind",
    "rulebook",
    "excluded",
    "exclusion",
    "eligible",
    "criteria",
    "basis",
}
CRITERION_KEYS = {"star", "criterion", "met", "detail", "evidence"}
VILLAGE_CRITERIA = 24  # rules.md §4, puyang-2022: 5 + 5 + 6 + 3 + 5
COMMUNITY_CRITERIA = 21  # 4 + 5 + 3 + 5 + 4
YEARS = range(2021, 2027)


class SimulatedCrash(RuntimeError):
    """Raised by a patched projection to stand for a crash between two events."""


def snapshot(cli: Callable[..., Any]) -> dict[str, Any]:
    """All eligibility and awards JSON for every year the ledgers below touch."""
    out: dict[str, Any] = {}
    for year in YEARS:
        out[f"eligibility {year}"] = eligibility(cli, year)
        res = cli("awards", "--year", str(year), "--json")
        assert res.code == 0
        out[f"awards {year}"] = res.json()
    return out


def top_position(db: str) -> int:
    with FiveStar(db) as svc:
        return svc.head()


def small_batches(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Every command run (live catch-up and rebuild) projects ``size`` events a batch."""
    monkeypatch.setenv("FIVESTAR_PROJECTION_BATCH_SIZE", str(size))


def rebuild_in(monkeypatch: pytest.MonkeyPatch, *, group: int, workers: int) -> None:
    """``fivestar rebuild`` commits ``group`` branch streams a transaction, in ``workers``
    processes."""
    monkeypatch.setenv("FIVESTAR_REBUILD_GROUP", str(group))
    monkeypatch.setenv("FIVESTAR_REBUILD_WORKERS", str(workers))


def crash_on_call(monkeypatch: pytest.MonkeyPatch, n: int) -> list[list[int]]:
    """Make ``LedgerProjection.process`` do its work and then raise on its ``n``-th call."""
    original = LedgerProjection.process
    calls: list[list[int]] = []

    def process(self: LedgerProjection, w: Any, batch: Any) -> None:
        original(self, w, batch)
        calls.append([position for position, _ in batch])
        if len(calls) == n:
            raise SimulatedCrash(f"crash after writing batch {calls[-1]}")

    monkeypatch.setattr(LedgerProjection, "process", process)
    return calls


def count_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    original = LedgerProjection.process
    calls: list[list[int]] = []

    def process(self: LedgerProjection, w: Any, batch: Any) -> None:
        calls.append([position for position, _ in batch])
        original(self, w, batch)

    monkeypatch.setattr(LedgerProjection, "process", process)
    return calls


def mixed_ledger() -> list[dict[str, Any]]:
    """Three branches, registered out of code order, over several years."""
    v2 = [
        village("V2", county="濮阳县", township="城关镇"),
        *five_star_village_year("V2", 2024),
        rec("metric.reported", "V2", "2024-12-28", year=2024, metric="sanitary_toilet_ratio",
            value=0.78, id="r-0042"),
    ]  # fmt: skip
    c1 = [community("C1"), *five_star_community_year("C1", 2024)]
    v1 = [village("V1"), *five_star_village_years("V1", [2023, 2024])]
    return [*v2, *c1, *v1]


# ------------------------------------------------------------------- shape
def test_eligibility_json_shape_sorted_and_complete(cli, write_ledger):
    load(cli, write_ledger, [*mixed_ledger(), village("V0")])
    results = eligibility(cli, 2024)
    assert [e["branch"] for e in results] == ["C1", "V0", "V1", "V2"]
    for e in results:
        assert set(e) == ELIGIBILITY_KEYS
        assert e["year"] == 2024
        assert e["rulebook"] == "puyang-2022"
        assert e["excluded"] is False and e["exclusion"] is None
        for c in e["criteria"]:
            assert set(c) == CRITERION_KEYS
            assert isinstance(c["met"], bool)
            assert isinstance(c["detail"], str) and c["detail"]
            assert isinstance(c["evidence"], list)
        expected = VILLAGE_CRITERIA if e["kind"] == "village" else COMMUNITY_CRITERIA
        assert len(e["criteria"]) == expected
        assert len({(c["star"], c["criterion"]) for c in e["criteria"]}) == expected
    by = {e["branch"]: e for e in results}
    assert by["C1"]["kind"] == "community" and by["C1"]["eligible"] == ALL_COMMUNITY
    assert by["V1"]["eligible"] == ALL_VILLAGE
    assert by["V0"]["eligible"] == []  # registered, no facts: still listed
    assert by["V2"]["eligible"] == [
        "industry_thriving",
        "safety_rule_of_law",
        "civility_happiness",
    ]
    toilet = next(c for c in by["V2"]["criteria"] if c["criterion"] == "sanitary_toilet_ratio")
    assert toilet == {
        "star": "ecology_livable",
        "criterion": "sanitary_toilet_ratio",
        "met": False,
        "detail": "0.78 < 0.80",
        "evidence": ["r-0042"],
    }
    # a year with no facts for anybody still lists every registered branch
    assert [e["branch"] for e in eligibility(cli, 2026)] == ["C1", "V0", "V1", "V2"]
    assert all(e["eligible"] == [] for e in eligibility(cli, 2026))
    assert {e["branch"]: e["eligible"] for e in eligibility(cli, 2023)}["V1"] == ALL_VILLAGE


def test_branch_filter(cli, write_ledger):
    load(cli, write_ledger, mixed_ledger())
    only = eligibility(cli, 2024, "--branch", "V2")
    assert [e["branch"] for e in only] == ["V2"]
    assert only[0] == {e["branch"]: e for e in eligibility(cli, 2024)}["V2"]
    res = cli("eligibility", "--year", "2024", "--branch", "NOPE", "--json")
    assert res.code == 2
    assert "NOPE" in res.err


def test_rulebook_option_evaluates_without_adopting(cli, write_ledger):
    load(cli, write_ledger, mixed_ledger())
    stored = eligibility(cli, 2024)
    revised = eligibility(cli, 2024, "--rulebook", "puyang-2024-revision")
    assert [e["branch"] for e in revised] == [e["branch"] for e in stored]
    assert {e["rulebook"] for e in revised} == {"puyang-2024-revision"}
    by = {e["branch"]: e for e in revised}
    # no meetings were recorded: branch_strong fails through org_life_quota
    assert by["V1"]["eligible"] == ALL_VILLAGE[1:]
    quota = next(c for c in by["V1"]["criteria"] if c["criterion"] == "org_life_quota")
    assert quota["met"] is False and quota["star"] == "branch_strong"
    assert by["C1"]["eligible"] == ALL_COMMUNITY[1:]
    # nothing adopted, the read model untouched
    assert eligibility(cli, 2024) == stored
    assert {e["rulebook"] for e in stored} == {"puyang-2022"}
    assert cli("rulebooks", "--json").json()["adoptions"] == []
    # naming the rulebook in force is the stored answer
    assert eligibility(cli, 2024, "--rulebook", "puyang-2022") == stored
    assert cli("eligibility", "--year", "2024", "--rulebook", "nope-1999").code == 2


@pytest.mark.parametrize(("lifted", "excluded"), [("2024-01-01", False), ("2024-01-02", True)])
def test_exclusion_follows_later_records(cli, write_ledger, lifted: str, excluded: bool):
    load(cli, write_ledger, [village("V1"), *five_star_village_years("V1", [2023, 2024])])
    load(cli, write_ledger, [rec("weakness.designated", "V1", "2023-05-01", id="weak")])
    for year in (2023, 2024):
        e = eligibility(cli, year)[0]
        assert e["excluded"] is True and e["eligible"] == []
        assert set(e["exclusion"]) == {"detail", "evidence"}
        assert e["exclusion"]["evidence"] == ["weak"]
        assert len(e["criteria"]) == VILLAGE_CRITERIA
        assert all(c["met"] for c in e["criteria"])  # still reported
    assert eligibility(cli, 2026)[0]["excluded"] is True  # no facts that year, still excluded
    # the lift, recorded later, is applied to the stored years
    load(cli, write_ledger, [rec("weakness.lifted", "V1", lifted, id="lift")])
    assert eligibility(cli, 2023)[0]["exclusion"]["evidence"] == ["weak", "lift"]
    e = eligibility(cli, 2024)[0]
    assert e["excluded"] is excluded
    if excluded:
        assert e["eligible"] == [] and e["exclusion"]["evidence"] == ["weak", "lift"]
    else:
        assert e["eligible"] == ALL_VILLAGE and e["exclusion"] is None
    assert eligibility(cli, 2026)[0]["excluded"] is False


# ------------------------------------------------------------------ as-of
def test_as_of_and_position_answer_what_the_ledger_said_then(cli, write_ledger):
    load(cli, write_ledger, [village("V1"), *five_star_village_year("V1", 2024)])
    then = eligibility(cli, 2024)
    assert then[0]["eligible"] == ALL_VILLAGE
    before = cli("history", "V1", "--json").json()[-1]
    late = rec("incident.recorded", "V1", "2024-05-01", category="gambling", id="late-gambling")
    load(cli, write_ledger, [late])
    after = cli("history", "V1", "--json").json()[-1]
    assert after["record"]["id"] == "late-gambling"
    assert after["position"] > before["position"]

    now = eligibility(cli, 2024)
    assert "safety_rule_of_law" not in now[0]["eligible"]
    assert eligibility(cli, 2024, "--position", str(before["position"])) == then
    assert eligibility(cli, 2024, "--as-of", before["recorded_at"]) == then
    # inclusive: as of the incident's own recording time it is seen
    assert eligibility(cli, 2024, "--as-of", after["recorded_at"]) == now
    assert eligibility(cli, 2024, "--position", str(after["position"])) == now
    # a zone-less timestamp is UTC
    naive = before["recorded_at"].removesuffix("Z").split("+")[0]
    assert eligibility(cli, 2024, "--as-of", naive) == then
    # before anything was recorded there is no branch at all
    assert eligibility(cli, 2024, "--as-of", "2000-01-01T00:00:00") == []


# ------------------------------------------------------ crash and resume
def _crash_ledger() -> list[dict[str, Any]]:
    """Members developed fall in the second batch of five events."""
    facts = [
        r
        for r in five_star_village_years("V1", [2024, 2025])
        if not (r["type"] == "plan.set" and r["year"] == 2024)
    ]
    members = [
        rec("member.developed", "V1", "2024-03-01", person="甲", id="m-a"),
        rec("member.developed", "V1", "2024-04-01", person="乙", id="m-b"),
        rec("plan.set", "V1", "2024-01-05", year=2024, target=3, id="plan"),
    ]
    return [
        village("V1"),
        *facts[:4],
        *members,
        *facts[4:],
        *chain("V1", 2024, ALL_VILLAGE, "province"),
    ]


def test_projection_resumes_after_a_crash_between_events(db, cli, write_ledger, monkeypatch):
    records = _crash_ledger()

    # 1. the ledger accepts everything but the read models never see it
    def dead(self: LedgerProjection, w: Any, batch: Any) -> None:
        raise SimulatedCrash("projection down")

    monkeypatch.setattr(LedgerProjection, "process", dead)
    with pytest.raises(RuntimeError):
        cli("import", str(write_ledger(records)))
    monkeypatch.undo()
    top = top_position(db)
    assert top == len(records)

    # 2. catch up five events a batch; crash after writing (not committing) the second batch
    calls = crash_on_call(monkeypatch, 2)
    with FiveStar(db, Settings(projection_batch_size=5)) as svc:
        with pytest.raises(RuntimeError):
            svc.catch_up()
        assert calls == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
        assert svc.position() == 5  # the second batch rolled back whole
    monkeypatch.undo()

    # 3. a new process resumes from the last committed batch
    seen = count_calls(monkeypatch)
    with FiveStar(db, Settings(projection_batch_size=5)) as svc:
        assert svc.catch_up() == top
    assert seen[0][0] == 6
    assert sum(len(b) for b in seen) == top - 5
    monkeypatch.undo()

    stored = {year: eligibility(cli, year) for year in (2023, 2024, 2025)}
    for year, results in stored.items():
        replayed = eligibility(cli, year, "--position", str(top))
        assert results == replayed, year
    plan = next(c for c in stored[2024][0]["criteria"] if c["criterion"] == "development_plan")
    assert plan["met"] is True
    assert plan["detail"] == "3 members developed in 2024 >= target 3"  # counted once
    assert sorted(plan["evidence"]) == sorted(["plan", "m-a", "m-b", *_builder_member(records)])
    assert stored[2024][0]["eligible"] == ALL_VILLAGE
    awards = cli("awards", "--year", "2024", "--json").json()
    assert [(a["branch"], a["level"], a["stale"]) for a in awards] == [("V1", 5, False)]


def _builder_member(records: list[dict[str, Any]]) -> list[str]:
    return [
        r["id"]
        for r in records
        if r["type"] == "member.developed" and r["on"].startswith("2024") and r["id"][:2] != "m-"
    ]


# --------------------------------------------------------------- rebuild
def _rebuild_ledger() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    first = [
        village("V1"),
        rec("branch.secretary_appointed", "V1", "2022-01-01", person="张三", civil_servant=False),
        *five_star_village_years("V1", [2022, 2023, 2024]),
        *chain("V1", 2022, ALL_VILLAGE, "province"),
        *chain("V1", 2023, ALL_VILLAGE[1:], "city"),
        village("V2", county="南乐县"),
        *five_star_village_year("V2", 2024),
        rec("incident.recorded", "V2", "2024-02-02", category="gambling", id="v2-gam"),
        rec("incident.recorded", "V2", "2024-03-03", category="school_dropout", id="v2-drop"),
        rec("incident.retracted", "V2", "2024-04-04", ref="v2-drop", reason="误报"),
        *chain("V2", 2024, ["industry_thriving", "ecology_livable"], "county"),
        community("C1"),
        *five_star_community_year("C1", 2023),
        rec("weakness.designated", "C1", "2023-05-01", id="c1-weak"),
        rec("weakness.lifted", "C1", "2023-09-01", id="c1-lift"),
    ]
    second = [
        *chain("V1", 2024, ALL_VILLAGE, "province"),
        rec("incident.recorded", "V1", "2024-11-11", category="member_violation", id="v1-late"),
        rec("member.developed", "V1", "2025-02-01", person="丙"),
    ]
    return first, second


def test_rebuild_equals_incremental(db, cli, write_ledger):
    first, second = _rebuild_ledger()
    load(cli, write_ledger, first)
    load(cli, write_ledger, second)
    res = cli("recompute", "--year", "2025", "--rulebook", "puyang-2024-revision", "--adopt",
              "--reason", "试行修订标准")  # fmt: skip
    assert res.code == 0, res.err
    incremental = snapshot(cli)
    # the ledger says something worth comparing
    assert {a["branch"]: a["stale"] for a in incremental["awards 2024"]} == {
        "V1": True,
        "V2": False,
    }
    assert incremental["eligibility 2023"][0]["excluded"] is True  # C1
    assert {e["rulebook"] for e in incremental["eligibility 2025"]} == {"puyang-2024-revision"}

    res = cli("rebuild")
    assert res.code == 0, res.err
    assert f"position {top_position(db)}" in res.out
    assert snapshot(cli) == incremental
    assert cli("rebuild").code == 0  # and again, over the swapped-in tables
    assert snapshot(cli) == incremental
    # and the rebuilt read models keep following the ledger
    blockage = rec("incident.recorded", "V2", "2024-05-05", category="river_blockage")
    load(cli, write_ledger, [blockage])
    v2 = {e["branch"]: e for e in eligibility(cli, 2024)}["V2"]
    assert v2["eligible"] == ["industry_thriving", "civility_happiness"]


def test_interrupted_rebuild_resumes(db, cli, write_ledger, monkeypatch):
    """A rebuild commits one branch stream at a time here; killed after the first, it
    resumes with the streams not done, and events recorded meanwhile are caught up."""
    first, second = _rebuild_ledger()
    load(cli, write_ledger, first)
    rebuild_in(monkeypatch, group=1, workers=1)  # in this process, to count and crash
    written = crash_on_write(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        cli("rebuild")
    assert len(written) == 2  # the second stream's transaction was rolled back
    load(cli, write_ledger, second)  # the ledger moves on while the rebuild is stopped
    incremental = snapshot(cli)

    monkeypatch.undo()
    rebuild_in(monkeypatch, group=1, workers=1)
    resumed = count_writes(monkeypatch)
    res = cli("rebuild")
    assert res.code == 0, res.err
    assert written[0][0] not in {code for batch in resumed for code in batch}
    assert len(resumed) == 2  # the two streams not done; the catch-up does the rest
    assert snapshot(cli) == incremental


def crash_on_write(monkeypatch: pytest.MonkeyPatch, n: int) -> list[list[str]]:
    """Make the rebuild's folding of a group of streams raise on its ``n``-th call (before
    the group's transaction, so that group is not committed)."""
    original = rebuild_module.fold_group
    calls: list[list[str]] = []

    def fold_group(projections: Any, batch: Any, others: Any) -> Any:
        calls.append(sorted({event.record.branch for _, event in batch}))
        if len(calls) == n:
            raise SimulatedCrash(f"crash while folding {calls[-1]}")
        return original(projections, batch, others)

    monkeypatch.setattr(rebuild_module, "fold_group", fold_group)
    return calls


def count_writes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    original = rebuild_module.fold_group
    calls: list[list[str]] = []

    def fold_group(projections: Any, batch: Any, others: Any) -> Any:
        calls.append(sorted({event.record.branch for _, event in batch}))
        return original(projections, batch, others)

    monkeypatch.setattr(rebuild_module, "fold_group", fold_group)
    return calls


def test_rebuild_equals_incremental_when_an_adoption_shares_a_batch(
    db, cli, write_ledger, monkeypatch
):
    facts = [village("V1"), *five_star_village_year("V1", 2024)]
    load(cli, write_ledger, facts)
    load(cli, write_ledger, [rec("branch.secretary_appointed", "V1", "2024-02-01",
                                person="张三", civil_servant=False)])  # fmt: skip
    res = cli("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision", "--adopt",
              "--reason", "r")  # fmt: skip
    assert res.code == 0
    incremental = eligibility(cli, 2024)
    assert incremental[0]["rulebook"] == "puyang-2024-revision"
    assert incremental[0]["eligible"] == ALL_VILLAGE[1:]
    # batch 1: the facts; batch 2: the appointment and the adoption
    small_batches(monkeypatch, len(facts))
    assert cli("rebuild").code == 0
    assert eligibility(cli, 2024) == incremental


# ----------------------------------------------------------- readable table
def test_readable_table_uses_chinese_star_names(cli, write_ledger):
    load(cli, write_ledger, mixed_ledger())
    res = cli("eligibility", "--year", "2024")
    assert res.code == 0
    lines = {line.split()[0]: line for line in table_body(res.out)}
    assert set(lines) == {"C1", "V1", "V2"}
    assert res.out.splitlines()[-1] == "3 branches for 2024: 3★ 1, 5★ 2"
    for name in ("★支部过硬星", "★产业兴旺星", "★生态宜居星", "★平安法治星", "★文明幸福星"):
        assert name in lines["V1"]
    for name in ("★支部过硬星", "★共建共享星", "★平安法治星", "★幸福和谐星", "★宜业兴业星"):
        assert name in lines["C1"]
    assert "☆生态宜居星" in lines["V2"] and "☆支部过硬星" in lines["V2"]
    assert "5★" in lines["V1"] and "3★" in lines["V2"]
    assert "branch_strong" not in res.out.split("\n")[0]
    detail = cli("eligibility", "--year", "2024", "--branch", "V2").out
    assert "☆ ecology_livable 生态宜居星: not eligible" in detail
    assert "✗ sanitary_toilet_ratio 卫生户厕占比80%以上\n      0.78 < 0.80 [r-0042]" in detail
    assert "★ industry_thriving 产业兴旺星: eligible" in detail
    assert "✓ collective_income 村集体经济年经营收益在20万元以上\n      250000 >= 200000" in detail


def test_a_rebuild_in_two_processes_equals_one_in_this_process(db, cli, write_ledger, monkeypatch):
    first, second = _rebuild_ledger()
    load(cli, write_ledger, [*first, *second])
    incremental = snapshot(cli)
    rebuild_in(monkeypatch, group=2, workers=2)
    assert cli("rebuild").code == 0
    assert snapshot(cli) == incremental
    rebuild_in(monkeypatch, group=2, workers=1)
    assert cli("rebuild").code == 0
    assert snapshot(cli) == incremental
