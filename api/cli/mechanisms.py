"""``fivestar compliance`` and ``fivestar staffing`` (mechanisms.md §2).

Registered on the parser by ``add_parsers``; each command sets its own handler, so the shared
``main.py`` only calls ``add_parsers``. Heavy imports wait until a command runs.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from api.cli.export import add_export_args, exported
from api.cli.output import _as_of, date_arg, emit_json, year_arg

STATUS_MARK = {"met": "✓", "missed": "✗", "pending": "…"}
STATUS_ZH = {"met": "达标", "missed": "未达标", "pending": "进行中"}


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("compliance", help="working mechanisms each branch is behind on (§2)")
    p.add_argument("--year", type=year_arg, required=True)
    p.add_argument("--branch")
    p.add_argument("--county")
    p.add_argument("--township")
    p.add_argument("--on", type=date_arg, help="business date D (default today)")
    p.add_argument("--status", choices=["met", "missed", "pending"])
    p.add_argument("--requirement", help="only this requirement")
    _as_of(p)
    p.add_argument("--json", action="store_true")
    add_export_args(p)
    p.set_defaults(handler=cmd_compliance)

    p = sub.add_parser("staffing", help="community workers per county (职业化, §2)")
    p.add_argument("--year", type=year_arg, required=True)
    p.add_argument("--json", action="store_true")
    add_export_args(p)
    p.set_defaults(handler=cmd_staffing)


def cmd_compliance(args: argparse.Namespace) -> int:
    from api.cli.commands import UserError, _open
    from api.cli.render import counted
    from domain.model.compliance import LABELS, filtered, labels
    from domain.model.parameters import load_standards

    if args.requirement is not None and args.requirement not in LABELS:
        known = ", ".join(LABELS)
        raise UserError(f"--requirement: unknown requirement {args.requirement!r} ({known})")
    with _open(args) as svc:
        on = args.on or svc.today()
        standards = load_standards()  # a broken file: exit 2 naming it (main)
        results = svc.compliance(
            args.year,
            on,
            branch=args.branch,
            county=args.county,
            township=args.township,
            as_of=args.as_of,
            position=args.position,
        )
        rows = _names(svc)
    names = {row["code"]: row["name"] for row in rows}
    counties = {row["code"]: row["county"] for row in rows}
    if args.branch and not results:
        raise UserError(f"unknown branch {args.branch!r}")
    shown = filtered(results, args.requirement, args.status)
    if exported(args, "compliance", shown):  # a row per branch and requirement
        return 0
    if args.json:
        emit_json(shown)
        return 0
    periods = labels(standards)
    for result in shown:
        _print_branch(result, names.get(result.branch, ""), periods)
    _print_summary(results, counties)
    print(f"{counted(len(shown), 'branch', 'branches')} for {args.year} on {on}")
    return 0


def _names(svc: Any) -> list[dict[str, Any]]:
    return svc.branch_names()


def _print_branch(result: Any, name: str, periods: dict[str, tuple[str, str]]) -> None:
    kind = "村" if result.kind == "village" else "社区"
    print(f"{result.branch} {name} ({kind}) {result.year} 截至 {result.on}")
    for req in result.requirements:
        label, period = periods[req.requirement]
        line = f"  {STATUS_MARK[req.status]} {label} {period} {req.held}/{req.due}"
        if req.missing:
            line += f" 缺 {', '.join(req.missing)}"
        line += f"  [{req.requirement} {STATUS_ZH[req.status]}]"
        print(line)
        for warning in req.warnings:
            print(f"      注意: {warning}")


def _print_summary(results: list[Any], places: dict[str, str]) -> None:
    """Per county: how many branches are behind (missed) on each requirement."""
    from domain.model.compliance import LABELS

    by_county: dict[str, Counter[str]] = {}
    for result in results:
        counter = by_county.setdefault(places.get(result.branch, ""), Counter())
        for req in result.requirements:
            if req.status == "missed":
                counter[req.requirement] += 1
    for county, counter in sorted(by_county.items()):
        behind = ", ".join(f"{LABELS[req][0]} {counter[req]}" for req in LABELS if counter[req])
        total = sum(1 for r in results if places.get(r.branch) == county)
        print(f"{county or '-'}: {total} branches; behind (未达标): {behind or 'none 无'}")


def cmd_staffing(args: argparse.Namespace) -> int:
    from api.cli.commands import UserError, _open
    from api.cli.render import counted
    from domain.model.compliance import workers_short
    from domain.model.parameters import load_standards
    from domain.model.rulebook import RulebookError

    with _open(args) as svc:
        try:
            rows = svc.staffing(args.year)
        except RulebookError as exc:
            raise UserError(str(exc)) from None
    if exported(args, "staffing", rows):
        return 0
    if args.json:
        emit_json(rows)
        return 0
    need = load_standards().workers_per_10k
    for s in rows:
        ratio = "城镇人口未填 (no urban_population)"
        if s.urban_population is not None:
            short = workers_short(s.workers, s.urban_population, need)
            verdict = "达标" if s.meets_ratio else f"未达{need}/万 (差{short}人 short by {short})"
            ratio = f"{s.per_10k}/万人 {verdict}"
        print(f"{s.county} {s.year}: {s.communities} 个社区, {s.workers} 名社区工作者, {ratio}")
        if s.below_wage is None:
            print("    工资底线未填 (no wage_floor)")
        elif s.below_wage:
            print(f"    低于 {s.wage_floor} 元: {', '.join(s.below_wage)}")
        if s.without_insurance:
            print(f"    五险一金不全: {', '.join(s.without_insurance)}")
        if s.unreported:
            print(f"    未报: {', '.join(s.unreported)}")
    below = sum(1 for s in rows if s.meets_ratio is False)
    unreported = sum(len(s.unreported) for s in rows)
    print(
        f"{counted(len(rows), 'county', 'counties')} for {args.year}: {below} below {need} per "
        f"10,000 未达{need}/万, {unreported} communities unreported 未报"
    )
    return 0
