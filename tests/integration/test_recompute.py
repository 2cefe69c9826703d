"""``fivestar recompute``: what another rulebook would change for a year, and its adoption."""

from __future__ import annotations

from typing import Any

import pytest

from api.cli.output import recorder_name
from tests.support.builders import (
    ALL_COMMUNITY,
    ALL_VILLAGE,
    community,
    five_star_community_year,
    five_star_village_year,
    five_star_village_years,
    org_life_year,
    rec,
    village,
)
from tests.support.cli import eligibility, load

REVISION = "puyang-2024-revision"


def toilet(code: str, value: float, rid: str) -> dict[str, Any]:
    return rec("metric.reported", code, "2024-12-28", year=2024, metric="sanitary_toilet_ratio",
               value=value, id=rid)  # fmt: skip


def ledger() -> list[dict[str, Any]]:
    """2024 under puyang-2022: everybody five stars; under the revision:
    V1 loses branch_strong (no 三会一课), V2 and V4 lose ecology_livable (0.82) and with it
    branch_strong, V3 and C1 keep all five. V1 also has 2023 facts."""
    return [
        village("V1", county="清丰县"),
        *five_star_village_years("V1", [2023, 2024]),
        village("V2", county="南乐县"),
        *five_star_village_year("V2", 2024),
        *org_life_year("V2", 2024),
        toilet("V2", 0.82, "v2-toilet"),
        village("V3", county="清丰县"),
        *five_star_village_year("V3", 2024),
        *org_life_year("V3", 2024),
        village("V4", county="清丰县"),
        *five_star_village_year("V4", 2024),
        toilet("V4", 0.82, "v4-toilet"),
        community("C1"),
        *five_star_community_year("C1", 2024),
        *org_life_year("C1", 2024),
    ]


@pytest.fixture
def loaded(cli, write_ledger) -> None:
    load(cli, write_ledger, ledger())
    assert all(len(e["eligible"]) == 5 for e in eligibility(cli, 2024))


def _flip(change: dict[str, Any], star: str, criterion: str) -> dict[str, Any]:
    hits = [f for f in change["flipped"] if (f["star"], f["criterion"]) == (star, criterion)]
    assert len(hits) == 1, change["flipped"]
    return hits[0]


def test_dry_run_reports_losses_and_changes_nothing(cli, loaded):
    before = {year: eligibility(cli, year) for year in (2023, 2024)}
    res = cli("recompute", "--year", "2024", "--rulebook", REVISION, "--json")
    assert res.code == 0, res.err
    report = res.json()
    assert report["year"] == 2024
    assert report["from"] == "puyang-2022" and report["to"] == REVISION
    assert report["branches_evaluated"] == 5
    assert report["adopted"] is None
    changes = {c["branch"]: c for c in report["changes"]}
    assert list(changes) == ["V1", "V2", "V4"]

    v1 = changes["V1"]
    assert (v1["county"], v1["gained"], v1["lost"]) == ("清丰县", [], ["branch_strong"])
    quota = _flip(v1, "branch_strong", "org_life_quota")
    assert (quota["was"], quota["now"]) == (None, False)
    assert "party_congress 0/4" in quota["detail"]
    assert [f["star"] for f in v1["flipped"]] == ["branch_strong"]

    for code, rid in (("V2", "v2-toilet"), ("V4", "v4-toilet")):
        c = changes[code]
        assert c["gained"] == []
        assert sorted(c["lost"]) == ["branch_strong", "ecology_livable"]
        ratio = _flip(c, "ecology_livable", "sanitary_toilet_ratio")
        assert ratio == {
            "star": "ecology_livable",
            "criterion": "sanitary_toilet_ratio",
            "was": True,
            "now": False,
            "detail": "0.82 < 0.85",
            "evidence": [rid],
        }
        other = _flip(c, "branch_strong", "other_four_stars")
        assert (other["was"], other["now"]) == (True, False)
        assert other["detail"] == "not eligible for ecology_livable"
    assert _flip(changes["V2"], "branch_strong", "org_life_quota")["now"] is True
    assert _flip(changes["V4"], "branch_strong", "org_life_quota")["now"] is False
    assert changes["V2"]["county"] == "南乐县"

    assert report["counts"] == [
        {"county": "南乐县", "star": "branch_strong", "change": "lost", "branches": 1},
        {"county": "南乐县", "star": "ecology_livable", "change": "lost", "branches": 1},
        {"county": "清丰县", "star": "branch_strong", "change": "lost", "branches": 2},
        {"county": "清丰县", "star": "ecology_livable", "change": "lost", "branches": 1},
    ]
    # nothing changed
    assert {year: eligibility(cli, year) for year in (2023, 2024)} == before
    assert {e["rulebook"] for e in before[2024]} == {"puyang-2022"}
    assert cli("rulebooks", "--json").json()["adoptions"] == []
    # the readable form says it is a dry run
    text = cli("recompute", "--year", "2024", "--rulebook", REVISION)
    assert text.code == 0 and "dry run" in text.out


def test_adopt_switches_the_read_model_for_that_year_only(cli, write_ledger, loaded):
    load(cli, write_ledger, [village("V9", county="范县")])  # no facts for 2024 at all
    before_2023 = eligibility(cli, 2023)
    res = cli("recompute", "--year", "2024", "--rulebook", REVISION, "--adopt", "--reason",
              "市委组织部通知：2024年起执行修订标准", "--json")  # fmt: skip
    assert res.code == 0, res.err
    report = res.json()
    assert report["adopted"]["recorder"] == recorder_name()
    assert report["adopted"]["reason"] == "市委组织部通知：2024年起执行修订标准"
    assert [c["branch"] for c in report["changes"]] == ["V1", "V2", "V4"]

    after = {e["branch"]: e for e in eligibility(cli, 2024)}
    assert list(after) == ["C1", "V1", "V2", "V3", "V4", "V9"]
    assert {e["rulebook"] for e in after.values()} == {REVISION}
    assert after["V1"]["eligible"] == ALL_VILLAGE[1:]
    assert after["V2"]["eligible"] == ["industry_thriving", "safety_rule_of_law",
                                       "civility_happiness"]  # fmt: skip
    assert after["V3"]["eligible"] == ALL_VILLAGE
    assert after["C1"]["eligible"] == ALL_COMMUNITY
    assert any(c["criterion"] == "org_life_quota" for c in after["V9"]["criteria"])
    # other years untouched
    unjudged = [{k: v for k, v in e.items() if k != "basis"} for e in before_2023]
    assert [
        {k: v for k, v in e.items() if k != "basis"} for e in eligibility(cli, 2023)
    ] == unjudged
    assert {e["rulebook"] for e in before_2023} == {"puyang-2022"}
    # later evidence is judged under the adopted rulebook too
    load(cli, write_ledger, org_life_year("V1", 2024))
    assert {e["branch"]: e for e in eligibility(cli, 2024)}["V1"]["eligible"] == ALL_VILLAGE

    books = cli("rulebooks", "--json").json()
    assert {b["id"] for b in books["rulebooks"]} >= {"puyang-2022", REVISION}
    assert len(books["adoptions"]) == 1
    adoption = books["adoptions"][0]
    assert adoption["year"] == 2024 and adoption["rulebook"] == REVISION
    assert adoption["recorder"] == recorder_name()
    assert adoption["recorder"].startswith("cli:")
    assert adoption["reason"] == "市委组织部通知：2024年起执行修订标准"

    history = cli("history", "V1", "--json").json()
    adopted = [h for h in history if h["record"]["type"] == "rulebook.adopted"]
    assert len(adopted) == 1
    assert adopted[0]["record"]["rulebook"] == REVISION
    assert adopted[0]["record"]["year"] == 2024
    assert adopted[0]["recorder"] == recorder_name()
    positions = [h["position"] for h in history]
    assert positions == sorted(positions)

    # as of before the adoption, 2024 was judged under puyang-2022
    before_adoption = history[history.index(adopted[0]) - 1]["recorded_at"]
    then = eligibility(cli, 2024, "--as-of", before_adoption)
    assert {e["rulebook"] for e in then} == {"puyang-2022"}
    # the same rulebook again: nothing left to change
    again = cli("recompute", "--year", "2024", "--rulebook", REVISION, "--json").json()
    assert again["from"] == REVISION and again["changes"] == []


def test_adopting_before_the_rulebook_applies_is_refused(cli, loaded):
    before = eligibility(cli, 2023)
    res = cli("recompute", "--year", "2023", "--rulebook", REVISION, "--adopt", "--reason",
              "too early", "--json")  # fmt: skip
    assert res.code == 2
    assert "2024" in res.err
    assert cli("rulebooks", "--json").json()["adoptions"] == []
    assert eligibility(cli, 2023) == before


def test_adopt_needs_a_reason(cli, loaded):
    res = cli("recompute", "--year", "2024", "--rulebook", REVISION, "--adopt", "--json")
    assert res.code == 2
    assert "--reason" in res.err
    res = cli("recompute", "--year", "2024", "--rulebook", REVISION, "--adopt", "--reason", "  ")
    assert res.code == 2
    assert cli("rulebooks", "--json").json()["adoptions"] == []
    assert {e["rulebook"] for e in eligibility(cli, 2024)} == {"puyang-2022"}


@pytest.mark.parametrize("adopt", [[], ["--adopt", "--reason", "x"]])
def test_unknown_rulebook(cli, loaded, adopt):
    res = cli("recompute", "--year", "2024", "--rulebook", "puyang-1999", "--json", *adopt)
    assert res.code == 2
    assert "puyang-1999" in res.err
    assert res.out == ""
    assert cli("rulebooks", "--json").json()["adoptions"] == []
