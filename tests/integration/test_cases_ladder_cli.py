"""``fivestar cases`` and ``fivestar ladder`` as a county official reads them (both stores)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.builders import community, rec, village

WriteLedger = Callable[..., Path]


def _ledger() -> list[dict[str, Any]]:
    areas = ["branch_strong", "co_build_share", "happiness_harmony"]
    return [
        village("V1", "清丰县", "柳格镇"),
        community("C1", "华龙区", "胜利路街道"),
        rec("case.reported", "V1", "2025-03-01", case="k1", category="dispute",
            occurred_on="2025-03-01"),
        rec("case.reported", "V1", "2025-03-01", case="k2", category="safety_hazard",
            occurred_on="2025-03-01"),
        rec("case.resolved", "V1", "2025-03-04", case="k2", outcome="隐患已整改"),
        rec("case.reported", "C1", "2025-03-01", case="c1", category="dispute",
            occurred_on="2025-03-01"),
        rec("case.assigned", "C1", "2025-03-03", case="c1", level="county", unit="县住建局"),
        *[
            rec("problem.registered", "C1", "2025-03-01", problem=f"p{i}", area=a,
                summary="群众反复反映", deadline="2025-06-01")
            for i, a in enumerate(areas)
        ],
    ]  # fmt: skip


def test_cases_print_one_line_each_with_chinese_labels_overdue_first(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    out = cli("cases", "--on", "2025-03-10").out.splitlines()
    assert out[0].startswith("[超期] C1 c1 矛盾纠纷 县级 第9天")
    assert "县级 签收超时" in out[0]
    assert out[1] == "V1 k1 矛盾纠纷 乡镇处理 第9天 超过7天目标 办理中"
    assert out[2] == "V1 k2 重大安全隐患 乡镇处理 第3天 已办结"
    assert [c["case"] for c in cli("cases", "--on", "2025-03-10", "--open", "--json").json()] == [
        "c1",
        "k1",
    ]
    overdue = cli("cases", "--on", "2025-03-14", "--overdue", "--county", "清丰县", "--json")
    assert [(c["branch"], c["case"]) for c in overdue.json()] == [("V1", "k1")]
    summary = cli("cases", "--summary", "--year", "2025", "--on", "2025-03-10").out
    assert "华龙区 合计超期案件" in summary and "**1**" in summary


def test_cases_refuse_what_they_cannot_answer(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    assert cli("cases", "--summary").code == 2
    assert "unknown branch" in cli("cases", "--branch", "NOPE").err
    assert cli("ladder", "--apply").code == 2  # needs --on


def test_ladder_apply_prints_one_line_per_community_and_is_idempotent(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    shortfall = cli("ladder", "--on", "2025-04-01", "--shortfall").out
    assert shortfall.startswith("C1 2025-04-01 | 需 工作组整改（列为软弱涣散） (3 open areas)")
    first = cli("ladder", "--apply", "--on", "2025-04-01")
    assert first.code == 0
    assert first.out.splitlines() == [
        "C1 已记录 recorded weakness.designated ladder-2025-04-01: 整改整顿: 3 open areas"
    ]
    again = cli("ladder", "--apply", "--on", "2025-04-01")
    assert again.out.splitlines() == ["C1 已列入软弱涣散 already listed since 2025-04-01"]
    history = cli("history", "C1", "--json").json()
    assert sum(e["record"]["type"] == "weakness.designated" for e in history) == 1
    listed = cli("ladder", "--on", "2025-04-01", "--branch", "C1", "--json").json()
    assert listed[0]["listed"] is True
    eligibility = cli("eligibility", "--year", "2025", "--branch", "C1", "--json").json()
    assert eligibility[0]["excluded"] is True


def test_read_models_built_before_cases_and_ladder_ask_for_a_rebuild(
    db: str, cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    from domain.application.service import FiveStar

    assert cli("import", str(write_ledger(_ledger()))).code == 0
    with FiveStar(db) as svc, svc.views.writing() as w:  # as an earlier version left them
        for table in ("case_branches", "cases", "ladder_places", "ladder"):
            w.execute(f"DELETE FROM {{p}}{table}")
    for command in (("cases", "--on", "2025-03-10"), ("ladder", "--on", "2025-04-01")):
        refused = cli(*command)
        assert refused.code == 2 and "fivestar rebuild" in refused.err
    assert cli("rebuild").code == 0
    assert len(cli("cases", "--on", "2025-03-10", "--json").json()) == 3
    assert len(cli("ladder", "--on", "2025-04-01", "--json").json()) == 2


def test_year_lists_the_cases_reported_in_it_and_summary_refuses_list_filters(
    cli: Callable[..., Any], write_ledger: WriteLedger
) -> None:
    # given cases reported in 2025 and one in 2026
    more = [rec("case.reported", "V1", "2026-01-02", case="k9", category="dispute",
                occurred_on="2026-01-02")]  # fmt: skip
    assert cli("import", str(write_ledger(_ledger() + more))).code == 0
    # when cases are listed for 2025, then the 2026 one is not among them
    listed = cli("cases", "--year", "2025", "--on", "2026-01-10", "--json").json()
    assert sorted(c["case"] for c in listed) == ["c1", "k1", "k2"]
    assert [c["case"] for c in cli("cases", "--year", "2026", "--json").json()] == ["k9"]
    # and a summary asked for one branch says the summary is per township (exit 2)
    refused = cli("cases", "--summary", "--year", "2025", "--branch", "V1")
    assert refused.code == 2 and "--summary counts per township" in refused.err
