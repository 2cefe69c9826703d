#!/usr/bin/env python3
"""Deterministic synthetic ledger generator (interchange format v1, JSON Lines on stdout).

    python scripts/generate_ledger.py --branches 1500 --years 2022-2026 --seed 1 > ledger.jsonl

Standard library only. Branches are Puyang-like villages (V…) and urban communities (C…).
For every branch-year the generator first decides the set S of stars the branch is eligible for
under rulebook `puyang-2022`, then fabricates facts that make exactly those stars eligible
(every other star has at least one failing criterion, values sit near the thresholds), then the
rating chain: declaration, township recommendation, county / city / province review. About 3% of
chains carry a deliberately refused record (late declaration, over-claimed award, uncovered
recommendation, wrong authority, second award, declaration while weak and lax).

Output order: the `branch.registered` record of every branch, then each branch's opening
records (first secretary, last year's per-capita income, an earlier honour), then for each
year Y and each branch, the branch's facts of Y followed by its rating chain for Y.
Corrections (a later record with an earlier date) close a branch's facts block. Nothing but
records is printed on stdout; a one-line summary goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from typing import Any

VILLAGE = "village"
COMMUNITY = "community"
BS = "branch_strong"

STARS = {
    VILLAGE: (
        BS,
        "industry_thriving",
        "ecology_livable",
        "safety_rule_of_law",
        "civility_happiness",
    ),
    COMMUNITY: (
        BS,
        "co_build_share",
        "safety_rule_of_law",
        "happiness_harmony",
        "employment_business",
    ),
}

SAFETY_CATEGORIES = (
    "telecom_fraud",
    "illegal_fundraising",
    "illegal_religion",
    "gambling",
    "safety_accident",
    "illegal_petition",
    "major_case",
    "emergency_failure",
    "other_safety_problem",
)

# star -> incident categories of its `no_incident` criterion (rules.md §4)
INCIDENT_CATEGORIES = {
    BS: ("member_violation",),
    "industry_thriving": ("large_scale_poverty_return",),
    "ecology_livable": (
        "black_odorous_water",
        "river_blockage",
        "illegal_logging",
        "farmland_occupation",
        "ecological_damage",
    ),
    "safety_rule_of_law": SAFETY_CATEGORIES,
    "civility_happiness": (
        "high_bride_price",
        "extravagant_ceremony",
        "school_dropout",
        "elderly_neglect",
        "women_children_rights",
        "other_civility_problem",
    ),
    "co_build_share": (
        "illegal_construction",
        "green_space_occupation",
        "property_dispute",
        "official_criticism",
    ),
    "happiness_harmony": ("negative_public_opinion",),
    "employment_business": ("business_complaint",),
}

# (kind, star) -> the star's criteria other than `no_incident` and `other_four_stars`
CRITERIA = {
    (VILLAGE, BS): ("development_plan", "honour_within_three_years", "org_tasks_complete"),
    (VILLAGE, "industry_thriving"): (
        "per_capita_income_growth",
        "one_village_one_product",
        "dual_binding",
        "collective_income",
    ),
    (VILLAGE, "ecology_livable"): (
        "manure_treatment",
        "garbage_sorting",
        "village_planning",
        "village_clean",
        "sanitary_toilet_ratio",
    ),
    (VILLAGE, "safety_rule_of_law"): ("three_zero", "epidemic_free"),
    (VILLAGE, "civility_happiness"): (
        "service_center_standard",
        "clinic_standard",
        "medical_insurance_rate",
        "pension_insurance_rate",
    ),
    (COMMUNITY, BS): ("honour_within_three_years", "org_tasks_complete"),
    (COMMUNITY, "co_build_share"): (
        "consultation_method",
        "owners_committee",
        "property_service",
        "mass_activities",
    ),
    (COMMUNITY, "safety_rule_of_law"): ("three_zero", "epidemic_free"),
    (COMMUNITY, "happiness_harmony"): (
        "service_center_functional",
        "care_facilities",
        "volunteer_service",
        "convenience_experience",
    ),
    (COMMUNITY, "employment_business"): (
        "employment_promotion",
        "enterprise_service",
        "full_employment_or_experience",
    ),
}

STAR_OF = {(kind, c): star for (kind, star), crits in CRITERIA.items() for c in crits}

ATTESTED = {
    VILLAGE: (
        "one_village_one_product",
        "dual_binding",
        "manure_treatment",
        "garbage_sorting",
        "village_planning",
        "village_clean",
        "service_center_standard",
        "clinic_standard",
        "org_tasks_complete",
    ),
    COMMUNITY: (
        "consultation_method",
        "owners_committee",
        "property_service",
        "mass_activities",
        "service_center_functional",
        "care_facilities",
        "volunteer_service",
        "convenience_experience",
        "employment_promotion",
        "enterprise_service",
        "org_tasks_complete",
    ),
}

# attesting county departments (used now and then instead of the township/street)
DEPARTMENT = {
    "one_village_one_product": "农业农村局",
    "dual_binding": "农业农村局",
    "manure_treatment": "农业农村局",
    "garbage_sorting": "住房和城乡建设局",
    "village_planning": "自然资源局",
    "clinic_standard": "卫生健康委员会",
    "care_facilities": "民政局",
    "employment_promotion": "人力资源和社会保障局",
    "enterprise_service": "工业和信息化局",
    "property_service": "住房和城乡建设局",
    "org_tasks_complete": "委组织部",
}

INCIDENT_NOTES = {
    "member_violation": (
        "村干部违规发放补贴被立案",
        "党员酒驾受到党纪处分",
        "党员违规占用集体资产",
    ),
    "large_scale_poverty_return": ("因灾致多户返贫", "脱贫户集中返贫"),
    "black_odorous_water": ("村内坑塘出现黑臭水体", "排水沟渠黑臭"),
    "river_blockage": ("河道垃圾堆积堵塞", "沟渠被违建堵塞"),
    "illegal_logging": ("未经审批砍伐林带", "滥砍堤坡护林"),
    "farmland_occupation": ("占用耕地建房", "耕地违规挖塘"),
    "ecological_damage": ("违规取土破坏生态", "焚烧秸秆"),
    "telecom_fraud": ("村民遭遇电信诈骗", "居民被冒充客服诈骗"),
    "illegal_fundraising": ("非法集资案件", "以养老为名非法集资"),
    "illegal_religion": ("私设聚会点", "非法宗教活动"),
    "gambling": ("聚众赌博被查处",),
    "safety_accident": ("自建房火灾", "农用车交通事故", "燃气泄漏事故"),
    "illegal_petition": ("越级非法上访", "到京非访"),
    "major_case": ("发生重大刑事案件",),
    "emergency_failure": ("汛期应急处置不力", "火情报告迟报"),
    "other_safety_problem": ("邻里纠纷引发治安案件",),
    "high_bride_price": ("高价彩礼", "天价彩礼引发纠纷"),
    "extravagant_ceremony": ("婚丧事大操大办", "违规大办升学宴"),
    "school_dropout": ("适龄儿童辍学", "初中生辍学外出务工"),
    "elderly_neglect": ("子女不赡养老人", "独居老人无人照料"),
    "women_children_rights": ("家庭暴力侵犯妇女权益", "留守儿童权益受侵害"),
    "other_civility_problem": ("移风易俗工作不到位",),
    "illegal_construction": ("楼顶私搭乱建", "违规搭建彩钢房"),
    "green_space_occupation": ("毁绿种菜占用公共绿地", "绿地被占作停车"),
    "property_dispute": ("物业费纠纷", "业主与物业停车纠纷"),
    "official_criticism": ("因环境卫生被县级书面通报批评", "文明创建不达标被市级通报"),
    "negative_public_opinion": ("供暖问题引发网络负面舆情", "养老服务问题被媒体曝光"),
    "business_complaint": ("商户投诉社区办事推诿", "企业投诉服务不到位"),
}

RETRACT_REASONS = ("经核查不属实", "核实有误", "重复录入", "经复核不属于本辖区", "经调查已澄清")
WEAK_REASONS = (
    "班子不团结、软弱涣散",
    "长期不开展组织生活",
    "村级事务管理混乱",
    "书记长期空缺",
    "群众反映强烈问题长期得不到解决",
)
LIFT_REASONS = ("整顿验收合格", "整改到位，经县委组织部验收", "")

VILLAGE_HONOURS_OTHER = ("文明村", "卫生村", "民主法治示范村", "乡村振兴示范村", "美丽乡村示范村")
COMMUNITY_HONOURS_OTHER = ("文明社区", "平安社区", "最美志愿服务社区", "绿色社区", "和谐社区")

# county, weight for villages, weight for communities, townships (villages), streets (communities)
GEOGRAPHY = (
    (
        "华龙区",
        2,
        10,
        ("岳村镇", "孟轲乡"),
        (
            "中原路街道",
            "胜利路街道",
            "建设路街道",
            "人民路街道",
            "大庆路街道",
            "黄河路街道",
            "任丘路街道",
            "长庆路街道",
            "京开道街道",
        ),
    ),
    (
        "濮阳县",
        10,
        2,
        (
            "城关镇",
            "柳屯镇",
            "文留镇",
            "庆祖镇",
            "八公桥镇",
            "徐镇镇",
            "户部寨镇",
            "鲁河镇",
            "子岸镇",
            "梁庄镇",
            "王称堌镇",
            "胡状镇",
            "海通乡",
            "五星乡",
            "白堽乡",
            "渠村乡",
            "郎中乡",
            "习城乡",
            "清河头乡",
            "梨园乡",
        ),
        ("开州街道", "城关镇"),
    ),
    (
        "清丰县",
        8,
        1.5,
        (
            "城关镇",
            "马庄桥镇",
            "瓦屋头镇",
            "仙庄镇",
            "柳格镇",
            "韩村镇",
            "阳邵镇",
            "六塔乡",
            "双庙乡",
            "巩营乡",
            "纸房乡",
            "古城乡",
            "大流乡",
            "高堡乡",
        ),
        ("城关镇",),
    ),
    (
        "南乐县",
        6,
        1.2,
        (
            "城关镇",
            "韩张镇",
            "元村镇",
            "福堪镇",
            "千口镇",
            "谷金楼镇",
            "杨村乡",
            "近德固乡",
            "张果屯乡",
            "梁村乡",
            "西邵乡",
            "寺庄乡",
        ),
        ("城关镇",),
    ),
    (
        "范县",
        6,
        1.2,
        (
            "樱桃园镇",
            "濮城镇",
            "龙王庄镇",
            "王楼镇",
            "辛庄镇",
            "高码头镇",
            "陈庄镇",
            "杨集乡",
            "白衣阁乡",
            "颜村铺乡",
            "陆集乡",
            "张庄乡",
        ),
        ("樱桃园镇",),
    ),
    (
        "台前县",
        4,
        1,
        (
            "城关镇",
            "侯庙镇",
            "孙口镇",
            "打渔陈镇",
            "马楼镇",
            "夹河乡",
            "吴坝镇",
            "清水河乡",
            "后方乡",
        ),
        ("城关镇",),
    ),
    ("濮阳经济技术开发区", 2, 2, ("新习镇", "胡村乡", "王助镇"), ("皇甫街道", "濮水街道")),
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟"
    "龙万段雷钱汤尹常武乔贺翟申葛仝岳辛"
)
GIVEN_M = "建国军伟强刚勇明海涛亮东峰辉磊鹏超杰志文斌春林华平新生振庆广德富贵宏俊"
GIVEN_F = "秀英桂兰丽娟芳艳红梅玉霞静敏燕凤萍慧洁琳"
VILLAGE_PREFIX = ("", "", "", "", "前", "后", "东", "西", "南", "北", "大", "小", "新")
VILLAGE_CORE = "王李张刘陈杨赵孙马高郭辛宋岳苏韩吕范仝姚常葛翟潘申魏秦崔邢史焦牛"
VILLAGE_SUFFIX = (
    "庄",
    "庄",
    "庄",
    "屯",
    "寨",
    "集",
    "楼",
    "营",
    "店",
    "堤",
    "口",
    "固",
    "寺",
    "湾",
    "园",
    "头",
    "堌",
    "家",
)
COMMUNITY_NAMES = [
    "建业",
    "锦华",
    "绿城",
    "昆吾",
    "帝丘",
    "开州",
    "龙都",
    "振兴",
    "光明",
    "幸福",
    "和平",
    "文化",
    "育才",
    "五一",
    "石化",
    "油田",
    "华龙",
    "中原",
    "黄河",
    "胜利",
    "人民",
    "长庆",
    "任丘",
    "京开",
    "濮水",
    "澶州",
    "颛顼",
    "戚城",
    "铁丘",
    "金堤",
    "绿色庄园",
    "兴华",
    "东方",
    "丽景",
    "书香",
    "翰林",
    "阳光",
    "新城",
    "惠民",
    "安康",
    "祥和",
    "福源",
    "盛世",
    "御景",
    "世纪",
    "裕丰",
    "天润",
    "滨河",
]

MEETING_EXTRA = ("branch_committee", "party_group", "two_committee_briefing")

INCIDENT_RATE = 0.15
REFUSAL_RATE = 0.03
WEAK_RATE = 0.02
SECRETARY_CHANGE_RATE = 0.10
CORRECTION_RATE = 0.03
FULL_MINUTES_SHARE = 0.05  # normal branches that file all their meetings (tunes the volume)
# Working mechanisms (mechanisms.md §1): branches keeping their weekly/monthly books in the
# ledger (briefings, linkage, door knocking); the last BEHIND_SHARE of them fall behind.
MECHANISM_SHARE = 0.6
BEHIND_SHARE = 0.1
LEADING_ENTERPRISES = (
    "濮阳市绿丰农业公司",
    "清丰县食用菌产业集团",
    "南乐县木耳合作联社",
    "范县蔬菜集团",
)
PARTNER_UNITS = (
    ("市税务局", "organ"),
    ("区人民医院", "institution"),
    ("中原油田供电公司", "enterprise"),
    ("市住建局", "organ"),
    ("濮阳职业技术学院", "institution"),
    ("快递行业党委", "two_new"),
)
# The wage floor of the demo's largest district by year (rulebooks/county-parameters.toml).
WAGE_FLOOR = {2022: 71_000, 2023: 74_000, 2024: 76_800, 2025: 80_000, 2026: 82_600}


class Calendar:
    """ISO date strings by day index within a year (0 = January 1st)."""

    def __init__(self) -> None:
        self._years: dict[int, tuple[list[str], list[int]]] = {}

    def _year(self, y: int) -> tuple[list[str], list[int]]:
        got = self._years.get(y)
        if got is None:
            first = dt.date(y, 1, 1).toordinal()
            n = dt.date(y + 1, 1, 1).toordinal() - first
            days = [dt.date.fromordinal(first + i).isoformat() for i in range(n)]
            starts = [0] + [dt.date(y, m, 1).toordinal() - first for m in range(1, 13)] + [n]
            got = self._years[y] = (days, starts)
        return got

    def index(self, y: int, m: int, d: int) -> int:
        return self._year(y)[1][m] + d - 1

    def month_end(self, y: int, m: int) -> int:
        return self._year(y)[1][m + 1] - 1

    def iso(self, y: int, i: int) -> str:
        return self._year(y)[0][i]

    def span(self, rng: random.Random, y: int, m1: int, m2: int) -> int:
        """A random day index from the 1st of month m1 to the end of month m2."""
        return rng.randint(self.index(y, m1, 1), self.month_end(y, m2))

    def rand(self, rng: random.Random, y: int, m1: int, m2: int) -> str:
        return self.iso(y, self.span(rng, y, m1, m2))


class Branch:
    __slots__ = (
        "code",
        "county",
        "excluded",
        "honour_years",
        "households",
        "kind",
        "lift_on",
        "meeting_habit",
        "name",
        "pci",
        "pending_retractions",
        "population",
        "profile",
        "quality",
        "rng",
        "township",
        "weak_on",
    )

    def __init__(self, kind: str, county: str, township: str, rng: random.Random) -> None:
        self.code = ""
        self.kind = kind
        self.county = county
        self.township = township
        self.name = ""
        self.rng = rng
        self.profile = "normal"
        self.quality = rng.uniform(0.3, 0.92)
        self.meeting_habit = rng.random()
        self.pci = 0
        self.households = 0
        self.population = 0
        self.honour_years: list[int] = []
        self.pending_retractions: dict[int, list[Any]] = {}
        self.weak_on: dt.date | None = None
        self.lift_on: dt.date | None = None
        self.excluded: tuple[int, ...] = ()


def person(rng: random.Random) -> str:
    pool = GIVEN_M if rng.random() < 0.75 else GIVEN_F
    n = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(pool) for _ in range(n))


def floor_to(x: float, places: int) -> float:
    f = 10**places
    return int(x * f) / f


def ceil_to(x: float, places: int) -> float:
    f = 10**places
    v = int(x * f)
    if v / f < x:
        v += 1
    return min(v / f, 1.0)


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.seed = args.seed
        self.first, self.last = args.years
        self.ratings = not args.no_ratings
        self.mechanisms = not getattr(args, "no_mechanisms", False)
        self.cal = Calendar()
        self.seq = 0
        n = args.branches
        self.id_width = max(6, len(str(n * (self.last - self.first + 1) * 60)))
        self.out = sys.stdout
        self.count = 0
        self.branches = self._make_branches(n, args.communities_share)

    # ---------------------------------------------------------------- set-up

    def _make_branches(self, n: int, share: float) -> list[Branch]:
        master = random.Random(self.seed * 7_919 + 1)
        n_comm = min(n, max(0, round(n * share)))
        kinds = [COMMUNITY] * n_comm + [VILLAGE] * (n - n_comm)
        master.shuffle(kinds)
        county_idx = {c[0]: i for i, c in enumerate(GEOGRAPHY)}
        rows = []
        for i, kind in enumerate(kinds):
            rng = random.Random(self.seed * 1_000_003 + i * 97 + 11)
            weights = [g[1] if kind == VILLAGE else g[2] for g in GEOGRAPHY]
            geo = rng.choices(GEOGRAPHY, weights)[0]
            places = geo[3] if kind == VILLAGE else geo[4]
            t = rng.randrange(len(places))
            rows.append(
                (county_idx[geo[0]], kind != VILLAGE, t, i, Branch(kind, geo[0], places[t], rng))
            )
        rows.sort(key=lambda r: r[:4])
        branches = [r[4] for r in rows]
        width = max(5, len(str(max(n_comm, n - n_comm, 1))))
        used: set[tuple[str, str]] = set()
        counters = {VILLAGE: 0, COMMUNITY: 0}
        years = list(range(self.first, self.last + 1))
        for b in branches:
            counters[b.kind] += 1
            b.code = ("V" if b.kind == VILLAGE else "C") + str(counters[b.kind]).zfill(width)
            b.name = self._unique_name(b, used)
        for i, b in enumerate(branches):
            if n >= 10 and i % 20 == 3:
                b.profile = "five"
            elif n >= 10 and i % 20 in (8, 15):
                b.profile = "four"
            elif b.rng.random() < WEAK_RATE * 1.2:
                self._make_weak(b, years)
        return branches

    def _unique_name(self, b: Branch, used: set[tuple[str, str]]) -> str:
        rng = b.rng
        for attempt in range(20):
            if b.kind == VILLAGE:
                core = rng.choice(VILLAGE_CORE)
                if rng.random() < 0.25:
                    core += rng.choice(VILLAGE_CORE)
                base = rng.choice(VILLAGE_PREFIX) + core + rng.choice(VILLAGE_SUFFIX)
                if base.endswith("家"):
                    base += "庄"
                name = base + "村"
            else:
                name = rng.choice(COMMUNITY_NAMES)
                if attempt > 3:
                    name += rng.choice(("东", "西", "南", "北", "新", "一", "二", "三"))
                name += "社区"
            if (b.township, name) not in used:
                break
        used.add((b.township, name))
        if b.kind == VILLAGE:
            return name + "党支部"
        return name + rng.choice(("党支部", "党支部", "党总支", "党委"))

    def _make_weak(self, b: Branch, years: list[int]) -> None:
        rng = b.rng
        y = rng.choice(years)
        doy = self.cal.span(rng, y, 4, 10)
        b.weak_on = dt.date(y, 1, 1) + dt.timedelta(days=doy)
        last = y
        if rng.random() < 0.8:
            b.lift_on = b.weak_on + dt.timedelta(days=rng.randint(300, 480))
            last = b.lift_on.year
        if b.lift_on is None or b.lift_on.year > self.last:
            last = self.last
        b.excluded = tuple(range(y, last + 1))

    # ---------------------------------------------------------------- output

    def emit(self, b: Branch, items: list[list]) -> None:
        lines = []
        code = b.code
        width = self.id_width
        for item in items:
            self.seq += 1
            rid = "r" + str(self.seq).zfill(width)
            item[3] = rid
            fields = item[2]
            ref = fields.get("ref")
            if isinstance(ref, list):
                fields = {"ref": ref[3], "reason": fields["reason"]}
            rec = {"id": rid, "type": item[1], "branch": code, "on": item[0]}
            rec.update(fields)
            lines.append(json.dumps(rec, ensure_ascii=False))
        if lines:
            self.out.write("\n".join(lines))
            self.out.write("\n")
            self.count += len(lines)

    # ---------------------------------------------------------------- registration

    def registration(self, b: Branch) -> list[list]:
        rng = b.rng
        cal = self.cal
        y0 = self.first - 1
        reg = cal.span(rng, y0, 1, 3)
        if b.kind == VILLAGE:
            households = rng.randint(150, 1200)
            population = int(households * rng.uniform(3.2, 4.3))
        else:
            households = rng.randint(1200, 6500)
            population = int(households * rng.uniform(2.5, 3.2))
        b.households, b.population = households, population
        items = [
            [
                cal.iso(y0, reg),
                "branch.registered",
                {
                    "name": b.name,
                    "kind": b.kind,
                    "county": b.county,
                    "township": b.township,
                    "households": households,
                    "population": population,
                },
                None,
            ],
            [
                cal.iso(y0, reg + rng.randint(1, 20)),
                "branch.secretary_appointed",
                {"person": person(rng), "civil_servant": rng.random() < 0.2},
                None,
            ],
        ]
        if b.kind == VILLAGE:
            b.pci = rng.randint(120, 220) * 100 + rng.randint(0, 99)
            items.append(
                [
                    cal.rand(rng, y0, 12, 12),
                    "metric.reported",
                    {"year": y0, "metric": "per_capita_income", "value": b.pci},
                    None,
                ]
            )
        if b.profile != "normal" or rng.random() < 0.08:
            items.append(self._honour(b, y0, qualifying=True))
        return items

    # ---------------------------------------------------------------- stars

    def decide_stars(self, b: Branch, y: int) -> list[str]:
        stars = STARS[b.kind]
        rng = b.rng
        if b.profile == "five":
            return list(stars)
        if b.profile == "four":
            return list(stars) if rng.random() < 0.3 else list(stars[1:])
        q = b.quality + rng.uniform(-0.12, 0.12)
        chosen = [s for s in stars[1:] if rng.random() < q]
        if len(chosen) == 4 and rng.random() < 0.3:
            return list(stars)
        return chosen

    def _honour(self, b: Branch, y: int, qualifying: bool) -> list:
        rng = b.rng
        cal = self.cal
        recipient = "branch" if rng.random() < 0.6 else "secretary"
        if qualifying:
            level = rng.choices(("county", "city", "province"), (6, 3, 1))[0]
            on = cal.iso(y, cal.index(y, 6, 26) + rng.randint(0, 5))
            b.honour_years.append(y)
            kind = "two_excellent_one_advanced"
        elif rng.random() < 0.4:
            level = "township"
            on = cal.iso(y, cal.index(y, 6, 26) + rng.randint(0, 5))
            kind = "two_excellent_one_advanced"
        else:
            level = rng.choice(("township", "county", "city", "province"))
            on = cal.rand(rng, y, 1, 12)
            kind = "other"
        if kind == "two_excellent_one_advanced":
            if recipient == "branch":
                title = "先进基层党组织"
            else:
                title = rng.choice(("优秀共产党员", "优秀党务工作者"))
        else:
            recipient = "branch"
            title = rng.choice(
                VILLAGE_HONOURS_OTHER if b.kind == VILLAGE else COMMUNITY_HONOURS_OTHER
            )
        fields = {"kind": kind, "level": level, "recipient": recipient, "title": title}
        return [on, "honor.granted", fields, None]

    # ---------------------------------------------------------------- facts of a year

    def year_facts(self, b: Branch, y: int, stars_s: list[str]) -> list[list]:
        rng = b.rng
        cal = self.cal
        kind = b.kind
        stars = STARS[kind]
        in_s = {s: (s in stars_s) for s in stars}
        items: list[list] = []
        late: list[list] = []  # corrections, appended after the date-sorted facts
        fail: dict[str, bool] = {}
        counted: dict[str, bool] = {}

        def add(on: str, typ: str, fields: dict) -> list:
            item = [on, typ, fields, None]
            items.append(item)
            return item

        # secretary change, weakness, retractions scheduled by earlier years
        if rng.random() < SECRETARY_CHANGE_RATE:
            add(
                cal.rand(rng, y, 1, 12),
                "branch.secretary_appointed",
                {"person": person(rng), "civil_servant": rng.random() < 0.2},
            )
        if b.weak_on is not None and b.weak_on.year == y:
            add(b.weak_on.isoformat(), "weakness.designated", {"reason": rng.choice(WEAK_REASONS)})
        if b.lift_on is not None and b.lift_on.year == y:
            add(b.lift_on.isoformat(), "weakness.lifted", {"reason": rng.choice(LIFT_REASONS)})
        for ref in b.pending_retractions.pop(y, ()):
            add(
                cal.rand(rng, y, 1, 6),
                "incident.retracted",
                {"ref": ref, "reason": rng.choice(RETRACT_REASONS)},
            )

        # incidents
        non_s = [s for s in stars if not in_s[s]]
        if rng.random() < INCIDENT_RATE:
            for _ in range(1 if rng.random() < 0.85 else 2):
                mode = rng.random()
                i_on = cal.span(rng, y, 1, 10)
                star = rng.choice(non_s) if non_s and mode < 0.88 else rng.choice(stars)
                cat = rng.choice(INCIDENT_CATEGORIES[star])
                note = "" if rng.random() < 0.1 else rng.choice(INCIDENT_NOTES[cat])
                inc = add(cal.iso(y, i_on), "incident.recorded", {"category": cat, "note": note})
                if not in_s[star] and mode < 0.80:
                    counted[star] = True
                elif not in_s[star] and mode < 0.88 and y < self.last:
                    later = rng.randint(y + 1, min(self.last, y + 2))
                    b.pending_retractions.setdefault(later, []).append(inc)
                else:
                    r_on = rng.randint(i_on + 1, cal.month_end(y, 12))
                    add(
                        cal.iso(y, r_on),
                        "incident.retracted",
                        {"ref": inc, "reason": rng.choice(RETRACT_REASONS)},
                    )

        # which criteria fail
        for star in stars[1:]:
            if in_s[star]:
                continue
            crits = CRITERIA[(kind, star)]
            if counted.get(star):
                k = 0 if rng.random() < 0.7 else 1
            else:
                k = 1 if rng.random() < 0.75 else 2
            for c in rng.sample(crits, k):
                fail[c] = True
        has_honour = any(h >= y - 2 for h in b.honour_years)
        if in_s[BS]:
            if not has_honour:
                items.append(self._honour(b, y, qualifying=True))
        else:
            own = [
                c
                for c in CRITERIA[(kind, BS)]
                if c != "honour_within_three_years" or not has_honour
            ]
            if all(in_s[s] for s in stars[1:]):
                if not counted.get(BS):
                    fail[rng.choice(own)] = True
            else:
                for c in own:
                    if rng.random() < 0.25:
                        fail[c] = True
            if not fail.get("honour_within_three_years") and rng.random() < 0.03:
                items.append(self._honour(b, y, qualifying=True))
        if rng.random() < 0.08:
            items.append(self._honour(b, y, qualifying=False))

        # figures
        if kind == VILLAGE:
            self._metrics(b, y, fail, add, late)

        # attestations
        county = b.county
        town_by = b.township + ("党工委" if b.township.endswith("街道") else "党委")
        for c in ATTESTED[kind]:
            failing = fail.get(c, False)
            if failing and rng.random() < 0.25:
                continue  # no attestation = not met
            if not failing and not in_s[STAR_OF[(kind, c)]] and rng.random() < 0.4:
                continue  # a star the branch does not aim at is often not inspected at all
            by = town_by
            dept = DEPARTMENT.get(c)
            if dept and rng.random() < 0.15:
                by = county + dept
            a_on = cal.span(rng, y, 10, 12)
            if rng.random() < 0.02:
                add(
                    cal.iso(y, a_on),
                    "criterion.attested",
                    {"year": y, "criterion": c, "met": failing, "by": by},
                )
                late.append(
                    [
                        cal.iso(y, max(0, a_on - rng.randint(1, 20))),
                        "criterion.attested",
                        {"year": y, "criterion": c, "met": not failing, "by": by},
                        None,
                    ]
                )
            else:
                add(
                    cal.iso(y, a_on),
                    "criterion.attested",
                    {"year": y, "criterion": c, "met": not failing, "by": by},
                )

        # designations
        for d in ("three_zero", "epidemic_free"):
            self._designation(b, y, d, not fail.get(d, False), add)
        if kind == COMMUNITY:
            fe_ok = not fail.get("full_employment_or_experience", False)
            r = rng.random()
            fe = fe_ok and r < 0.7
            bee = fe_ok and r >= 0.5
            self._designation(b, y, "full_employment", fe, add)
            if bee or rng.random() < 0.6:
                add(
                    cal.rand(rng, y, 10, 12),
                    "criterion.attested",
                    {
                        "year": y,
                        "criterion": "business_environment_experience",
                        "met": bee,
                        "by": town_by,
                    },
                )

        # development plan and members
        if kind == VILLAGE:
            if fail.get("development_plan"):
                if rng.random() < 0.3:
                    target, developed = None, rng.randint(0, 2)
                else:
                    target = rng.randint(1, 3)
                    developed = rng.randint(0, target - 1)
            else:
                target = rng.choice((0, 1, 1, 2, 2, 3))
                developed = target + rng.choice((0, 0, 1))
            if target is not None:
                add(cal.rand(rng, y, 1, 3), "plan.set", {"year": y, "target": target})
        else:
            developed = rng.choice((0, 0, 1, 1, 2))
        wealth_p = 0.25 if kind == VILLAGE else 0.05
        for _ in range(developed):
            add(
                cal.rand(rng, y, 1, 12),
                "member.developed",
                {"person": person(rng), "wealth_leader": rng.random() < wealth_p},
            )

        self._meetings(b, y, in_s[BS], add)

        items.sort(key=lambda it: it[0])
        items.extend(late)
        return items

    def _metrics(self, b: Branch, y: int, fail: dict[str, bool], add, late: list) -> None:
        rng = b.rng
        cal = self.cal

        def report(metric: str, value: float, wrong: float) -> None:
            m_on = cal.span(rng, y, 10, 12)
            if rng.random() < CORRECTION_RATE:
                add(
                    cal.iso(y, m_on),
                    "metric.reported",
                    {"year": y, "metric": metric, "value": wrong},
                )
                earlier = cal.iso(y, max(0, m_on - rng.randint(1, 30)))
                late.append(
                    [
                        earlier,
                        "metric.reported",
                        {"year": y, "metric": metric, "value": value},
                        None,
                    ]
                )
            else:
                add(
                    cal.iso(y, m_on),
                    "metric.reported",
                    {"year": y, "metric": metric, "value": value},
                )

        # collective operating earnings (yuan)
        if fail.get("collective_income"):
            r = rng.random()
            if r >= 0.1:
                if r < 0.2:
                    v: float = 199_999
                elif r < 0.3:
                    v = -rng.randint(10, 800) * 100
                else:
                    v = rng.randint(300, 1_990) * 100
                report("collective_income", v, rng.choice((200_000, v * 10, 250_000)))
        else:
            r = rng.random()
            v = (
                200_000
                if r < 0.1
                else rng.randint(2_000, 9_000) * 100 + (rng.randint(0, 99) if r < 0.3 else 0)
            )
            report("collective_income", v, rng.choice((v // 10, 180_000, -v)))

        # per-capita disposable income, compared with last year's latest figure
        prev = b.pci
        if fail.get("per_capita_income_growth"):
            v = prev if rng.random() < 0.3 else int(prev * (1 - rng.uniform(0.005, 0.06)))
        else:
            v = max(prev + 1, int(prev * (1 + rng.uniform(0.015, 0.09))))
        b.pci = v
        report("per_capita_income", v, v * 10 if rng.random() < 0.5 else prev)

        def ratio(criterion: str, threshold: float, low: float) -> None:
            places = rng.choice((2, 3, 4))
            if fail.get(criterion):
                if rng.random() < 0.08:
                    return
                v = floor_to(rng.uniform(low, threshold - 0.0001), places)
                if v >= threshold:
                    v = round(threshold - 0.01, 2)
                wrong = ceil_to(rng.uniform(threshold, 1.0), places)
            else:
                r = rng.random()
                if r < 0.08:
                    v = threshold
                elif r < 0.1:
                    v = 1.0
                else:
                    v = ceil_to(rng.uniform(threshold, 1.0), places)
                wrong = floor_to(rng.uniform(low, threshold - 0.0001), places)
            report(criterion, v, wrong)

        toilet = fail.get("sanitary_toilet_ratio")
        places = rng.choice((2, 3, 4))
        if toilet:
            if rng.random() >= 0.08:
                v = min(floor_to(rng.uniform(0.62, 0.7999), places), 0.79)
                report("sanitary_toilet_ratio", v, ceil_to(rng.uniform(0.8, 0.99), places))
        else:
            r = rng.random()
            if r < 0.08:
                v = 0.8
            elif r < 0.25:
                v = min(ceil_to(rng.uniform(0.8, 0.8499), places), 0.84)
            else:
                v = ceil_to(rng.uniform(0.85, 0.995), places)
            report("sanitary_toilet_ratio", v, floor_to(rng.uniform(0.55, 0.79), places))
        ratio("medical_insurance_rate", 0.95, 0.86)
        ratio("pension_insurance_rate", 0.95, 0.82)

    def _designation(self, b: Branch, y: int, d: str, held: bool, add) -> None:
        rng = b.rng
        cal = self.cal
        if held:
            add(cal.rand(rng, y, 9, 12), "designation.granted", {"year": y, "designation": d})
            return
        if rng.random() < 0.5:
            g_on = cal.span(rng, y, 3, 9)
            add(cal.iso(y, g_on), "designation.granted", {"year": y, "designation": d})
            r_on = rng.randint(g_on + 1, cal.month_end(y, 12))
            add(cal.iso(y, r_on), "designation.revoked", {"year": y, "designation": d})

    def _meetings(self, b: Branch, y: int, strong: bool, add) -> None:
        """三会一课: party congress and lesson quarterly, theme day on the 5th, org life yearly."""
        rng = b.rng
        cal = self.cal
        r = rng.random()
        if strong:
            mode = "full" if r < 0.9 else "partial"
        elif b.meeting_habit < FULL_MINUTES_SHARE:
            mode = "full" if r < 0.8 else "partial"
        else:
            # most branches file only the odd meeting: their 三会一课 books stay in the township
            if r < 0.3:
                add(cal.rand(rng, y, 6, 12), "meeting.held", {"kind": "org_life"})
            if r < 0.15:
                add(cal.rand(rng, y, 1, 12), "meeting.held", {"kind": rng.choice(MEETING_EXTRA)})
            if self.mechanisms:  # branches keeping their books online file 三会一课 too
                Mechanisms(self, b, y).org_life(add)
            return
        quarters = [0, 1, 2, 3]
        congress = list(quarters)
        lesson = list(quarters)
        months = list(range(1, 13))
        org_life = 1 + (rng.random() < 0.2)
        if mode == "partial":
            what = rng.random()
            if what < 0.3:
                congress.remove(rng.choice(quarters))
            elif what < 0.5:
                lesson.remove(rng.choice(quarters))
            elif what < 0.65:
                org_life = 0
            else:
                for m in rng.sample(months, rng.randint(1, 3)):
                    months.remove(m)
        for q in congress:
            add(cal.rand(rng, y, 3 * q + 1, 3 * q + 3), "meeting.held", {"kind": "party_congress"})
        for q in lesson:
            add(cal.rand(rng, y, 3 * q + 1, 3 * q + 3), "meeting.held", {"kind": "party_lesson"})
        for m in months:
            add(cal.iso(y, cal.index(y, m, 5)), "meeting.held", {"kind": "theme_day"})
        for _ in range(org_life):
            add(cal.rand(rng, y, 6, 12), "meeting.held", {"kind": "org_life"})
        for _ in range(rng.randint(0, 2)):
            add(cal.rand(rng, y, 1, 12), "meeting.held", {"kind": rng.choice(MEETING_EXTRA)})

    # ---------------------------------------------------------------- rating chain

    def rating_chain(self, b: Branch, y: int, stars_s: list[str]) -> list[list]:
        rng = b.rng
        cal = self.cal
        stars = STARS[b.kind]
        y1 = y + 1
        items: list[list] = []

        def canon(ss: set[str]) -> list[str]:
            return [s for s in stars if s in ss]

        def rec(on: str, typ: str, ss: list[str], by: str | None = None) -> None:
            fields: dict = {"year": y, "stars": list(ss)}
            if by is not None:
                fields["by"] = by
            items.append([on, typ, fields, None])

        declared_on = cal.rand(rng, y, 11, 12)
        if y in b.excluded:
            if stars_s and rng.random() < 0.3:
                rec(declared_on, "rating.declared", stars_s)  # refused: weak and lax
            return items
        if not stars_s:
            if rng.random() < 0.1:
                rec(
                    declared_on, "rating.declared", [rng.choice(stars[1:])]
                )  # township will not recommend
            return items

        s_set = set(stars_s)
        outside = [s for s in stars[1:] if s not in s_set]
        if len(stars_s) == 4 and BS not in s_set:
            outside.append(BS)  # declaring BS then means declaring all five
        refusal = None
        if b.profile == "normal" and rng.random() < REFUSAL_RATE:
            refusal = rng.choice(("late", "overclaim", "uncovered", "authority", "second"))
            if refusal in ("overclaim", "uncovered") and not outside:
                refusal = "second"
            if refusal == "overclaim" and not (
                len(stars_s) <= 2 or (len(stars_s) == 4 and BS not in s_set)
            ):
                refusal = "uncovered"

        if refusal == "late":
            rec(cal.iso(y1, 1), "rating.declared", stars_s)  # Y+1-01-02: after the deadline
            return items

        def with_extra(x: str) -> list[str]:
            return list(stars) if x == BS else canon(s_set | {x})

        # declaration
        r = rng.random()
        if refusal == "overclaim":
            x = BS if len(stars_s) == 4 else rng.choice([s for s in outside if s != BS])
            declared = with_extra(x)
        elif refusal == "uncovered":
            declared = list(stars_s)
        elif r < 0.12 and outside:
            declared = with_extra(rng.choice(outside))
        elif r < 0.18 and len(stars_s) >= 2 and BS not in s_set:
            drop = rng.choice(stars_s)
            declared = [s for s in stars_s if s != drop]
        else:
            declared = list(stars_s)
        rec(declared_on, "rating.declared", declared)

        # township/street: the eligible part of the declaration
        t_on = rng.randint(cal.index(y1, 1, 5), cal.index(y1, 1, 16))
        township = (
            declared if refusal == "overclaim" else canon({s for s in declared if s in s_set})
        )
        if not township:
            return items
        if refusal == "uncovered":
            extra = with_extra(rng.choice(outside))
            rec(cal.iso(y1, t_on), "rating.recommended", extra, "township")  # refused: not covered
            t_on += rng.randint(1, 5)
        rec(cal.iso(y1, t_on), "rating.recommended", township, "township")

        c_on = cal.iso(y1, rng.randint(cal.index(y1, 1, 21), cal.index(y1, 2, 10)))
        m_on = cal.iso(y1, rng.randint(cal.index(y1, 2, 11), cal.month_end(y1, 2)))
        p_on = cal.iso(y1, rng.randint(cal.index(y1, 3, 1), cal.index(y1, 3, 25)))
        n = len(township)
        final: tuple[str, str, list[str]]
        if n <= 3:
            if refusal == "overclaim":
                rec(c_on, "rating.awarded", township, "county")  # refused: a star not eligible
                c_on = cal.iso(y1, cal.index(y1, 2, 12))
                township = [s for s in township if s in s_set]
            if refusal == "authority":
                rec(c_on, "rating.awarded", township, "city")  # refused: the city awards exactly 4
                c_on = cal.iso(y1, cal.index(y1, 2, 12))
            rec(c_on, "rating.awarded", township, "county")
            final = (c_on, "county", township)
        else:
            if refusal == "authority":
                rec(
                    c_on, "rating.awarded", township, "county"
                )  # refused: the county awards up to 3
            rec(c_on, "rating.recommended", township, "county")
            if n == 4:
                rec(m_on, "rating.awarded", township, "city")
                final = (m_on, "city", township)
            elif b.profile == "normal" and refusal != "overclaim" and rng.random() < 0.05:
                four = list(stars[1:])
                rec(m_on, "rating.awarded", four, "city")  # the city stops at four stars
                final = (m_on, "city", four)
            else:
                rec(m_on, "rating.recommended", township, "city")
                rec(p_on, "rating.awarded", township, "province")
                final = (p_on, "province", township)
                if refusal == "overclaim":  # the province's award was refused: the city awards 4
                    four = list(stars[1:])
                    on = cal.iso(y1, cal.index(y1, 3, 28))
                    rec(on, "rating.awarded", four, "city")
                    final = (on, "city", four)
        if refusal == "second":
            on, by, ss = final
            rec(cal.iso(y1, cal.index(y1, 3, 29) + rng.randint(0, 2)), "rating.awarded", ss, by)
        return items

    # ---------------------------------------------------------------- cases and ladder

    def mechanism_cases_and_ladder(self, b: Branch, y: int) -> list[list]:
        """Cases reported in ``y`` and the problem-register records dated in ``y``
        (``scripts/ledger_cases.py``; mechanisms.md §3-§4)."""
        import ledger_cases

        plans: dict[str, list[list]] | None = getattr(self, "_ladder_plans", None)
        if plans is None:
            plans = self._ladder_plans = self._plan_ladders()
        cases = ledger_cases.cases_of_year(self.seed, b.code, b.kind, y, self.last)
        return cases + [item for item in plans[b.code] if item[0].startswith(f"{y}-")]

    def _plan_ladders(self) -> dict[str, list[list]]:
        """Every branch's problem register; the community listed by the ladder is kept out
        of rating for the years of its spell, like any weak-and-lax branch."""
        import ledger_cases

        plans: dict[str, list[list]] = {}
        counters = {VILLAGE: 0, COMMUNITY: 0}
        listed_chosen = False
        for b in self.branches:
            counters[b.kind] += 1
            suitable = (
                b.kind == COMMUNITY and not listed_chosen and b.weak_on is None
                and b.profile == "normal"
            )  # fmt: skip
            story = ledger_cases.ladder_story(counters[b.kind], b.kind, suitable)
            listed_chosen = listed_chosen or story == "listed"
            plan = ledger_cases.problem_register(
                self.seed, b.code, b.kind, story, self.first, self.last, STARS[b.kind]
            )
            years = {int(i[0][:4]) for i in plan if i[1].startswith("weakness.")}
            if years:
                b.excluded = tuple(sorted(set(b.excluded) | set(range(min(years), max(years) + 1))))
            plans[b.code] = plan
        return plans

    # ---------------------------------------------------------------- main loop

    def run(self) -> None:
        opening = []
        for b in self.branches:
            items = self.registration(b)
            self.emit(b, items[:1])
            opening.append(items[1:])
        for b, items in zip(self.branches, opening, strict=True):
            self.emit(b, items)
        for y in range(self.first, self.last + 1):
            for b in self.branches:
                stars_s = self.decide_stars(b, y)
                self.emit(b, self.year_facts(b, y, stars_s))
                if self.mechanisms:
                    self.emit(b, Mechanisms(self, b, y).items())
                    self.emit(b, self.mechanism_cases_and_ladder(b, y))
                if self.ratings:
                    self.emit(b, self.rating_chain(b, y, stars_s))


class Mechanisms:
    """A branch-year's working-mechanism records, drawn from their own random stream (seeded
    by branch and year) so the rest of the ledger is the same with or without them."""

    def __init__(self, gen: Generator, b: Branch, y: int) -> None:
        self.gen, self.b, self.y = gen, b, y
        self.m = random.Random(f"mechanisms:{gen.seed}:{b.code}:{y}")
        habit = random.Random(f"habit:{gen.seed}:{b.code}")
        self.keen = habit.random()  # < MECHANISM_SHARE: keeps its books in the ledger
        self.flaw = habit.random()  # a lasting weakness of the branch's registers
        self.out: list[list] = []

    @property
    def books(self) -> bool:
        return self.keen < MECHANISM_SHARE

    @property
    def skip(self) -> float:
        """The chance a periodic record is missing: higher for the branches falling behind."""
        return 0.15 if MECHANISM_SHARE - BEHIND_SHARE <= self.keen < MECHANISM_SHARE else 0.002

    def add(self, on: dt.date, typ: str, fields: dict) -> None:
        self.out.append([on.isoformat(), typ, fields, None])

    def day(self, month: int, first: int = 1, last: int = 28) -> dt.date:
        return dt.date(self.y, month, self.m.randint(first, last))

    def items(self) -> list[list]:
        if self.b.kind == COMMUNITY:
            self.community()
        else:
            self.village()
        if self.m.random() < 0.9:
            self.add(self.day(self.m.randint(3, 11)), "activity.held", {"kind": "emergency_drill"})
        self.out.sort(key=lambda item: item[0])
        return self.out

    def org_life(self, add) -> None:
        """三会一课 of a branch keeping its books: congress and lesson each quarter, theme day
        on the 5th (now and then another day), org life once; from a stream of its own."""
        if not self.books:
            return
        m, y = random.Random(f"org-life:{self.gen.seed}:{self.b.code}:{self.y}"), self.y
        for q in range(4):
            for kind in ("party_congress", "party_lesson"):
                if m.random() > self.skip / 2:
                    on = dt.date(y, 3 * q + m.randint(1, 3), m.randint(1, 28))
                    add(on.isoformat(), "meeting.held", {"kind": kind})
        for month in range(1, 13):
            if m.random() > self.skip / 2:
                day = 5 if m.random() > 0.05 else m.randint(6, 20)
                add(dt.date(y, month, day).isoformat(), "meeting.held", {"kind": "theme_day"})
        add(
            dt.date(y, m.randint(6, 12), m.randint(1, 28)).isoformat(),
            "meeting.held",
            {"kind": "org_life"},
        )

    # ------------------------------------------------------------------ villages
    def village(self) -> None:
        b, m, y = self.b, self.m, self.y
        if y == self.gen.first:
            for k in range(1 if self.flaw < 0.1 else m.randint(1, 3)):
                enterprise = "" if self.flaw < 0.1 else m.choice(LEADING_ENTERPRISES)
                fields: dict[str, object] = {
                    "cooperative": f"K{k + 1}",
                    "name": f"{b.name[:3]}合作社{k + 1}",
                }
                fields |= {"households": m.randint(20, 200), "enterprise": enterprise}
                self.add(self.day(1, 2, 20), "cooperative.bound", fields)
        if self.books:
            self.briefings()
            self.linkage()
        needed = -(-b.population // 1000)
        toilets = needed + m.randint(0, 1) if m.random() > 0.1 else max(0, needed - 1)
        self.add(
            self.day(11),
            "facility.reported",
            {"year": y, "facility": "public_toilets", "value": toilets},
        )

    def briefings(self) -> None:
        start = dt.date(self.y, 1, 1)
        monday = start - dt.timedelta(days=start.weekday())
        while monday.year <= self.y:
            on = monday + dt.timedelta(days=self.m.randint(0, 4))
            if on.year == self.y and self.m.random() > self.skip:
                self.add(on, "meeting.held", {"kind": "two_committee_briefing"})
            monday += dt.timedelta(days=7)

    def linkage(self) -> None:
        m, b = self.m, self.b
        members = max(8, b.households // 18)
        for month in range(1, 13):
            if m.random() < self.skip:
                continue
            exempt = m.randint(1, max(1, members // 8))
            linking = members - exempt if m.random() > self.skip else members - exempt - 1
            households = b.households if m.random() > 0.03 else b.households + m.randint(1, 9)
            report = dt.date(self.y + month // 12, month % 12 + 1, m.randint(5, 12))
            self.add(report, "linkage.reported", {
                "month": f"{self.y}-{month:02d}", "households": households,
                "households_linked": households if m.random() > self.skip else households - 1,
                "members": members, "members_exempt": exempt, "members_linking": linking,
                "members_contacting_weekly": linking,
            })  # fmt: skip

    # --------------------------------------------------------------- communities
    def community(self) -> None:
        b, m, y = self.b, self.m, self.y
        grids = self.grid_sizes()
        if y == self.gen.first:
            for g, households in enumerate(grids):
                workers = 0 if (self.flaw < 0.05 and g == 0) else m.randint(1, 2)
                self.add(self.day(1, 2, 3), "grid.defined", {
                    "grid": f"G{g + 1}", "households": households, "head": person(m),
                    "full_time_workers": workers,
                })  # fmt: skip
            for p in range(0 if self.flaw < 0.04 else m.randint(1, 3)):
                unit, unit_kind = PARTNER_UNITS[(p + len(b.code)) % len(PARTNER_UNITS)]
                fields = {"partner": f"P{p + 1}", "unit": unit, "unit_kind": unit_kind}
                self.add(self.day(m.randint(1, 3)), "partner.joined", fields)
        if self.books:
            for month in range(1, 13):
                for g in range(len(grids)):
                    if m.random() > self.skip:
                        self.add(self.day(month, 6, 28), "activity.held", {
                            "kind": "door_knocking", "grid": f"G{g + 1}",
                        })  # fmt: skip
        area = b.households * 0.3 * (m.uniform(1.0, 1.6) if m.random() > 0.08 else 0.8)
        self.add(self.day(11), "facility.reported", {
            "year": y, "facility": "service_centre_m2", "value": round(area, 1),
        })  # fmt: skip
        workers = max(3, round(b.households / m.uniform(80, 110)))
        floor = WAGE_FLOOR.get(y, 80_000)
        pay = floor + m.randint(500, 9000) if m.random() > 0.08 else floor - 2400
        insured = m.random() > 0.05
        self.add(dt.date(y, 12, m.randint(1, 20)), "staffing.reported", {
            "year": y, "workers": workers, "lowest_pay": pay, "social_insurance": insured,
            "housing_fund": insured or m.random() < 0.5,
        })  # fmt: skip

    def grid_sizes(self) -> list[int]:
        """Grids of about 420 households adding up to the registered households; a few
        branches have grids over 500 (a warning) or grids that do not add up (a failure)."""
        households = self.b.households
        size = 620 if self.flaw > 0.92 else 420
        n = max(1, round(households / size))
        sizes = [households // n + (1 if i < households % n else 0) for i in range(n)]
        if 0.05 <= self.flaw < 0.08:
            sizes[-1] -= 30  # a gap between grids: 无缝衔接 fails
        return sizes


def parse_years(text: str) -> tuple[int, int]:
    parts = text.split("-")
    try:
        if len(parts) == 1:
            first = last = int(parts[0])
        elif len(parts) == 2:
            first, last = int(parts[0]), int(parts[1])
        else:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YEAR or FIRST-LAST, got {text!r}") from None
    if not (2001 <= first <= last <= 2099):
        raise argparse.ArgumentTypeError(f"years out of range: {text!r}")
    return first, last


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--branches", type=int, default=60, help="number of branches (default 60)")
    p.add_argument(
        "--years", type=parse_years, default=(2022, 2026), help="rating years, e.g. 2022-2026"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--no-ratings", action="store_true", help="omit all rating.* records")
    p.add_argument(
        "--no-mechanisms",
        action="store_true",
        help="omit the working-mechanism records (activities, linkage, grids, staffing ...)",
    )
    p.add_argument(
        "--communities-share",
        type=float,
        default=0.3,
        help="share of urban communities among the branches (default 0.3)",
    )
    args = p.parse_args(argv)
    if args.branches < 0:
        p.error("--branches must be >= 0")
    if not 0.0 <= args.communities_share <= 1.0:
        p.error("--communities-share must be within 0..1")
    started = time.perf_counter()
    gen = Generator(args)
    gen.run()
    sys.stdout.flush()
    elapsed = time.perf_counter() - started
    print(
        f"generate_ledger: {gen.count} records, {args.branches} branches, "
        f"years {args.years[0]}-{args.years[1]}, seed {args.seed}, {elapsed:.2f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
