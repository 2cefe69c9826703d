"""`fivestar compliance` and `fivestar staffing` (mechanisms.md §2) on SQLite and PostgreSQL.

Every requirement of §2 with its period boundaries: quarter and month ends, ISO week 53 (2026),
D in the middle of a period, records dated after D, a grid redefined and retired mid-year, a
linkage month corrected by a later report; the read model after `fivestar rebuild`, and the
as-of replay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.builders import community, rec, village

Cli = Callable[..., Any]
WriteLedger = Callable[..., Path]


def meeting(code: str, on: str, kind: str, **extra: Any) -> dict[str, Any]:
    return rec("meeting.held", code, on, kind=kind, **extra)


def judged(
    cli: Cli, write_ledger: WriteLedger, records: list[dict[str, Any]], year: int, on: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """Import ``records`` and judge ``year`` on ``on``: branch -> requirement -> object."""
    result = cli("import", str(write_ledger(records)))
    assert result.code == 0, result.out
    return ask(cli, year, on)


def ask(cli: Cli, year: int, on: str, *extra: str) -> dict[str, dict[str, dict[str, Any]]]:
    out = cli("compliance", "--year", str(year), "--on", on, "--json", *extra)
    assert out.code == 0, out.err
    return {o["branch"]: {r["requirement"]: r for r in o["requirements"]} for o in out.json()}


def brief(req: dict[str, Any]) -> tuple[str, int, int, list[str]]:
    return req["status"], req["due"], req["held"], req["missing"]


# --------------------------------------------------------------- quarters, months
def test_quarters_months_and_the_year_with_d_mid_period(
    cli: Cli, write_ledger: WriteLedger
) -> None:
    v = "V1"
    records = [
        village(v),
        meeting(v, "2025-03-31", "party_congress", id="pc-q1"),  # last day of Q1
        meeting(v, "2025-07-01", "party_congress", id="pc-q3"),  # first day of Q3
        meeting(v, "2025-10-02", "party_congress", id="pc-after"),  # after D below
        meeting(v, "2025-01-15", "party_lesson", id="pl-1"),
        meeting(v, "2025-01-05", "theme_day", id="td-1"),
        meeting(v, "2025-02-28", "theme_day", id="td-2"),  # month end, not the 5th
        meeting(v, "2025-04-05", "theme_day", id="td-4"),
        meeting(v, "2025-06-01", "org_life", id="ol-1"),
    ]
    got = judged(cli, write_ledger, records, 2025, "2025-09-30")[v]
    assert brief(got["party_congress_quarterly"]) == ("missed", 3, 2, ["2025-Q2"])
    assert got["party_congress_quarterly"]["evidence"] == ["pc-q1", "pc-q3"]
    assert brief(got["party_lesson_quarterly"]) == ("missed", 3, 1, ["2025-Q2", "2025-Q3"])
    theme = got["theme_day_monthly"]
    assert theme["due"] == 9 and theme["held"] == 3
    assert theme["missing"] == ["2025-03", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]
    assert len(theme["warnings"]) == 1 and "2025-02-28" in theme["warnings"][0]
    # the year is not due before 2025-12-31: pending, whatever was held
    assert brief(got["org_life_yearly"]) == ("pending", 0, 0, [])
    # D mid-quarter: Q3 is not due on 2025-09-29, so the 2025-07-01 congress is no evidence yet
    mid = ask(cli, 2025, "2025-09-29")[v]["party_congress_quarterly"]
    assert brief(mid) == ("missed", 2, 1, ["2025-Q2"]) and mid["evidence"] == ["pc-q1"]
    end = ask(cli, 2025, "2025-12-31")[v]
    assert brief(end["org_life_yearly"]) == ("met", 1, 1, [])
    assert end["party_congress_quarterly"]["evidence"] == ["pc-q1", "pc-q3", "pc-after"]


def test_every_quarter_held_is_met(cli: Cli, write_ledger: WriteLedger) -> None:
    c = "C1"
    records = [community(c)] + [
        meeting(c, day, "party_congress") for day in ("2024-01-01", "2024-04-30", "2024-08-01")
    ]
    records.append(meeting(c, "2024-12-31", "party_congress", id="last"))
    got = judged(cli, write_ledger, records, 2024, "2024-12-31")[c]["party_congress_quarterly"]
    assert brief(got) == ("met", 4, 4, []) and got["evidence"][-1] == "last"
    assert ask(cli, 2024, "2024-12-30")[c]["party_congress_quarterly"]["status"] == "pending"


# ------------------------------------------------------------------- ISO weeks
def test_iso_week_53_of_2026_ends_on_2027_01_03(cli: Cli, write_ledger: WriteLedger) -> None:
    v = "V1"
    records = [village(v)]
    # a briefing every Monday of ISO year 2026 (2025-12-29 .. 2026-12-28) but W10
    for week in range(1, 54):
        if week != 10:
            monday = datetime.fromisocalendar(2026, week, 1).date().isoformat()
            records.append(meeting(v, monday, "two_committee_briefing", id=f"b{week:02d}"))
    got = judged(cli, write_ledger, records, 2026, "2027-01-02")[v]["briefing_weekly"]
    assert brief(got) == ("missed", 52, 51, ["2026-W10"])  # W53 not yet due
    assert got["evidence"][0] == "b01"  # dated 2025-12-29, in ISO week 2026-W01
    done = ask(cli, 2026, "2027-01-03")[v]["briefing_weekly"]
    assert brief(done) == ("missed", 53, 52, ["2026-W10"])
    assert ask(cli, 2025, "2025-12-31")[v]["briefing_weekly"]["due"] == 52


# --------------------------------------------------------------------- linkage
LINK = dict(
    households=500,
    households_linked=500,
    members=30,
    members_exempt=3,
    members_linking=27,
    members_contacting_weekly=27,
)


def test_linkage_due_from_the_5th_and_corrected_by_a_later_report(
    cli: Cli, write_ledger: WriteLedger
) -> None:
    v = "V1"
    records = [
        village(v),
        rec("linkage.reported", v, "2025-02-05", id="l1", month="2025-01", **LINK),
        rec(
            "linkage.reported", v, "2025-03-05", id="l2", month="2025-02",
            **{**LINK, "members_contacting_weekly": 20},
        ),
        # a correction for February, dated later
        rec("linkage.reported", v, "2025-03-20", id="l2b", month="2025-02", **LINK),
        rec(
            "linkage.reported", v, "2025-04-05", id="l3", month="2025-03",
            **{**LINK, "households": 510, "households_linked": 510},
        ),
    ]  # fmt: skip
    on_0304 = judged(cli, write_ledger, records, 2025, "2025-03-04")[v]["linkage_monthly"]
    assert brief(on_0304) == ("pending", 1, 1, [])  # February not due until 03-05
    on_0310 = ask(cli, 2025, "2025-03-10")[v]["linkage_monthly"]
    assert brief(on_0310) == ("missed", 2, 1, ["2025-02"])  # correction dated after D
    on_0405 = ask(cli, 2025, "2025-04-05")[v]["linkage_monthly"]
    assert brief(on_0405) == ("pending", 3, 3, [])
    assert on_0405["evidence"] == ["l1", "l2b", "l3"]
    assert len(on_0405["warnings"]) == 1 and "510" in on_0405["warnings"][0]


# ----------------------------------------------------- wealth leaders, double binding
COOP = dict(name="社", households=20)
LEADING = dict(name="社", households=20, enterprise="龙头")


def test_wealth_leader_window_and_dual_binding(cli: Cli, write_ledger: WriteLedger) -> None:
    v, w = "V1", "V2"
    records = [
        village(v),
        village(w),
        rec("member.developed", v, "2024-06-01", id="m1", person="甲", wealth_leader=True),
        rec("member.developed", w, "2023-12-31", id="m2", person="乙", wealth_leader=True),
        rec("cooperative.bound", v, "2025-03-01", id="k1", cooperative="K1", **COOP),
        rec("cooperative.bound", v, "2025-05-01", id="k1b", cooperative="K1", **LEADING),
        rec("cooperative.unbound", v, "2025-11-01", id="k1u", cooperative="K1"),
    ]  # fmt: skip
    got = judged(cli, write_ledger, records, 2025, "2025-12-31")
    assert brief(got[v]["wealth_leader_biennial"]) == ("met", 1, 1, [])
    assert brief(got[w]["wealth_leader_biennial"]) == ("missed", 1, 0, ["2024-2025"])
    assert ask(cli, 2024, "2024-12-31")[w]["wealth_leader_biennial"]["status"] == "met"
    # unbound on 2025-11-01: nothing bound on S = 2025-12-31
    assert got[v]["dual_binding_register"]["status"] == "missed"
    assert len(got[v]["dual_binding_register"]["missing"]) == 1
    mid = ask(cli, 2025, "2025-06-30")[v]["dual_binding_register"]
    assert brief(mid) == ("met", 1, 1, []) and mid["evidence"] == ["k1b"]
    april = ask(cli, 2025, "2025-04-30")[v]["dual_binding_register"]
    assert april["status"] == "missed"  # bound, but to no enterprise yet


# ------------------------------------------------------------------ facilities
def facility(code: str, on: str, rid: str, what: str, value: float) -> dict[str, Any]:
    return rec("facility.reported", code, on, id=rid, year=2025, facility=what, value=value)


def test_public_toilets_and_service_centre(cli: Cli, write_ledger: WriteLedger) -> None:
    v, c = "V1", "C1"  # V1: population 1800 -> 2 toilets; C1: 2000 households -> 600 m²
    records = [
        village(v),
        community(c),
        facility(v, "2025-06-01", "f1", "public_toilets", 2),
        facility(v, "2025-12-20", "f2", "public_toilets", 1),
        facility(c, "2025-06-01", "f3", "service_centre_m2", 599.99),
        facility(c, "2026-01-10", "f4", "service_centre_m2", 600),
    ]  # fmt: skip
    got = judged(cli, write_ledger, records, 2025, "2025-12-31")
    assert brief(got[v]["public_toilets"]) == ("missed", 1, 0, ["2025"])  # latest says 1
    assert brief(got[c]["service_centre_area"]) == ("missed", 1, 0, ["2025"])
    later = ask(cli, 2025, "2026-01-10")
    assert brief(later[c]["service_centre_area"]) == ("met", 1, 1, [])
    assert later[c]["service_centre_area"]["evidence"] == ["f4"]
    assert ask(cli, 2025, "2025-12-30")[v]["public_toilets"]["status"] == "pending"
    # no report at all: missed once the year is due
    assert ask(cli, 2026, "2026-12-31")[v]["public_toilets"]["status"] == "missed"


# ------------------------------------------------------------------------ grids
def grid(
    code: str, on: str, g: str, households: int, workers: int = 1, **kw: Any
) -> dict[str, Any]:
    fields = dict(households=households, head="王", full_time_workers=workers)
    return rec("grid.defined", code, on, grid=g, **fields, **kw)


def knock(code: str, on: str, g: str, **kw: Any) -> dict[str, Any]:
    return rec("activity.held", code, on, kind="door_knocking", grid=g, **kw)


def test_grids_redefined_and_retired_mid_year(cli: Cli, write_ledger: WriteLedger) -> None:
    c = "C1"  # 2000 households registered
    records = [
        community(c),
        grid(c, "2025-01-01", "G1", 1000, id="g1"),
        grid(c, "2025-01-01", "G2", 1000, workers=0, id="g2"),
        grid(c, "2025-03-15", "G2", 520, id="g2b"),  # redefined mid-March
        grid(c, "2025-03-15", "G3", 480, id="g3"),
        rec("grid.retired", c, "2025-06-15", id="g3r", grid="G3"),  # retired mid-June
        grid(c, "2025-06-15", "G1", 1480, id="g1b"),
        rec("activity.held", c, "2025-02-10", kind="emergency_drill", id="drill"),
    ]
    for month in range(1, 8):
        for g in ("G1", "G2"):
            records.append(knock(c, f"2025-{month:02d}-10", g, id=f"k-{g}-{month}"))
    records.append(knock(c, "2025-04-10", "G3", id="k-G3-4"))  # G3 misses May
    got = judged(cli, write_ledger, records, 2025, "2025-07-31")[c]
    doors = got["door_knocking_monthly"]
    # G1, G2 every month Jan-Jul; G3 active on the first and last day of Apr and May only
    assert doors["due"] == 16 and doors["missing"] == ["G3 2025-05"]
    grids = got["grid_standard"]
    assert grids["status"] == "met" and grids["evidence"] == ["g2b", "g1b"]
    assert len(grids["warnings"]) == 2  # G1 1480 and G2 520 outside 300-500
    february = ask(cli, 2025, "2025-02-28")[c]["grid_standard"]
    assert february["status"] == "missed" and len(february["missing"]) == 1  # G2 no worker
    april = ask(cli, 2025, "2025-04-30")[c]["grid_standard"]  # 1000 + 520 + 480 = 2000
    assert april["status"] == "met" and april["evidence"] == ["g1", "g2b", "g3"]
    december = ask(cli, 2025, "2025-12-31")[c]["grid_standard"]
    assert december["evidence"] == ["g2b", "g1b"]  # G3 retired
    year_end = ask(cli, 2025, "2025-12-31")[c]
    assert year_end["emergency_drill_yearly"]["status"] == "met"
    assert ask(cli, 2024, "2024-12-31")[c]["grid_standard"]["missing"] == [
        "no active grid (未设网格)"
    ]


def test_no_grid_active_all_year_is_met_with_nothing_due(
    cli: Cli, write_ledger: WriteLedger
) -> None:
    c = "C1"
    got = judged(cli, write_ledger, [community(c)], 2025, "2025-12-31")[c]
    assert brief(got["door_knocking_monthly"]) == ("met", 0, 0, [])
    assert got["joint_building_partners"]["status"] == "missed"
    assert brief(got["emergency_drill_yearly"]) == ("missed", 1, 0, ["2025"])


def test_partners_active_on_s(cli: Cli, write_ledger: WriteLedger) -> None:
    c = "C1"
    records = [
        community(c),
        rec("partner.joined", c, "2025-02-01", id="pj", partner="P1", unit="局", unit_kind="organ"),
        rec("partner.left", c, "2025-09-01", id="pl", partner="P1"),
    ]  # fmt: skip
    got = judged(cli, write_ledger, records, 2025, "2025-08-31")[c]["joint_building_partners"]
    assert brief(got) == ("met", 1, 1, []) and got["evidence"] == ["pj"]
    assert ask(cli, 2025, "2025-09-01")[c]["joint_building_partners"]["status"] == "missed"
    assert ask(cli, 2025, "2025-01-31")[c]["joint_building_partners"]["status"] == "missed"


# ---------------------------------------------------- read model, rebuild, as-of
def test_rebuild_and_as_of_give_the_same_answers(cli: Cli, write_ledger: WriteLedger) -> None:
    c = "C1"
    first = [community(c), grid(c, "2025-01-01", "G1", 2000, id="g1")]
    assert cli("import", str(write_ledger(first))).code == 0
    moment = datetime.now(UTC).isoformat()
    second = [grid(c, "2025-01-01", "G1", 1500, id="g1b")]
    assert cli("import", str(write_ledger(second))).code == 0
    now = ask(cli, 2025, "2025-06-30")
    assert now[c]["grid_standard"]["status"] == "missed"
    then = ask(cli, 2025, "2025-06-30", "--as-of", moment)
    assert then[c]["grid_standard"]["status"] == "met"
    assert cli("rebuild").code == 0
    assert ask(cli, 2025, "2025-06-30") == now


def test_read_models_that_predate_compliance_still_answer(
    db: str, cli: Cli, write_ledger: WriteLedger
) -> None:
    from domain.application.service import FiveStar

    c = "C1"
    records = [community(c), grid(c, "2025-01-01", "G1", 2000, id="g1")]
    assert cli("import", str(write_ledger(records))).code == 0
    with FiveStar(db) as svc, svc.views.writing() as w:  # as if upgraded from an older version
        w.execute("DELETE FROM {p}mechanism_facts")
        w.execute("DELETE FROM {p}compliance_years")
    got = ask(cli, 2025, "2025-06-30")[c]["grid_standard"]
    assert got["status"] == "met" and got["evidence"] == ["g1"]


def test_human_table_status_filter_and_unknown_branch(cli: Cli, write_ledger: WriteLedger) -> None:
    v = "V1"
    records = [village(v), meeting(v, "2025-01-05", "party_congress")]
    assert cli("import", str(write_ledger(records))).code == 0
    out = cli("compliance", "--year", "2025", "--on", "2025-09-30")
    assert out.code == 0
    assert "党员大会 每季度 1/3 缺 2025-Q2, 2025-Q3" in out.out
    assert "清丰县" in out.out and "党员大会 1" in out.out  # the county summary line
    missed = cli(
        "compliance", "--year", "2025", "--on", "2025-09-30", "--status", "missed", "--json"
    )
    statuses = {r["status"] for o in missed.json() for r in o["requirements"]}
    assert statuses == {"missed"}
    assert cli("compliance", "--year", "2025", "--branch", "NOPE").code == 2


# --------------------------------------------------------------------- staffing
def staff(code: str, year: int, workers: int, pay: float, **kw: Any) -> dict[str, Any]:
    return rec(
        "staffing.reported", code, f"{year}-12-01", year=year, workers=workers, lowest_pay=pay,
        social_insurance=kw.get("si", True), housing_fund=kw.get("hf", True),
    )  # fmt: skip


def test_staffing_per_county(cli: Cli, write_ledger: WriteLedger) -> None:
    records = [
        community("C1", "华龙区"),
        community("C2", "华龙区"),
        community("C3", "华龙区"),
        community("C9", "无参数县"),
        staff("C1", 2025, 100, 79999.99),
        staff("C1", 2025, 110, 80000),  # the latest for 2025 replaces the first
        staff("C2", 2025, 54, 90000, hf=False),
        staff("C9", 2025, 3, 1),
    ]
    out = cli("import", str(write_ledger(records)))
    assert out.code == 0
    rows = {o["county"]: o for o in cli("staffing", "--year", "2025", "--json").json()}
    hua = rows["华龙区"]  # urban_population 91112, wage_floor 80000 (rulebooks/)
    assert hua["communities"] == 3 and hua["workers"] == 164
    assert hua["per_10k"] == "18.00" and hua["meets_ratio"] is False  # 17.9998...
    assert hua["below_wage"] == [] and hua["without_insurance"] == ["C2"]
    assert hua["unreported"] == ["C3"]
    none = rows["无参数县"]
    assert none["per_10k"] is None and none["meets_ratio"] is None and none["below_wage"] is None
    assert list(rows) == sorted(rows)
    text = cli("staffing", "--year", "2025")
    assert "华龙区" in text.out and "未报: C3" in text.out
