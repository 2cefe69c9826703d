"""What each list command prints for people (``--json`` is the contract and lives elsewhere).

Every list has a header row and ends with one summary line; ids are followed by the Chinese
wording of the rulebooks (``labels``); columns align by display width (``render``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from api.cli import labels as zh
from api.cli.render import counted, print_table
from api.exports import record_type


def _plain(value: Any) -> str:
    """Strings as they are unless they would break the one-line-per-record layout."""
    if isinstance(value, str) and value.isprintable() and " " not in value:
        return value
    return msgspec.json.encode(value).decode()


def _stars_line(n: int) -> str:
    return f"{n}★"


# --------------------------------------------------------------------- history
def history(branch: str, entries: Sequence[Any]) -> None:
    rows = []
    for e in entries:
        record = dict(e.record)
        kind = record.pop("type")
        rid = record.pop("id", "-")
        record.pop("branch", None)
        fields = " ".join(f"{k}={_plain(v)}" for k, v in record.items())
        rows.append(
            [
                e.position,
                f"{e.recorded_at:%Y-%m-%d %H:%M:%S.%f}",
                e.recorder,
                rid,
                record_type(kind),
                fields,
            ]
        )
    print_table(
        [
            "位置 position",
            "记录时间 recorded at (UTC)",
            "记录人 recorder",
            "编号 id",
            "类型 type",
            "内容 fields",
        ],
        rows,
        right="0",
    )
    last = f", the last at position {entries[-1].position}" if entries else ""
    print(f"{counted(len(entries), 'record')} of {branch}{last}")


# ----------------------------------------------------------------- eligibility
def eligibility(year: int, results: Sequence[Any], detailed: bool, star_order: Any) -> None:
    rows = []
    for e in results:
        if e.excluded:
            stars = f"excluded 不参与评星: {e.exclusion.detail if e.exclusion else ''}"
        else:
            stars = " ".join(
                f"{'★' if s in e.eligible else '☆'}{zh.star_zh(s, e.kind, e.rulebook) or s}"
                for s in star_order(e.kind)
            )
        rows.append([e.branch, e.year, e.rulebook, _stars_line(len(e.eligible)), stars])
    print_table(
        ["支部 branch", "年度 year", "标准 rulebook", "星 stars", "★ eligible 可评 / ☆ not"], rows
    )
    if detailed:
        for e in results:
            _criteria(e)
    per_level = Counter(len(e.eligible) for e in results if not e.excluded)
    excluded = sum(1 for e in results if e.excluded)
    spread = ", ".join(f"{n}★ {per_level[n]}" for n in range(6) if per_level[n])
    print(
        f"{counted(len(results), 'branch', 'branches')} for {year}"
        + (f": {spread}" if spread else "")
        + (f"; {excluded} excluded 不参与评星" if excluded else "")
    )


def _criteria(e: Any) -> None:
    """Per star, each criterion as ``✓ id 中文`` with its detail and evidence beneath."""
    print(f"\n{e.branch} {e.year}, rulebook {e.rulebook}:")
    if e.excluded and e.exclusion is not None:
        print(f"  ✗ {zh.criterion('exclusion', None, e.kind, e.rulebook)}")
        print(f"      {e.exclusion.detail}{_evidence(e.exclusion.evidence)}")
    stars: dict[str, list[Any]] = {}
    for c in e.criteria:
        stars.setdefault(c.star, []).append(c)
    for star, criteria in stars.items():
        verdict = "eligible 可评" if star in e.eligible else "not eligible 不可评"
        print(
            f"{'★' if star in e.eligible else '☆'} {zh.star(star, e.kind, e.rulebook)}: {verdict}"
        )
        for c in criteria:
            print(
                f"  {'✓' if c.met else '✗'} {zh.criterion(c.criterion, c.star, e.kind, e.rulebook)}"
            )
            print(f"      {c.detail}{_evidence(c.evidence)}")
    met = sum(1 for c in e.criteria if c.met)
    print(f"{met} of {counted(len(e.criteria), 'criterion', 'criteria')} met")


def _evidence(ids: Sequence[str]) -> str:
    return f" [{', '.join(ids)}]" if ids else ""


# ------------------------------------------------------ awards, rewards, priority
def _names(star_ids: Sequence[str]) -> str:
    """Stars by their rulebook names (支部过硬星、产业兴旺星), compact enough for a row."""
    return "、".join(zh.star_zh(s) or s for s in star_ids)


def awards(
    year: int,
    rows: Sequence[dict[str, Any]],
    kinds: dict[str, str] | None = None,
    rulebook: str | None = None,
) -> None:
    """The year's awards; ``kinds`` (branch -> kind) picks the kind's wording of a failing
    criterion (a community's "三零"社区, not the village's "三零"村), and ``rulebook`` (the one
    in force for the year, which judged ``now_failing``) its threshold's wording."""
    kinds = kinds or {}
    table = []
    for a in rows:
        table.append(
            [
                a["branch"],
                a["year"],
                _stars_line(a["level"]),
                _names(a["stars"]),
                zh.level(a["by"]),
                a["on"],
                "STALE 已失效" if a["stale"] else "",
            ]
        )
    print_table(
        [
            "支部 branch",
            "年度 year",
            "星级 level",
            "授星 stars awarded",
            "授予 by",
            "日期 on",
            "失效 stale",
        ],
        table,
    )
    for a in rows:
        if a["stale"]:
            print(f"\n{a['branch']} {a['year']}: stale 已失效, now failing:")
            for c in a["now_failing"]:
                kind = kinds.get(a["branch"])
                star = f"{zh.star(c['star'], kind)}: " if c["star"] else ""
                print(f"  ✗ {star}{zh.criterion(c['criterion'], c['star'], kind, rulebook)}")
                print(f"      {c['detail']}{_evidence(c.get('evidence') or [])}")
    levels = Counter(a["level"] for a in rows)
    spread = ", ".join(f"{n}★ {levels[n]}" for n in sorted(levels))
    stale = sum(1 for a in rows if a["stale"])
    print(
        f"{counted(len(rows), 'award')} for {year}" + (f" ({spread})" if spread else "")
        + f", {stale} stale"
    )  # fmt: skip


def rewards(year: int, rows: Sequence[dict[str, Any]]) -> None:
    table = []
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0])
    for w in rows:
        sec = w["secretary"] or {}
        funds = "—" if w["funds_yuan"] is None else f"{w['funds_yuan']:,.0f}元"
        rise = "—" if w["pay_rise_pct"] is None else f"+{w['pay_rise_pct']}%"
        table.append(
            [
                w["branch"],
                w["county"],
                _stars_line(w["level"]),
                zh.level(w["authority"]),
                w["on"],
                funds,
                rise,
                sec.get("person") or "—",
                "; ".join(zh.benefit(b) for b in w["secretary_benefits"]) or "—",
            ]
        )
        total = totals[(w["county"], w["level"])]
        total[0] += 1
        total[1] += w["funds_yuan"] or 0
    print_table(
        ["支部 branch", "县区 county", "星级 level", "授予 by", "日期 on", "工作经费 funds",
         "两委报酬 pay rise", "书记 secretary", "书记待遇 secretary benefits"],
        table,
        right="56",
    )  # fmt: skip
    if totals:
        print()
        print_table(
            ["县区 county", "星级 level", "支部数 branches", "工作经费 funds"],
            [
                [county, _stars_line(level), count, f"{funds:,.0f}元"]
                for (county, level), (count, funds) in sorted(totals.items())
            ],
            right="23",
        )
    funds_total = sum(w["funds_yuan"] or 0 for w in rows)
    print(f"{counted(len(rows), 'rewarded award')} for {year}, 工作经费 funds {funds_total:,.0f}元")


def priority(year: int, rows: Sequence[dict[str, Any]]) -> None:
    table = []
    for p in rows:
        people = ", ".join(f"{s['year']}:{s['person']}" for s in p["secretaries"])
        table.append(
            [
                p["branch"],
                zh.beside(p["tier"], zh.TIER_ZH.get(p["tier"], "")),
                "-".join(str(y) for y in (p["years"][0], p["years"][-1])),
                people,
                "书记有变动 changed" if p["secretary_changed"] else "",
            ]
        )
    print_table(
        [
            "支部 branch",
            "优先 tier",
            "年度 years",
            "书记 secretaries",
            "书记变动 secretary changed",
        ],
        table,
    )
    if rows:
        print("entitlements 待遇: " + "; ".join(zh.benefit(b) for b in rows[0]["entitlements"]))
    print(f"{counted(len(rows), 'branch', 'branches')} with three-year priority ending {year}")


# ------------------------------------------------------------------- recompute
def against_the_branch(change: dict[str, Any]) -> list[dict[str, Any]]:
    """The criteria that moved the way the branch's stars moved: for a lost star the ones
    that fail now and did not before; for a gained star the ones that pass now and did
    not before, or failed before and the new rulebook drops. A criterion that changed but did
    not cause the change is not a reason."""
    lost, gained = set(change["lost"]), set(change["gained"])
    return [
        f
        for f in change["flipped"]
        if (f["star"] in lost and not f["now"] and f["was"] is not False)
        or (f["star"] in gained and f["now"] and f["was"] is not True)
        or (f["star"] in gained and f["now"] is None and f["was"] is False)
    ]


_CHANGE = {"lost": "失 lost", "gained": "得 gained"}


def recompute(report: dict[str, Any], kinds: dict[str, str] | None = None) -> None:
    """The dry run or adoption; ``kinds`` (branch -> kind) as for ``awards``."""
    kinds = kinds or {}
    to = report["to"]
    print(f"{report['year']}: rulebook {report['from']} -> {to}")
    rows = []
    for c in report["changes"]:
        reasons = "; ".join(
            f"{zh.criterion(f['criterion'], f['star'], kinds.get(c['branch']), to)}: {f['detail']}"
            for f in against_the_branch(c)
        )
        rows.append(
            [
                c["branch"],
                c["county"],
                zh.stars(c["gained"], None, to) if c["gained"] else "",
                zh.stars(c["lost"], None, to) if c["lost"] else "",
                reasons,
            ]
        )
    print_table(["支部 branch", "县区 county", "得星 gained", "失星 lost", "reasons 原因"], rows)
    if report["counts"]:
        print()
        print_table(
            ["县区 county", "星 star", "变化 change", "支部数 branches"],
            [
                [
                    row["county"],
                    zh.star(row["star"], None, to),
                    _CHANGE.get(row["change"], row["change"]),
                    row["branches"],
                ]
                for row in report["counts"]
            ],
            right="3",
        )
    outcome = (
        "adopted"
        if report.get("adopted")
        else "dry run: nothing recorded (add --adopt --reason TEXT)"
    )
    print(
        f"{counted(report['branches_evaluated'], 'branch', 'branches')} evaluated, "
        f"{len(report['changes'])} would change; {outcome}"
    )


# ------------------------------------------------------------------- rulebooks
def rulebooks(books: Iterable[dict[str, Any]], adoptions: Sequence[dict[str, Any]]) -> None:
    books = list(books)
    print_table(
        ["标准 rulebook", "起始年度 from", "名称 title"],
        [[b["id"], b["applies_from"], b["title"]] for b in books],
    )
    if adoptions:
        print()
        print_table(
            ["年度 year", "adopted 采用", "recorder", "recorded at", "reason"],
            [
                [a["year"], a["rulebook"], a["recorder"], a["recorded_at"], a["reason"]]
                for a in adoptions
            ],
        )
    print(f"{counted(len(books), 'rulebook')}, {counted(len(adoptions), 'adoption')}")
