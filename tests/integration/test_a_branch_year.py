"""A branch's year, told as the ledger sees it (on SQLite and on PostgreSQL).

柳格镇's village branch V1 is registered; through 2024 its facts are recorded; in December it
declares three stars, the township recommends them and in January the county awards them. In
March 2025 a gambling incident of October 2024 comes to light: the award still stands in the
ledger, but it is now *stale* and says which criterion fails and on which record. Then the city
asks what the 2024 revision of the criteria would change for 2024, and adopts it: the recompute
names the branch and the one criterion that changed against it.

Everything goes through ``fivestar`` commands and their ``--json`` answers, the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.builders import chain, five_star_village_year, rec, village

YEAR = 2024
THREE = ["industry_thriving", "ecology_livable", "safety_rule_of_law"]
REVISION = "puyang-2024-revision"


class Ledger:
    """The CLI over one store, with the few questions the story asks of it."""

    def __init__(self, cli: Callable[..., Any], write_ledger: Callable[..., Any]) -> None:
        self.cli, self.write_ledger = cli, write_ledger

    def record(self, *records: dict[str, Any]) -> None:
        result = self.cli("import", str(self.write_ledger(list(records))))
        assert result.code == 0, result.out

    def ask(self, *args: str) -> Any:
        result = self.cli(*args, "--json")
        assert result.code == 0, result.err
        return result.json()

    def eligibility(self) -> dict[str, Any]:
        only: dict[str, Any]
        (only,) = self.ask("eligibility", "--year", str(YEAR), "--branch", "V1")
        return only

    def award(self) -> dict[str, Any]:
        only: dict[str, Any]
        (only,) = self.ask("awards", "--year", str(YEAR))
        return only


def facts_of_the_year() -> list[dict[str, Any]]:
    """Everything for five stars under puyang-2022, with sanitary toilets at 82% (enough for
    the 80% of 2022, not for the 85% of the 2024 revision)."""
    facts = [
        r for r in five_star_village_year("V1", YEAR) if r.get("metric") != "sanitary_toilet_ratio"
    ]
    toilets = rec("metric.reported", "V1", f"{YEAR}-12-20", year=YEAR,
                  metric="sanitary_toilet_ratio", value=0.82)  # fmt: skip
    return [*facts, toilets]


def test_a_branch_year(cli: Callable[..., Any], write_ledger: Callable[..., Any]) -> None:
    ledger = Ledger(cli, write_ledger)

    # The branch is registered; it has no facts yet, so no star.
    ledger.record(village("V1", "清丰县", "柳格镇"))
    assert ledger.eligibility()["eligible"] == []

    # Its facts of 2024 are recorded: every criterion of the five stars is met.
    ledger.record(*facts_of_the_year())
    seen = ledger.eligibility()
    assert seen["rulebook"] == "puyang-2022" and not seen["excluded"]
    assert len(seen["eligible"]) == 5

    # It declares three stars, the township recommends them, the county awards them.
    declaration, recommendation, award = chain("V1", YEAR, THREE, "county")
    ledger.record(declaration, recommendation)
    assert ledger.ask("awards", "--year", str(YEAR)) == []
    ledger.record(award)
    awarded = ledger.award()
    assert awarded["stars"] == THREE and awarded["by"] == "county" and awarded["level"] == 3
    assert awarded["stale"] is False and awarded["now_failing"] == []

    # March 2025: a gambling incident of October 2024 is recorded. The award stands, stale.
    incident = rec("incident.recorded", "V1", f"{YEAR}-10-15", category="gambling",
                   note="聚众赌博 reported late", id="late-incident")  # fmt: skip
    ledger.record(incident)
    assert "safety_rule_of_law" not in ledger.eligibility()["eligible"]
    awarded = ledger.award()
    assert awarded["stale"] is True
    failing = {(c["star"], c["criterion"]): c for c in awarded["now_failing"]}
    assert set(failing) == {("safety_rule_of_law", "no_incident")}
    assert failing["safety_rule_of_law", "no_incident"]["evidence"] == ["late-incident"]

    # What would the 2024 revision change? A dry run records nothing ...
    dry = ledger.ask("recompute", "--year", str(YEAR), "--rulebook", REVISION)
    assert dry["from"] == "puyang-2022" and dry["to"] == REVISION and dry["adopted"] is None
    (change,) = dry["changes"]
    assert change["branch"] == "V1" and change["lost"] == ["ecology_livable"]
    assert change["gained"] == []
    (reason,) = change["flipped"]
    assert (reason["star"], reason["criterion"]) == ("ecology_livable", "sanitary_toilet_ratio")
    assert (reason["was"], reason["now"]) == (True, False)
    assert ledger.eligibility()["rulebook"] == "puyang-2022"

    # ... and adopting it records who adopted it and why, and 2024 is judged under it.
    adopted = ledger.ask("recompute", "--year", str(YEAR), "--rulebook", REVISION,
                         "--adopt", "--reason", "市委组织部通知")  # fmt: skip
    assert adopted["adopted"]["reason"] == "市委组织部通知"
    assert [a["rulebook"] for a in ledger.ask("rulebooks")["adoptions"]] == [REVISION]
    seen = ledger.eligibility()
    assert seen["rulebook"] == REVISION
    assert seen["eligible"] == ["industry_thriving", "civility_happiness"]
    awarded = ledger.award()
    assert awarded["stale"] is True
    assert {(c["star"], c["criterion"]) for c in awarded["now_failing"]} == {
        ("safety_rule_of_law", "no_incident"),
        ("ecology_livable", "sanitary_toilet_ratio"),
    }
