"""Random ledgers for the property test (tests/property/test_read_models_equal_replay.py).

Each drawn operation ``(what, branch index, year, day, choice)`` becomes one or more records
with deterministic ids, so a failing example replays. Between them the ledgers hold every
record type (``OPS`` covers ``domain.model.records.AnyRecord``; a guard test checks it), the
mechanism records of mechanisms.md §1 (meetings, activities, linkage, grids, partners,
cooperatives, facilities, staffing, cases, problems, interventions, weak-and-lax spells),
records the ledger refuses (wrong kind, unknown or closed items, dates before what they
follow, values out of range), records dated on period boundaries (quarter and month ends, the
5th, the days of ISO week 53 of 2026, which ends on 2027-01-03) and records out of date order.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.model.cases import INCIDENT_CATEGORIES
from domain.model.vocabulary import vocabulary
from tests.support.builders import (
    chain,
    five_star_community_year,
    five_star_village_year,
    org_life_year,
    rec,
)

YEARS = list(range(2021, 2027))
Op = tuple[str, int, int, int, int]  # (what, branch index, year, day of year, choice)
RATING_OPS = [
    "incident", "retract", "metric", "attest", "grant", "revoke", "plan", "member", "honour",
    "meeting", "secretary", "weak", "lift", "five_star", "rating", "duplicate", "clash",
    "unknown", "org_life", "awarded", "awarded", "awarded_run",
]  # fmt: skip
MECHANISM_OPS = [
    "meeting", "meeting", "activity", "linkage", "linkage", "grid", "grid", "grid_retired",
    "partner", "partner_left", "cooperative", "cooperative_unbound", "facility", "staffing",
    "case", "case_step", "case_step", "case_flow", "case_flow", "problem", "problem",
    "problem_resolved", "intervention", "intervention_ended", "ladder_run", "quarter_meetings",
    "mechanism_year", "mechanism_year", "mechanism_year",
]  # fmt: skip
OPS = RATING_OPS + MECHANISM_OPS * 2  # mechanism records are most of the types
VALUES = [0, 0.5, 0.8, 0.85, 0.95, 1.0, 10000, 12000, 200000, 1e12]
LEVELS = ["township", "county", "city", "province", "national"]
MEETINGS = [
    "party_congress", "party_lesson", "theme_day", "org_life", "branch_committee",
    "party_group", "two_committee_briefing", "joint_meeting",
]  # fmt: skip
GRIDS = ["G1", "G2", "G3"]
CASES = ["c1", "c2", "c3", "c4", "c5"]  # case ids (a flow uses "f" + a record number)
CASE_CATEGORIES = ["dispute", "petition_risk", "safety_hazard", "emergency", "suspected_crime",
                   "other"]  # fmt: skip
CASE_STEPS = ["case.assigned", "case.escalated", "case.progressed", "case.resolved",
              "case.verified"]  # fmt: skip
MEASURES = {
    "village": ["first_secretary", "work_team", "reorganisation"],
    "community": ["street_leader", "work_group"],
}
PEOPLE = {"first_secretary": 1, "street_leader": 1, "work_team": 3, "reorganisation": 5,
          "work_group": 2}  # fmt: skip
# Days around period boundaries, as (years after Y, month, day): quarter and month ends, the
# 5th (theme days, linkage due), leap days, and the first days of Y+1 (ISO week 53 of 2026).
BOUNDARIES = [
    (0, 1, 1), (0, 1, 5), (0, 2, 28), (0, 3, 31), (0, 4, 1), (0, 4, 5), (0, 6, 30), (0, 7, 1),
    (0, 9, 30), (0, 10, 1), (0, 12, 27), (0, 12, 28), (0, 12, 31), (1, 1, 1), (1, 1, 3),
    (1, 1, 4), (1, 1, 5),
]  # fmt: skip


def when(year: int, day: int) -> date:
    """Day ``day`` of ``year`` (from 0; 365 may be the next 1 January), or beyond the year's
    length one of the boundary days."""
    if day < 366:
        return date(year, 1, 1) + timedelta(days=day)
    ahead, month, dom = BOUNDARIES[(day - 366) % len(BOUNDARIES)]
    return date(year + ahead, month, dom)


def _day(year: int, day: int) -> str:
    return when(year, day).isoformat()


def _later(on: str, days: int) -> str:
    return (date.fromisoformat(on) + timedelta(days=days)).isoformat()


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
        self.items: dict[tuple[str, str], list[str]] = {}  # (branch, register) -> ids opened
        self.count = 0

    def rid(self) -> str:
        self.count += 1
        return f"r{self.count:05d}"

    def add(self, record: dict[str, Any]) -> None:
        record["id"] = self.rid()
        self.records.append(record)

    def opened(self, code: str, register: str, item: str) -> str:
        self.items.setdefault((code, register), []).append(item)
        return item

    def recall(self, code: str, register: str, choice: int, fallback: str) -> str:
        """An item opened on the branch (a case, a problem ...), one time in five the
        ``fallback`` (often unknown: refused)."""
        known = self.items.get((code, register), [])
        return _choose(known, choice) if known and choice % 5 else fallback

    def branch(self, index: int, kind: str | None, choice: int) -> tuple[str, str]:
        """The drawn branch; for a record of one kind, mostly the next branch of that kind
        (one time in seven the drawn one whatever its kind: the ledger refuses it)."""
        n = len(self.codes)
        if kind is not None and choice % 7:
            for step in range(n):
                i = (index + step) % n
                if self.kinds[i] == kind:
                    return self.codes[i], kind
        return self.codes[index % n], self.kinds[index % n]

    def op(self, op: Op) -> None:
        what = op[0]
        if what in MECHANISM_HANDLERS:
            MECHANISM_HANDLERS[what](self, op)
        else:
            self.rating_op(op)

    def rating_op(self, op: Op) -> None:
        what, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        vocab = vocabulary(kind)
        on = _day(year, day)
        if what == "incident":
            categories = sorted(INCIDENT_CATEGORIES) + sorted(vocab.categories)
            self.add(rec("incident.recorded", code, on, category=_choose(categories, choice)))
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
            wealth = choice % 2 == 0
            self.add(
                rec("member.developed", code, on, person=f"党员{choice}", wealth_leader=wealth)
            )
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
            self.add(rec("weakness.designated", code, on, reason="软弱涣散"))
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

    # ------------------------------------------------------------- mechanisms (§1)
    def activity(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        kind = "door_knocking" if choice % 3 else "emergency_drill"
        grid = _choose([*GRIDS, ""], choice // 3) if kind == "door_knocking" else ""
        self.add(rec("activity.held", code, _day(year, day), kind=kind, grid=grid))

    def linkage(self, op: Op) -> None:
        """A month's report: given at the next theme day, on the month's last day, or (refused)
        before the month began; complete or short in each count; sometimes a correction."""
        _, index, year, day, choice = op
        code, _ = self.branch(index, "village", choice)
        month = choice % 12 + 1
        first = date(year, month, 1)
        on = [
            (first + timedelta(days=31)).replace(day=5),
            (first + timedelta(days=31)).replace(day=1) - timedelta(days=1),
            first - timedelta(days=1),
            first + timedelta(days=day % 60),
        ][day % 4]
        members, exempt = 10, choice % 3
        linking = members - exempt - (1 if choice % 5 == 0 else 0)
        self.add(
            rec(
                "linkage.reported",
                code,
                on.isoformat(),
                month=f"{year}-{month:02d}",
                households=100 if choice % 11 else 120,
                households_linked=[100, 99, 100, 100][day % 4] if choice % 11 else 120,
                members=members,
                members_exempt=exempt,
                members_linking=linking,
                members_contacting_weekly=linking - (1 if day % 6 == 0 else 0),
            )
        )
        if choice == 40:  # more households linked than there are: refused
            self.records[-1]["households_linked"] = 101

    def grid(self, op: Op) -> None:
        """A grid (re)defined, then door-knocking in it for some of the following months."""
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        on = when(year, day)
        grid = self.opened(code, "grid", _choose(GRIDS, choice))
        self.add(
            rec(
                "grid.defined",
                code,
                on.isoformat(),
                grid=grid,
                households=[100, 0, 300, 500, 501, 50][day % 6],
                head="网格长",
                full_time_workers=choice % 2 if day % 5 == 0 else 1,
            )
        )
        for month in range(choice % 4):
            first = (on.replace(day=1) + timedelta(days=31 * month + 31)).replace(day=1)
            knock = first + timedelta(days=[0, 14, 27][(day + month) % 3])
            self.add(rec("activity.held", code, knock.isoformat(), kind="door_knocking", grid=grid))

    def grid_retired(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        grid = self.recall(code, "grid", choice, _choose(GRIDS, choice))
        self.add(rec("grid.retired", code, _day(year, day), grid=grid))

    def partner(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        self.add(
            rec(
                "partner.joined",
                code,
                _day(year, day),
                partner=self.opened(code, "partner", f"P{choice % 2}"),
                unit="共建单位",
                unit_kind=_choose(["organ", "enterprise", "institution", "two_new"], choice),
            )
        )

    def partner_left(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        partner = self.recall(code, "partner", choice, f"P{choice % 2}")
        self.add(rec("partner.left", code, _day(year, day), partner=partner))

    def cooperative(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "village", choice)
        self.add(
            rec(
                "cooperative.bound",
                code,
                _day(year, day),
                cooperative=self.opened(code, "cooperative", f"K{choice % 2}"),
                name="合作社",
                households=1 + choice,
                enterprise="" if day % 3 == 0 else "龙头企业",
            )
        )

    def cooperative_unbound(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "village", choice)
        cooperative = self.recall(code, "cooperative", choice, f"K{choice % 2}")
        self.add(rec("cooperative.unbound", code, _day(year, day), cooperative=cooperative))

    def facility(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        facility = "public_toilets" if kind == "village" else "service_centre_m2"
        if choice % 9 == 0:  # the other kind's facility: refused
            facility = "service_centre_m2" if kind == "village" else "public_toilets"
        value = [0, 1, 30, 29.99, 1e6][day % 5]
        report_year = year if choice % 4 else year - 1
        self.add(
            rec(
                "facility.reported",
                code,
                _day(year, day),
                year=report_year,
                facility=facility,
                value=value,
            )
        )

    def staffing(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, "community", choice)
        self.add(
            rec(
                "staffing.reported",
                code,
                _day(year, day),
                year=year,
                workers=[0, 1, 18, 40, 10000][choice % 5],
                lowest_pay=[0, 50000, 71600, 71599.5, 90000][day % 5],
                social_insurance=choice % 2 == 0,
                housing_fund=choice % 3 != 0,
            )
        )

    # ----------------------------------------------------------------- cases (§3)
    def case(self, op: Op) -> None:
        """A report: late or not, naming a grid (communities) and an incident or not; a case
        id already reported, an unknown grid or incident, ``occurred_on`` after ``on``:
        refused."""
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        on = _day(year, day)
        case = self.opened(code, "case", _choose(CASES, choice))
        self.add(self.report(code, kind, on, case, choice, day))

    def report(
        self, code: str, kind: str, on: str, case: str, choice: int, day: int
    ) -> dict[str, Any]:
        incidents = self.incidents[code]
        return rec(
            "case.reported",
            code,
            on,
            case=case,
            category=_choose(CASE_CATEGORIES, choice),
            occurred_on=_later(on, -[0, 1, 2, 5][day % 4] if choice % 17 != 16 else 1),
            grid=self.recall(code, "grid", choice, "G9")
            if kind == "community" and choice % 2
            else "",
            incident=_choose(incidents, choice) if incidents and choice % 3 == 0 else "",
            summary="案件",
        )

    def case_step(self, op: Op) -> None:
        """One later step of a case, out of any order the rules expect (often refused)."""
        _, index, year, day, choice = op
        code, _ = self.branch(index, None, choice)
        case = self.recall(code, "case", choice, _choose(CASES, choice))
        self.add(self.step(code, _day(year, day), case, choice, day))

    def step(self, code: str, on: str, case: str, choice: int, day: int) -> dict[str, Any]:
        what = _choose(CASE_STEPS, day)
        fields: dict[str, Any] = {"case": case}
        if what == "case.assigned":
            fields |= {"level": _choose(["township", "county"], choice), "unit": "乡镇",
                       "lead": choice % 4 != 0}  # fmt: skip
        elif what == "case.escalated":
            fields["reason"] = "提级"
        elif what == "case.progressed":
            fields["note"] = "进展"
        elif what == "case.resolved":
            fields["outcome"] = "办结"
        else:
            fields["satisfied"] = choice % 3 != 0
        return rec(what, code, on, **fields)

    def case_flow(self, op: Op) -> None:
        """A whole case as the rules expect it, with gaps drawn around each limit: reported,
        acknowledged, answered, maybe escalated and acknowledged again, resolved, verified
        (sometimes unsatisfied and resolved again); steps may cross the year's end."""
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        case = f"f{self.count + 1}"
        gaps = [0, 1, 2, 3, 6, 8, 16][choice % 7], [1, 4, 7, 11][day % 4]
        on = _day(year, day)
        self.add(self.report(code, kind, on, case, choice, day))
        direct = kind == "community" and choice % 5 == 2  # dispatched to a county unit
        first = "county" if direct else "township"
        steps: list[tuple[str, dict[str, Any]]] = [
            ("case.assigned", {"level": first, "unit": "乡镇", "lead": True}),
            ("case.progressed", {"note": "答复"}),
        ]
        if choice % 3 == 0 and not direct:
            steps += [
                ("case.escalated", {"reason": "提级"}),
                ("case.assigned", {"level": "county", "unit": "县平台", "lead": True}),
                ("case.assigned", {"level": "county", "unit": "协办", "lead": False}),
            ]
        steps.append(("case.resolved", {"outcome": "办结"}))
        if kind == "community":
            if choice % 4 == 1:
                steps += [("case.verified", {"satisfied": False}),
                          ("case.resolved", {"outcome": "再办"})]  # fmt: skip
            steps.append(("case.verified", {"satisfied": True}))
        stop = len(steps) - (day % 3 == 0)  # sometimes still running at the end
        for i, (what, fields) in enumerate(steps[:stop]):
            on = _later(on, gaps[i % 2])
            self.add(rec(what, code, on, case=case, **fields))

    # -------------------------------------------------------------- the ladder (§4)
    def problem(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        on = _day(year, day)
        problem = self.opened(code, "problem", f"p{choice % 6}")
        self.add(self.registered(code, kind, on, problem, choice, day))

    def registered(
        self, code: str, kind: str, on: str, problem: str, choice: int, day: int
    ) -> dict[str, Any]:
        areas = [*vocabulary(kind).stars, "not_an_area"]
        return rec(
            "problem.registered",
            code,
            on,
            problem=problem,
            area=areas[choice % len(areas)] if choice % 13 else areas[-1],
            summary="台账问题",
            deadline=_later(on, [0, 1, 30, 92, 183, -1][day % 6]),
            paralysis=kind == "village" and choice % 5 == 0,
        )

    def problem_resolved(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, None, choice)
        problem = self.recall(code, "problem", choice, f"p{choice % 6}")
        self.add(rec("problem.resolved", code, _day(year, day), problem=problem))

    def intervention(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        intervention = self.opened(code, "intervention", f"i{choice % 3}")
        self.add(self.started(code, kind, _day(year, day), intervention, choice, day))

    def started(
        self, code: str, kind: str, on: str, intervention: str, choice: int, day: int
    ) -> dict[str, Any]:
        other = "community" if kind == "village" else "village"
        measures = MEASURES[kind] if choice % 11 else MEASURES[other]  # the other kind: refused
        measure = _choose(measures, choice)
        people = PEOPLE[measure] + (1 if day % 9 == 0 else 0)  # one too many: maybe refused
        return rec(
            "intervention.started",
            code,
            on,
            intervention=intervention,
            measure=measure,
            people=[f"干部{n}" for n in range(people)],
            from_unit="县直单位",
        )

    def intervention_ended(self, op: Op) -> None:
        _, index, year, day, choice = op
        code, _ = self.branch(index, None, choice)
        intervention = self.recall(code, "intervention", choice, f"i{choice % 3}")
        self.add(rec("intervention.ended", code, _day(year, day), intervention=intervention))

    def ladder_run(self, op: Op) -> None:
        """Up the ladder: problems in one to four areas (a paralysis now and then), a measure
        started, run out or ended at the term's end, some problems resolved late."""
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, choice)
        stars = vocabulary(kind).stars
        on = _day(year, day)
        base = self.count + 1
        for n in range(choice % 4 + 1):
            record = self.registered(code, kind, on, f"q{base}-{n}", n * 13 + 1, day + n)
            record["area"] = stars[n % len(stars)]
            self.add(record)
        started = _later(on, [0, 7, 40][choice % 3])
        intervention = f"j{base}"
        self.add(self.started(code, kind, started, intervention, choice + 1, 1))
        term = {"street_leader": 92, "reorganisation": 1827}.get(self.records[-1]["measure"], 183)
        if day % 2:
            self.add(
                rec("intervention.ended", code, _later(started, term), intervention=intervention)
            )
        if choice % 3 == 1:
            resolved = _later(started, term + [-1, 0, 1][day % 3])
            self.add(rec("problem.resolved", code, resolved, problem=f"q{base}-0"))

    def mechanism_year(self, op: Op) -> None:
        """A year of a branch's working mechanisms as the rules expect them, with one month,
        quarter or week left out now and then (``choice``): 三会一课 on quarter and month
        boundaries, weekly briefings to the end of ISO week 53 of 2026, linkage reported at
        the next month's theme day, grids with door-knocking, partners, a cooperative, the
        year's facility and staffing reports, a case and a problem with a measure."""
        _, index, year, day, choice = op
        code, kind = self.branch(index, None, 1)
        gap = choice % 12 + 1  # the month left out when choice is odd
        for q in range(4):
            if choice % 5 != q + 1:
                end = date(year, 3 * q + 1, 1) + timedelta(days=[0, 89][(q + choice) % 2])
                self.add(rec("meeting.held", code, end.isoformat(), kind="party_congress"))
            self.add(rec("meeting.held", code, f"{year}-{3 * q + 2:02d}-05", kind="party_lesson"))
        for month in range(1, 13):
            if choice % 2 and month == gap:
                continue
            dom = 5 if (month + choice) % 4 else 6
            self.add(rec("meeting.held", code, f"{year}-{month:02d}-{dom:02d}", kind="theme_day"))
        self.add(rec("meeting.held", code, f"{year}-12-31", kind="org_life"))
        if kind == "village":
            self.village_year(code, year, choice, gap)
        else:
            self.community_year(code, year, choice, gap)
        self.case_flow(("case_flow", self.codes.index(code), year, day, choice))
        self.ladder_run(("ladder_run", self.codes.index(code), year, day, choice))

    def village_year(self, code: str, year: int, choice: int, gap: int) -> None:
        start = date.fromisocalendar(year, 1, 1)
        weeks = date.fromisocalendar(year, 52, 1) + timedelta(days=7)
        weeks_in_year = 53 if weeks.isocalendar()[1] == 53 else 52
        for week in range(weeks_in_year):
            if choice % 3 == 0 and week == weeks_in_year - 1:
                continue  # the last week (2026-W53 ends on 2027-01-03) missed
            held = start + timedelta(days=7 * week + choice % 7)
            self.add(rec("meeting.held", code, held.isoformat(), kind="two_committee_briefing"))
        for month in range(1, 13):
            if choice % 2 == 0 and month == gap:
                continue
            report = (date(year, month, 1) + timedelta(days=31)).replace(day=5)
            linked = 100 if (month + choice) % 7 else 98
            self.add(
                rec(
                    "linkage.reported",
                    code,
                    report.isoformat(),
                    month=f"{year}-{month:02d}",
                    households=100,
                    households_linked=linked,
                    members=10,
                    members_exempt=1,
                    members_linking=9,
                    members_contacting_weekly=9,
                )
            )
        self.add(
            rec(
                "member.developed",
                code,
                f"{year}-06-30",
                person="能手",
                wealth_leader=choice % 4 != 0,
            )
        )
        self.add(
            rec(
                "cooperative.bound",
                code,
                f"{year}-03-31",
                cooperative=self.opened(code, "cooperative", f"K{year}"),
                name="合作社",
                households=30,
                enterprise="龙头企业" if choice % 3 else "",
            )
        )
        self.add(
            rec(
                "facility.reported",
                code,
                f"{year}-12-31",
                year=year,
                facility="public_toilets",
                value=choice % 2,
            )
        )

    def community_year(self, code: str, year: int, choice: int, gap: int) -> None:
        self.add(rec("activity.held", code, f"{year}-09-30", kind="emergency_drill"))
        grids = [f"Y{year}a", f"Y{year}b"]
        for n, grid in enumerate(grids):
            self.opened(code, "grid", grid)
            self.add(
                rec(
                    "grid.defined",
                    code,
                    f"{year}-01-01",
                    grid=grid,
                    households=50,
                    head="网格长",
                    full_time_workers=1 if choice % 6 else n,
                )
            )
        for month in range(1, 13):
            for grid in grids:
                if choice % 2 and month == gap and grid == grids[0]:
                    continue
                last = (date(year, month, 1) + timedelta(days=31)).replace(day=1)
                knock = last - timedelta(days=1 + choice % 3)
                self.add(
                    rec("activity.held", code, knock.isoformat(), kind="door_knocking", grid=grid)
                )
        if choice % 4 == 1:  # a grid retired mid-year: its later months are not owed
            self.add(rec("grid.retired", code, f"{year}-06-30", grid=grids[1]))
        self.add(
            rec(
                "partner.joined",
                code,
                f"{year}-03-31",
                partner=self.opened(code, "partner", f"P{year}"),
                unit="共建单位",
                unit_kind="organ",
            )
        )
        self.add(
            rec(
                "facility.reported",
                code,
                f"{year}-12-31",
                year=year,
                facility="service_centre_m2",
                value=30 if choice % 3 else 29,
            )
        )
        self.add(
            rec(
                "staffing.reported",
                code,
                f"{year}-12-31",
                year=year,
                workers=choice,
                lowest_pay=[71600, 90000, 50000][choice % 3],
                social_insurance=True,
                housing_fund=choice % 5 != 0,
            )
        )

    def quarter_meetings(self, op: Op) -> None:
        """Meetings on the first and last days of quarters and weeks (ISO week 53 of 2026
        included) and on theme days not the 5th."""
        _, index, year, day, choice = op
        code, _ = self.branch(index, None, choice)
        kinds = ["party_congress", "party_lesson", "theme_day", "two_committee_briefing"]
        for n in range(4):
            on = when(year, 366 + (day + n * 5) % len(BOUNDARIES))
            self.add(rec("meeting.held", code, on.isoformat(), kind=kinds[(choice + n) % 4]))


MECHANISM_HANDLERS = {
    "activity": LedgerBuilder.activity,
    "linkage": LedgerBuilder.linkage,
    "grid": LedgerBuilder.grid,
    "grid_retired": LedgerBuilder.grid_retired,
    "partner": LedgerBuilder.partner,
    "partner_left": LedgerBuilder.partner_left,
    "cooperative": LedgerBuilder.cooperative,
    "cooperative_unbound": LedgerBuilder.cooperative_unbound,
    "facility": LedgerBuilder.facility,
    "staffing": LedgerBuilder.staffing,
    "case": LedgerBuilder.case,
    "case_step": LedgerBuilder.case_step,
    "case_flow": LedgerBuilder.case_flow,
    "problem": LedgerBuilder.problem,
    "problem_resolved": LedgerBuilder.problem_resolved,
    "intervention": LedgerBuilder.intervention,
    "intervention_ended": LedgerBuilder.intervention_ended,
    "ladder_run": LedgerBuilder.ladder_run,
    "quarter_meetings": LedgerBuilder.quarter_meetings,
    "mechanism_year": LedgerBuilder.mechanism_year,
}


def registration(code: str, kind: str, county: str, township: str = "某镇") -> dict[str, Any]:
    fields = {"name": f"{code}支部", "kind": kind, "county": county, "township": township,
              "households": 100, "population": 400}  # fmt: skip
    return rec("branch.registered", code, "2020-12-01", **fields)
