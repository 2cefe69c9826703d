"""``fivestar cases``: cases and their time limits (mechanisms.md §3), a list or a summary.

One line per case with Chinese labels, overdue cases first; ``--summary`` a table per township
with each county's count of overdue cases (the "0" of "13710") in bold.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

from api.cli.export import add_export_args, exported
from api.cli.output import date_arg, emit_json, year_arg

if TYPE_CHECKING:
    from domain.model.cases import CaseLimitsFile, CaseResult, SummaryRow


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cases", help="cases and their time limits (村报告、乡处理、县办结)")
    p.add_argument("--county")
    p.add_argument("--township")
    p.add_argument("--branch")
    p.add_argument("--on", type=date_arg, help="the business date D (default today)")
    p.add_argument("--open", action="store_true", help="only cases not closed")
    p.add_argument("--overdue", action="store_true", help="only cases overdue on D")
    p.add_argument("--summary", action="store_true", help="per township, for --year")
    p.add_argument("--year", type=year_arg, help="only cases reported in this year")
    p.add_argument("--json", action="store_true")
    add_export_args(p)
    p.set_defaults(handler=cmd_cases)


def cmd_cases(args: argparse.Namespace) -> int:
    from api.cli.commands import UserError, _open
    from domain.application import case_reads as model
    from domain.model.cases import CaseLimitsError

    if args.summary and args.year is None:
        raise UserError("--summary needs --year Y")
    if args.summary and args.format:
        raise UserError("--format: the spreadsheet lists cases; drop --summary (or use --json)")
    if args.summary and (args.branch or args.open or args.overdue):
        raise UserError(
            "--summary counts per township: --branch, --open and --overdue list cases (drop "
            "--summary to list them)"
        )
    try:
        limits = model.case_limits()
    except CaseLimitsError as exc:
        raise UserError(str(exc)) from None
    with _open(args) as svc, _built():
        on = args.on or svc.today()
        if args.branch and not model.branch_known(svc, args.branch):
            raise UserError(f"unknown branch {args.branch!r}")
        if args.summary:
            rows = model.case_summary(
                svc, args.year, on, county=args.county, township=args.township, limits=limits
            )
        else:
            cases = model.judged_cases(
                svc,
                on,
                county=args.county,
                township=args.township,
                branch=args.branch,
                limits=limits,
            )
    if args.summary:
        return _summary(rows, args.json)
    if args.open:
        cases = [c for c in cases if c.state != "closed"]
    if args.overdue:
        cases = [c for c in cases if c.overdue]
    if args.year is not None:
        cases = [c for c in cases if c.reported_on.year == args.year]
    from domain.model.cases import case_json

    if exported(args, "cases", [case_json(c) for c in cases]):
        return 0
    return _list(cases, on, limits, args.json)


@contextmanager
def _built() -> Iterator[None]:
    """A read model built by an earlier version: say so (exit 2) instead of answering."""
    from api.cli.output import UserError
    from domain.application.case_reads import ReadModelNotBuilt

    try:
        yield
    except ReadModelNotBuilt as exc:
        raise UserError(str(exc)) from None


def _list(cases: list[CaseResult], on: date, limits: CaseLimitsFile, as_json: bool) -> int:
    from api.cli.render import counted
    from domain.model.cases import case_json

    if as_json:
        emit_json([case_json(c) for c in cases])
        return 0
    if not cases:
        print(f"{on}: 无案件 (no cases)")
        return 0
    for case in sorted(cases, key=lambda c: not c.overdue):  # stable: overdue first
        print(case_line(case, on, limits))
    overdue = sum(1 for c in cases if c.overdue)
    print(f"{counted(len(cases), 'case')} on {on}: {overdue} overdue 超期")
    return 0


def case_line(case: CaseResult, on: date, limits: CaseLimitsFile) -> str:
    """``[超期] C0004 c1 矛盾纠纷 乡镇处理 第9天 超过7天目标 办理中 | 县级 签收超时``."""
    from domain.model.cases import BREACH_LABELS, CATEGORY_LABELS, STATE_LABELS

    stage = case.stages[-1]
    day = ((stage.end or on) - stage.start).days
    where = f"{_level_label(case, stage.level)} 第{day}天"
    in_force = limits.for_county(case.limits)[1]
    target = in_force.township_target_days
    if case.within_target is False and len(case.stages) == 1 and day > target:
        where += f" 超过{target}天目标"
    flags = []
    if case.reported_late:
        flags.append("迟报")
    for s in case.stages:
        level = _level_label(case, s.level)
        flags.extend(
            f"{level} {BREACH_LABELS[k].format(n=getattr(in_force, k))}" for k in s.breaches
        )
    mark = "[超期] " if case.overdue else ""
    category = CATEGORY_LABELS.get(case.category, case.category)
    text = (
        f"{mark}{case.branch} {case.case} {category} {where} "
        f"{STATE_LABELS.get(case.state, case.state)}"
    )
    return text + (f" | {'；'.join(flags)}" if flags else "")


def _level_label(case: CaseResult, level: str | None) -> str:
    """乡镇处理 for a village's township stage, 街道处理 for a community's street stage."""
    from domain.model.cases import LEVEL_LABELS

    if level == "township" and case.within_target is None:
        return "街道处理"
    return LEVEL_LABELS.get(level, level or "")


def _summary(rows: list[SummaryRow], as_json: bool) -> int:
    from api.cli.render import table
    from domain.model.cases import summary_json

    if as_json:
        emit_json([summary_json(r) for r in rows])
        return 0
    bold = sys.stdout.isatty()
    head = (
        "县区",
        "乡镇/街道",
        "上报",
        "迟报",
        "提级",
        "办结",
        "按时办结",
        "超期",
        "违时限",
        "疑似漏报",
    )
    cells = [
        (
            row.county,
            row.township,
            row.reported,
            row.reported_late,
            row.escalated,
            row.closed,
            row.resolved_in_time,
            row.overdue,
            sum(row.breaches.values()),
            ",".join(row.incidents_without_case) or "-",
        )
        for row in rows
    ]
    header, *lines = table(head, cells, right="2345678").splitlines()
    print(header)
    county = None
    overdue = 0
    for row, line in [*zip(rows, lines, strict=True), (None, "")]:
        if row is None or row.county != county:
            if county is not None:
                count = f"\033[1m{overdue}\033[0m" if bold else f"**{overdue}**"
                print(f'{county} 合计超期案件 ("0"): {count}')
            if row is None:
                break
            county, overdue = row.county, 0
        overdue += row.overdue
        print(line)
    return 0
