"""``fivestar ladder``: the problem register and the intervention ladder (mechanisms.md §4),
and ``--apply``, which records the weak-and-lax listings the ladder requires."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from api.cli.cases import _built
from api.cli.export import add_export_args, exported
from api.cli.output import date_arg, emit_json, recorder_name

if TYPE_CHECKING:
    from domain.application.case_reads import ApplyOutcome
    from domain.model.ladder import LadderResult

MEASURES = ["none", "first_secretary", "work_team", "reorganisation", "street_leader", "work_group"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ladder", help="problem register and intervention ladder (派驻/整改整顿)")
    p.add_argument("--county")
    p.add_argument("--township")
    p.add_argument("--branch")
    p.add_argument("--on", type=date_arg, help="the business date D (default today)")
    p.add_argument("--required", choices=MEASURES, help="only branches needing this measure")
    p.add_argument("--shortfall", action="store_true", help="only branches falling short")
    p.add_argument(
        "--apply",
        action="store_true",
        help="record the weak-and-lax listings the ladder requires on --on (idempotent)",
    )
    p.add_argument("--json", action="store_true")
    add_export_args(p)
    p.set_defaults(handler=cmd_ladder)


def cmd_ladder(args: argparse.Namespace) -> int:
    from api.cli.commands import UserError, _open
    from domain.application import case_reads as model

    if args.apply and args.format:
        raise UserError("--format: the spreadsheet lists the ladder; --apply records listings")
    if args.apply and args.on is None:
        raise UserError("--apply needs --on D (the date the listings are recorded on)")
    with _open(args) as svc, _built():
        on = args.on or svc.today()
        if args.branch and not model.ladder_rows(svc, branch=args.branch):
            raise UserError(f"unknown branch {args.branch!r}")
        if args.apply:
            outcomes = model.apply_listing(
                svc,
                on,
                recorder_name(),
                county=args.county,
                township=args.township,
                branch=args.branch,
            )
            return _applied(outcomes, on, args.json)
        results = model.judged_ladder(
            svc,
            on,
            county=args.county,
            township=args.township,
            branch=args.branch,
            required=args.required,
            shortfall=args.shortfall,
        )
    from domain.model.ladder import ladder_json

    if exported(args, "ladder", [ladder_json(r) for r in results]):
        return 0
    if args.json:
        emit_json([ladder_json(r) for r in results])
        return 0
    for result in results:
        print(ladder_line(result))
    print(_ladder_summary(results, on))
    return 0


def _ladder_summary(results: list[LadderResult], on: date) -> str:
    """The closing line: how many branches, how many need a measure, fall short, are to list."""
    from api.cli.render import counted

    needed = sum(1 for r in results if r.required != "none")
    short = sum(1 for r in results if r.shortfall)
    to_list = sum(1 for r in results if r.listing_required)
    return (
        f"{counted(len(results), 'branch', 'branches')} on {on}: {needed} need a measure, "
        f"{short} short 措施不足, {to_list} to list"
    )


def ladder_line(result: LadderResult) -> str:
    """``C0003 2025-10-01 需 街道领导整改 (2 open areas) | 在任 street_leader i-1 至
    2025-12-01 | 不足``."""
    from domain.model.ladder import MEASURE_LABELS

    parts = [f"{result.branch} {result.on}"]
    needed = MEASURE_LABELS.get(result.required, result.required)
    reasons = f" ({'; '.join(result.reasons)})" if result.reasons else ""
    parts.append(f"需 {needed}{reasons}")
    if result.open_areas:
        areas = "、".join(_area_name(a) for a in result.open_areas)
        parts.append(f"未解决领域 {areas}")
    if result.overdue:
        parts.append(f"逾期问题 {', '.join(result.overdue)}")
    active = result.active
    if active is not None:
        expired = " 已到期" if active.expired else ""
        label = MEASURE_LABELS.get(active.measure, active.measure)
        parts.append(f"在任 {label} {active.intervention} 至{active.until}{expired}")
    flags = []
    if result.shortfall:
        flags.append("措施不足")
    if result.listing_required:
        flags.append("应列为软弱涣散")
    if result.listed:
        flags.append("已列入软弱涣散")
    if flags:
        parts.append(" ".join(flags))
    return " | ".join(parts)


def _area_name(area: str) -> str:
    """The star's Chinese name (area ids differ between the kinds)."""
    from domain.model.vocabulary import star_name

    for kind in ("village", "community"):
        name = star_name(kind, area)
        if name != area:
            return name
    return area


def _applied(outcomes: list[ApplyOutcome], on: date, as_json: bool) -> int:
    if as_json:
        emit_json({"on": on.isoformat(), "outcomes": [o.to_json() for o in outcomes]})
        return 0
    if not outcomes:
        print(f"{on}: 无需列入软弱涣散的社区 (no listing required)")
    for o in outcomes:
        if o.outcome == "recorded" and o.record is not None:
            print(
                f"{o.branch} 已记录 recorded weakness.designated {o.record['id']}: "
                f"{o.record['reason']}"
            )
        elif o.outcome == "already listed":
            print(f"{o.branch} 已列入软弱涣散 already listed since {o.since}")
        elif o.outcome == "id already used":
            print(f"{o.branch} id ladder-{on} already used 编号已被占用, nothing recorded")
        else:
            print(f"{o.branch} refused 未记录: {o.reason}")
    return 1 if any(o.outcome == "refused" for o in outcomes) else 0
