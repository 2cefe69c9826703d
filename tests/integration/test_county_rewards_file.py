"""A broken ``county-rewards.toml`` is refused like every other parameter file: the rewards
command and ``GET /rewards`` name the file, the county and the key, and never crash nor
silently drop a mistyped figure (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.model.rewards import CountyRewards, load_county_rewards
from domain.model.rulebook import RulebookError
from tests.support.api import Api
from tests.support.builders import village

ROOT = Path(__file__).resolve().parents[2]

BROKEN = [
    # (the county's table, what the refusal must name)
    ('["清丰县"]\nfunds_yuan = 20000\npay_rise_pct = "5"\n', "pay_rise_pct"),
    ('["清丰县"]\nfund_yuan = 20000\n', "fund_yuan"),
    ('["清丰县"]\nfunds_yuan = -1\n', "funds_yuan"),
    ('["清丰县"]\nfunds_yuan = inf\n', "funds_yuan"),
    ('["清丰县"]\nbenefits = "county_commendation"\n', "benefits"),
    ('["清丰县"]\nbenefits = [""]\n', "benefits"),
    ('["清丰县"]\nfunds_yuan = true\n', "funds_yuan"),
    ('"清丰县" = 5\n', "清丰县"),
    ('["清丰县"\nfunds_yuan = 1\n', "county-rewards.toml"),
]


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "rulebooks"
    shutil.copytree(ROOT / "rulebooks", folder)
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


@pytest.mark.parametrize(("table", "named"), BROKEN)
def test_a_broken_county_rewards_file_names_the_file_and_the_key(
    books: Path, table: str, named: str
) -> None:
    # given a county-rewards.toml with one mistake
    path = books / "county-rewards.toml"
    path.write_text(table, encoding="utf-8")
    # when it is loaded
    with pytest.raises(RulebookError) as caught:
        load_county_rewards()
    # then the refusal names the file and the key
    assert str(path) in str(caught.value) and named in str(caught.value)


def test_the_shipped_file_loads_and_a_fixed_file_is_read_again(books: Path) -> None:
    assert load_county_rewards()["清丰县"] == CountyRewards(20000, 5, ("county_commendation",))
    (books / "county-rewards.toml").write_text('["清丰县"]\nfunds_yuan = 1.5\n', "utf-8")
    assert load_county_rewards()["清丰县"] == CountyRewards(1.5, None, ())
    (books / "county-rewards.toml").unlink()
    assert load_county_rewards() == {}


def test_rewards_with_a_broken_county_file_is_a_one_line_refusal(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Path], api: Api
) -> None:
    # given a ledger and a county-rewards.toml whose pay rise is a string
    assert cli("import", str(write_ledger([village("V1")]))).code == 0
    (books / "county-rewards.toml").write_text(BROKEN[0][0], encoding="utf-8")
    # when the rewards are asked for on the command line and over HTTP
    res = cli("rewards", "--year", "2025", "--json")
    answer = api.get("/rewards", api.admin, year=2025)
    # then both refuse, naming the file and the key, without a traceback
    assert res.code == 2 and res.out == ""
    assert "county-rewards.toml" in res.err and "pay_rise_pct" in res.err
    assert "Traceback" not in res.err
    assert answer.status_code == 503
    assert "pay_rise_pct" in answer.json()["detail"]
