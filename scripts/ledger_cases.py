"""Cases and problem registers for the synthetic ledger (mechanisms.md §3-§4), used by
``generate_ledger.py``.

Every draw comes from a generator seeded by (seed, branch, year, purpose), so adding these
records never changes what the rest of the generator draws. Items are the generator's
``[on, type, fields, None]`` lists in date order; all are accepted by the ledger.

Cases: most are resolved by the township within days; some are escalated to the county
platform; a few are reported or acknowledged late or run past their limits; community cases
are dispatched to the street or directly to a county unit and checked on site by the grid
head, one in fifteen reopened by a dissatisfied check; in the last year a few stay open.

Problem registers: most branches have none or one solved in time; one village in eight climbs
the ladder (a first secretary who fails, then a work team), one village in forty is
reorganised, one community in eight gets a street leader, and one community (the first
suitable) sees its street leader fail and is listed weak and lax by the ladder
(``weakness.designated`` with the ladder's id), then lifted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from typing import Any

Item = list  # [on, type, fields, None]

VILLAGE = "village"
CASE_CATEGORIES = (
    ("dispute", 5),
    ("petition_risk", 2),
    ("safety_hazard", 3),
    ("emergency", 1),
    ("suspected_crime", 1),
    ("other", 1),
)
SUMMARIES = (
    "邻里宅基地纠纷",
    "土地承包合同纠纷",
    "楼道电动车充电隐患",
    "欠薪群体讨薪苗头",
    "自建房安全隐患",
    "暴雨致道路积水",
)
TOWNSHIP_UNITS = ("乡综治中心", "乡派出所", "司法所", "街道综治中心", "街道城管办")
COUNTY_UNITS = ("县信访局", "县住建局", "县应急管理局", "县公安局", "县人社局")
NOTES = ("首次答复群众", "已到现场核实", "协调相关部门中")
OUTCOMES = ("调解成功", "隐患已整改", "已依法处理", "群众诉求已解决")
PROBLEM_SUMMARIES = (
    "群众反复反映道路失修",
    "集体经济收入连续下滑",
    "环境整治不到位",
    "矛盾纠纷久拖未决",
    "党员作用发挥不明显",
)
CADRES = ("县直单位干部", "县委组织部干部", "县国企干部")


def _rng(seed: int, code: str, year: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{code}:{year}:{purpose}")


def _iso(day: dt.date) -> str:
    return day.isoformat()


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ------------------------------------------------------------------------------ cases


def cases_of_year(seed: int, code: str, kind: str, year: int, last: int) -> list[Item]:
    """The cases a branch reports in ``year`` with every record of their handling."""
    rng = _rng(seed, code, year, "cases")
    count = rng.choice((0, 0, 1, 1, 1, 2, 2, 3))
    items: list[Item] = []
    for n in range(count):
        name = f"{year}-{n + 1:03d}"
        items.extend(_one_case(rng, name, kind, year, last))
    end = f"{last}-12-31"
    return sorted((i for i in items if i[0] <= end), key=lambda item: item[0])


def _one_case(rng: random.Random, name: str, kind: str, year: int, last: int) -> list[Item]:
    occurred = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 320))
    reported = occurred + dt.timedelta(days=rng.choice((0, 0, 0, 0, 1, 1, 2, 3)))
    category = rng.choices([c for c, _ in CASE_CATEGORIES], [w for _, w in CASE_CATEGORIES])[0]
    out: list[Item] = []

    def add(day: dt.date, typ: str, **fields: object) -> None:
        out.append([_iso(day), typ, {"case": name, **fields}, None])

    add(
        reported,
        "case.reported",
        category=category,
        occurred_on=_iso(occurred),
        summary=rng.choice(SUMMARIES),
    )
    stays_open = year == last and rng.random() < 0.06
    if kind == VILLAGE:
        _village_case(rng, add, reported, stays_open)
    else:
        _community_case(rng, add, reported, stays_open)
    return out


def _village_case(rng: random.Random, add: Any, start: dt.date, stays_open: bool) -> None:
    day = start + dt.timedelta(days=rng.choice((0, 0, 1)))
    add(day, "case.assigned", level="township", unit=rng.choice(TOWNSHIP_UNITS))
    taken = (day - start).days
    if rng.random() < 0.18:  # the township cannot resolve it: 提级 to the county platform
        escalated = start + dt.timedelta(days=rng.randint(1, 18))
        add(escalated, "case.escalated", reason="乡镇无法化解，提级县级平台")
        _thirteen(rng, add, escalated, "county", stays_open, verify=False)
        return
    if stays_open:
        add(start + dt.timedelta(days=rng.randint(1, 3)), "case.progressed", note=rng.choice(NOTES))
        return
    days = rng.choices((rng.randint(0, 7), rng.randint(8, 15), rng.randint(16, 25)), (80, 15, 5))[0]
    days = max(days, taken)
    if days >= 2:
        add(start + dt.timedelta(days=1), "case.progressed", note=rng.choice(NOTES))
    add(start + dt.timedelta(days=days), "case.resolved", outcome=rng.choice(OUTCOMES))


def _community_case(rng: random.Random, add: Any, start: dt.date, stays_open: bool) -> None:
    level = "county" if rng.random() < 0.15 else "township"  # 平台派单: street or county unit
    if level == "township" and rng.random() < 0.1:  # the street escalates
        day = start + dt.timedelta(days=rng.choice((0, 1)))
        add(day, "case.assigned", level="township", unit=rng.choice(TOWNSHIP_UNITS))
        escalated = day + dt.timedelta(days=rng.randint(1, 5))
        add(escalated, "case.escalated", reason="街道无法解决")
        _thirteen(rng, add, escalated, "county", stays_open, verify=True)
        return
    _thirteen(rng, add, start, level, stays_open, verify=True)


def _thirteen(
    rng: random.Random, add: Any, start: dt.date, level: str, stays_open: bool, *, verify: bool
) -> None:
    """One "13710" stage: acknowledged, answered, resolved, checked (communities)."""
    units = COUNTY_UNITS if level == "county" else TOWNSHIP_UNITS
    acknowledged = start + dt.timedelta(days=rng.choices((0, 1, 2, 3), (50, 38, 8, 4))[0])
    add(acknowledged, "case.assigned", level=level, unit=rng.choice(units))
    answered = max(
        acknowledged, start + dt.timedelta(days=rng.choices((1, 2, 3, 5), (40, 35, 18, 7))[0])
    )
    add(answered, "case.progressed", note=rng.choice(NOTES))
    if stays_open:
        return
    resolved = max(
        answered, start + dt.timedelta(days=rng.choices((4, 6, 7, 9), (40, 35, 15, 10))[0])
    )
    add(resolved, "case.resolved", outcome=rng.choice(OUTCOMES))
    if not verify:
        return
    checked = resolved + dt.timedelta(days=rng.randint(1, 4))
    if rng.random() < 1 / 15:  # the grid head is not satisfied: reopened, handled again
        add(checked, "case.verified", satisfied=False)
        resolved = checked + dt.timedelta(days=rng.randint(1, 3))
        add(resolved, "case.resolved", outcome="二次处理后解决")
        checked = resolved + dt.timedelta(days=rng.randint(1, 2))
    add(checked, "case.verified", satisfied=True)


# ------------------------------------------------------------------- problem registers


def ladder_story(index: int, kind: str, first_suitable_community: bool) -> str:
    """Which ladder story branch number ``index`` of its kind lives (deterministic)."""
    if kind == VILLAGE:
        if index % 40 == 7:
            return "reorganisation"
        if index % 8 == 3:
            return "work_team"
        return "plain"
    if first_suitable_community:
        return "listed"
    if index % 8 == 5:
        return "street_leader"
    return "plain"


def problem_register(
    seed: int, code: str, kind: str, story: str, first: int, last: int, stars: tuple[str, ...]
) -> list[Item]:
    """The branch's problem register and interventions over the generated years."""
    rng = _rng(seed, code, first, "ladder")
    items: list[Item] = []

    def add(day: dt.date, typ: str, **fields: object) -> None:
        items.append([_iso(day), typ, fields, None])

    def register(name: str, day: dt.date, area: str, weeks: int, **kw: object) -> dt.date:
        deadline = day + dt.timedelta(weeks=weeks)
        add(
            day,
            "problem.registered",
            problem=name,
            area=area,
            summary=rng.choice(PROBLEM_SUMMARIES),
            deadline=_iso(deadline),
            **kw,
        )
        return deadline

    areas = list(stars[1:])
    rng.shuffle(areas)
    start = dt.date(first, 3, 1) + dt.timedelta(days=rng.randint(0, 120))
    if story == "plain":
        if rng.random() < 0.25:  # one problem, solved before its deadline
            deadline = register("p1", start, areas[0], rng.randint(8, 16))
            add(deadline - dt.timedelta(days=rng.randint(1, 20)), "problem.resolved", problem="p1")
    elif story == "work_team":  # 2 areas open: a first secretary who fails, then a work team
        register("p1", start, areas[0], 12)
        register("p2", start + dt.timedelta(days=7), areas[1], 12)
        fs = start + dt.timedelta(days=30)
        add(
            fs,
            "intervention.started",
            intervention="i1",
            measure="first_secretary",
            people=["驻村第一书记"],
            from_unit=rng.choice(CADRES),
        )
        failed = add_months(fs, 6) + dt.timedelta(days=1)
        add(failed + dt.timedelta(days=10), "intervention.ended", intervention="i1", note="期满")
        team = failed + dt.timedelta(days=20)
        add(
            team,
            "intervention.started",
            intervention="i2",
            measure="work_team",
            people=["队长", "队员甲", "队员乙"],
            from_unit=rng.choice(CADRES),
        )
        add(team + dt.timedelta(days=90), "problem.resolved", problem="p1")
        add(team + dt.timedelta(days=120), "problem.resolved", problem="p2")
        add(add_months(team, 6), "intervention.ended", intervention="i2", note="问题已解决")
    elif story == "reorganisation":  # 4 areas open at once: cadres reorganise for a term
        for n, area in enumerate(areas[:4], 1):
            register(f"p{n}", start + dt.timedelta(days=n), area, 10)
        day = start + dt.timedelta(days=25)
        add(
            day,
            "intervention.started",
            intervention="i1",
            measure="reorganisation",
            people=["组长", "组员甲", "组员乙", "组员丙"],
            from_unit=rng.choice(CADRES),
        )
        for n in range(1, 5):
            add(day + dt.timedelta(days=60 * n), "problem.resolved", problem=f"p{n}")
    elif story == "street_leader":  # 1 overdue area: a street leader rectifies in 3 months
        deadline = register("p1", start, areas[0], 6)
        day = deadline + dt.timedelta(days=5)
        add(
            day,
            "intervention.started",
            intervention="i1",
            measure="street_leader",
            people=["街道副主任"],
        )
        add(day + dt.timedelta(days=70), "problem.resolved", problem="p1")
        add(add_months(day, 3), "intervention.ended", intervention="i1", note="整改到位")
    elif story == "listed":  # the street leader fails: a work group, listed by the ladder
        deadline = register("p1", start, areas[0], 6)
        register("p2", start + dt.timedelta(days=3), areas[1], 20)
        day = deadline + dt.timedelta(days=5)
        add(
            day,
            "intervention.started",
            intervention="i1",
            measure="street_leader",
            people=["街道副主任"],
        )
        failed = add_months(day, 3) + dt.timedelta(days=1)
        add(failed, "intervention.ended", intervention="i1", note="未整改到位")
        listed = failed + dt.timedelta(days=5)
        items.append(
            [
                _iso(listed),
                "weakness.designated",
                {
                    "id": f"ladder-{_iso(listed)}",
                    "reason": f"整改整顿: street_leader i1 failed on {_iso(failed)}",
                },
                None,
            ]
        )
        add(
            listed + dt.timedelta(days=3),
            "intervention.started",
            intervention="i2",
            measure="work_group",
            people=["组长", "组员"],
            from_unit="区委组织部",
        )
        add(listed + dt.timedelta(days=100), "problem.resolved", problem="p1")
        add(listed + dt.timedelta(days=120), "problem.resolved", problem="p2")
        end = add_months(listed + dt.timedelta(days=3), 6)
        add(end, "intervention.ended", intervention="i2", note="整顿到位")
        add(end + dt.timedelta(days=10), "weakness.lifted", reason="整顿到位")
    last_day = dt.date(last, 12, 31)
    return sorted((i for i in items if i[0] <= _iso(last_day)), key=lambda i: i[0])
