"""The command line as people read it: header rows, summary lines, columns aligned by display
width (a Chinese character is two columns), the rulebooks' Chinese wording beside each id,
``--db`` on either side of the command, ``--version``. ``--json`` is the contract and is
tested elsewhere; here only the readable form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from rich.cells import cell_len

from api.cli.main import main
from tests.support.builders import (
    chain,
    community,
    five_star_community_year,
    five_star_village_year,
    org_life_year,
    rec,
    village,
)
from tests.support.cli import load, table_body

Y = 2024
REVISION = "puyang-2024-revision"
VILLAGE_THREE = ["industry_thriving", "ecology_livable", "safety_rule_of_law"]
COMMUNITY_FIVE = [
    "branch_strong",
    "co_build_share",
    "safety_rule_of_law",
    "happiness_harmony",
    "employment_business",
]


def five_star_village_at_82(code: str) -> list[dict[str, Any]]:
    """Five stars under puyang-2022 with toilets at 82% (the revision asks 85%) and the
    meetings of 三会一课 (the revision's new org_life_quota), so only the toilets change."""
    facts = five_star_village_year(code, Y)
    return [
        village(code, "清丰县", "柳格镇"),
        *[r for r in facts if r.get("metric") != "sanitary_toilet_ratio"],
        rec("metric.reported", code, f"{Y}-12-20", year=Y, metric="sanitary_toilet_ratio",
            value=0.82),
        *org_life_year(code, Y),
    ]  # fmt: skip


def ledger() -> list[dict[str, Any]]:
    """V1 awarded three stars by the county, stale after a late incident; V2 five stars
    eligible, no award; C1 (华龙区) awarded five stars by the province."""
    return [
        *five_star_village_at_82("V1"),
        *chain("V1", Y, VILLAGE_THREE, "county"),
        rec("incident.recorded", "V1", f"{Y}-10-15", category="gambling", id="late-incident"),
        community("C1", "华龙区", "胜利路街道"),
        *five_star_community_year("C1", Y),
        *org_life_year("C1", Y),
        *chain("C1", Y, COMMUNITY_FIVE, "province"),
        *five_star_village_at_82("V2"),
    ]


@pytest.fixture
def loaded(cli: Callable[..., Any], write_ledger: Callable[..., Any]) -> Callable[..., Any]:
    load(cli, write_ledger, ledger())
    return cli


def column_of(line: str, text: str) -> int:
    """The display column where ``text`` starts in ``line``."""
    return cell_len(line[: line.index(text)])


def read(cli: Callable[..., Any], *args: str) -> list[str]:
    result = cli(*args)
    assert result.code == 0, result.err
    lines: list[str] = result.out.splitlines()
    return lines


# ------------------------------------------------------------ every list
LISTS = {
    "history": (["history", "V1"], "位置 position", "records of V1"),
    "eligibility": (["eligibility", "--year", str(Y)], "支部 branch", f"3 branches for {Y}"),
    "awards": (["awards", "--year", str(Y)], "支部 branch", f"2 awards for {Y}"),
    "rewards": (["rewards", "--year", str(Y)], "支部 branch", f"2 rewarded awards for {Y}"),
    "priority": (["priority", "--year", str(Y)], None, "0 branches with three-year priority"),
    "recompute": (["recompute", "--year", str(Y), "--rulebook", REVISION], "支部 branch",
                  "3 branches evaluated"),
    "rulebooks": (["rulebooks"], "标准 rulebook", "rulebooks, 0 adoptions"),
    "token list": (["token", "list"], "name", "1 token, 1 active"),
}  # fmt: skip


@pytest.mark.parametrize("name", LISTS)
def test_every_list_has_a_header_row_and_a_summary_line(
    loaded: Callable[..., Any], db: str, name: str
) -> None:
    if name == "token list":
        assert main(["--db", db, "token", "issue", "--role", "auditor", "--name", "reader"]) == 0
    args, header, summary = LISTS[name]
    lines = read(loaded, *args)
    if header is None:  # an empty list: the summary alone
        assert lines == [lines[-1]], lines
    else:
        assert [line for line in lines if line.startswith(header)], lines
    assert summary in lines[-1], lines[-1]


# ---------------------------------------------------------------- alignment
def test_columns_align_by_display_width(loaded: Callable[..., Any]) -> None:
    """The awards table: the ``by`` column starts at the same display column on every row,
    after star names of different lengths in Chinese."""
    lines = read(loaded, "awards", "--year", str(Y))
    header, *rows = lines[: 1 + len(table_body("\n".join(lines)))]
    starts = {column_of(header, "授予 by")} | {
        column_of(row, "county 县级" if "V1" in row else "province 省级") for row in rows
    }
    assert len(starts) == 1, lines
    assert len(rows) == 2


# ---------------------------------------------------------- Chinese wording
def test_awards_list_the_stars_awarded_and_why_an_award_is_stale(
    loaded: Callable[..., Any],
) -> None:
    out = "\n".join(read(loaded, "awards", "--year", str(Y)))
    (v1,) = [line for line in table_body(out) if line.startswith("V1")]
    assert "产业兴旺星、生态宜居星、平安法治星" in v1 and "3★" in v1 and "STALE" in v1
    (c1,) = [line for line in table_body(out) if line.startswith("C1")]
    assert "支部过硬星、共建共享星、平安法治星、幸福和谐星、宜业兴业星" in c1
    assert "✗ safety_rule_of_law 平安法治星: no_incident 一年内没有出现电信诈骗" in out
    assert "[late-incident]" in out
    assert out.splitlines()[-1] == f"2 awards for {Y} (3★ 1, 5★ 1), 1 stale"


def test_benefits_and_tiers_carry_their_chinese_wording(loaded: Callable[..., Any]) -> None:
    rewards = "\n".join(read(loaded, "rewards", "--year", str(Y)))
    assert "100,000元" in rewards and "清丰县" in rewards
    # C1's secretary is not named in the ledger: no benefits, but the authority is worded
    assert "province 省级" in rewards and "county 县级" in rewards


def test_recompute_gives_as_reasons_only_criteria_that_changed_against_the_branch(
    loaded: Callable[..., Any],
) -> None:
    """Under the revision V2 loses 生态宜居星 (toilets 82% < 85%) and with it 支部过硬星
    (it needs the other four). The JSON's ``flipped`` also lists org_life_quota, new in the
    revision and met: it cost V2 nothing, so the readable form does not give it as a reason."""
    report = loaded("recompute", "--year", str(Y), "--rulebook", REVISION, "--json").json()
    (change,) = [c for c in report["changes"] if c["branch"] == "V2"]
    assert "org_life_quota" in {f["criterion"] for f in change["flipped"]}
    lines = read(loaded, "recompute", "--year", str(Y), "--rulebook", REVISION)
    (v2,) = [line for line in lines if line.startswith("V2 ")]
    assert "branch_strong 支部过硬星, ecology_livable 生态宜居星" in v2
    assert "sanitary_toilet_ratio 卫生户厕占比85%以上: 0.82 < 0.85" in v2
    assert "other_four_stars 且已获评其他4颗星" in v2
    assert "org_life_quota" not in v2
    assert lines[-1].startswith("3 branches evaluated, 2 would change; dry run")


# ---------------------------------------------------------------- arguments
def test_db_is_accepted_after_the_command(
    loaded: Callable[..., Any], db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = loaded("awards", "--year", str(Y), "--json").out
    capsys.readouterr()
    assert main(["awards", "--year", str(Y), "--json", "--db", db]) == 0
    assert capsys.readouterr().out == before
    assert main(["token", "list", "--db", db]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 tokens, 0 active"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("fivestar ")


# ---------------------------------------------------------- Chinese headers
HEADED = {
    "awards": (["awards", "--year", str(Y)], "支部 branch"),
    "rewards": (["rewards", "--year", str(Y)], "支部 branch"),
    "recompute": (["recompute", "--year", str(Y), "--rulebook", REVISION], "县区 county  星"),
    "rulebooks": (["rulebooks"], "标准 rulebook"),
}


@pytest.mark.parametrize("name", HEADED)
def test_every_header_carries_chinese(loaded: Callable[..., Any], name: str) -> None:
    """Awards' and rewards' ``by``/``on``/``stale``, recompute's ``change`` (and its values
    ``lost``/``gained``) and rulebooks' ``from``/``title`` were English alone."""
    args, start = HEADED[name]
    lines = read(loaded, *args)
    [header] = [line for line in lines if line.startswith(start)]
    cells = [cell for cell in header.split("  ") if cell.strip()]
    assert all(re.search("[\u4e00-\u9fff]", cell) for cell in cells), header
    if name == "recompute":
        body = lines[lines.index(header) + 1 :]
        assert all(re.search("(失 lost|得 gained)", line) for line in body[:-1]), body
