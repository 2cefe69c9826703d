"""Which stored rating years a record makes the eligibility read model judge again
(``facts.affected_years``): every year whose judgement the record can change. No store."""

from __future__ import annotations

from typing import Any

from domain.model import facts as f
from domain.model import records as r
from domain.model.evaluation import evaluate
from domain.model.rulebook import BASE_RULEBOOK, load_rulebook

BOOK = load_rulebook(BASE_RULEBOOK)


def record(type_: str, on: str, rid: str, **fields: Any) -> r.AnyRecord:
    return r.record_from_object({"id": rid, "type": type_, "branch": "V1", "on": on, **fields})


def given(*records: r.AnyRecord) -> f.BranchFacts:
    registered = record("branch.registered", "2019-01-01", "reg", name="村", kind="village",
                        county="范县", township="镇", households=1, population=1)  # fmt: skip
    facts = f.new_facts(registered)  # type: ignore[arg-type]
    for rec in records:
        f.apply(facts, rec)
    return facts


def test_a_lift_reaches_back_to_the_designation_of_the_spell_it_ends():
    """Given a spell designated in 2020 and facts of 2020-2022, when it is lifted in 2025,
    then 2020-2022 are judged again: their exclusion now names the lift."""
    metrics = [
        record(
            "metric.reported", f"{y}-12-01", f"m{y}", year=y, metric="collective_income", value=1
        )
        for y in (2020, 2021, 2022)
    ]
    facts = given(*metrics, record("weakness.designated", "2020-03-01", "w1"))
    lift = record("weakness.lifted", "2025-06-01", "w2")
    f.apply(facts, lift)
    years = f.affected_years(facts, lift)
    assert {2020, 2021, 2022} <= years
    judged = evaluate(f.year_slice(facts, 2020), BOOK)
    assert judged.exclusion is not None and judged.exclusion.evidence == ["w1", "w2"]
    folded: set[int] = set()
    again = given(*metrics, record("weakness.designated", "2020-03-01", "w1"))
    f.fold_into(again, lift, folded)
    assert folded == years
