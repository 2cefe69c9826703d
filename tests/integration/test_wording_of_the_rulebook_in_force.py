"""A criterion is worded by the rulebook its result was judged under. After a new rulebook is
adopted for a year, `fivestar awards` worded a stale award's failing criterion by puyang-2022
("卫生户厕占比80%以上" above "0.82 < 0.85") and the dashboard's branch page did the same for
every criterion of that year; a criterion only the new rulebook has showed its bare id.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.http.ui import labels
from tests.support.builders import chain, five_star_village_year, village

ALL = ["branch_strong", "industry_thriving", "ecology_livable", "safety_rule_of_law",
       "civility_happiness"]  # fmt: skip


def _ledger() -> list[dict[str, Any]]:
    year = [
        {**r, "value": 0.82} if r.get("metric") == "sanitary_toilet_ratio" else r
        for r in five_star_village_year("V1", 2024)
    ]
    return [village("V1"), *year, *chain("V1", 2024, ALL, "province")]


def test_a_stale_award_is_worded_by_the_rulebook_in_force(
    cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    # given a five-star award for 2024 with a sanitary toilet ratio of 0.82 (≥ 0.80)
    assert cli("import", str(write_ledger(_ledger()))).code == 0
    # when the revision (≥ 0.85, and a meeting quota for branch_strong) is adopted for 2024
    adopted = cli("recompute", "--year", "2024", "--rulebook", "puyang-2024-revision",
                  "--adopt", "--reason", "test")  # fmt: skip
    assert adopted.code == 0, adopted.err
    # then the stale award's reasons carry the revision's wording, not puyang-2022's
    text = cli("awards", "--year", "2024").out
    assert "sanitary_toilet_ratio 卫生户厕占比85%以上" in text
    assert "卫生户厕占比80%以上" not in text
    assert "org_life_quota 认真落实" in text


def test_the_dashboard_words_a_criterion_by_the_rulebook_judged_under() -> None:
    assert labels.criterion("village", "ecology_livable", "sanitary_toilet_ratio") == (
        "卫生户厕占比80%以上"
    )
    revision = "puyang-2024-revision"
    assert labels.criterion("village", "ecology_livable", "sanitary_toilet_ratio", revision) == (
        "卫生户厕占比85%以上"
    )
    assert labels.criterion("village", "branch_strong", "org_life_quota", revision).startswith(
        "认真落实"
    )
    # a rulebook that cannot be read falls back to the base wording rather than failing a page
    assert labels.criterion("village", "ecology_livable", "sanitary_toilet_ratio", "nope") == (
        "卫生户厕占比80%以上"
    )


def test_the_branch_page_words_the_year_by_its_rulebook(api: Any) -> None:
    from tests.api.test_ui import sign_in

    api.register()
    facts = [r for r in _ledger()[1:] if not r["type"].startswith("rating.")]
    api.write(facts, api.token("county"))  # V1's 2024 facts (registered by register())
    body = {"year": 2024, "rulebook": "puyang-2024-revision", "adopt": True, "reason": "test"}
    answer = api.client.post("/recompute", json=body, headers=api.auth(api.admin))
    assert answer.status_code == 200, answer.text
    api.svc.catch_up()
    sign_in(api, api.admin)
    page = api.client.get("/ui/branches/V1", params={"year": 2024}).text
    assert "卫生户厕占比85%以上" in page  # 2024, adopted; 2023 stays under puyang-2022
    assert "认真落实" in page  # org_life_quota, which puyang-2022 does not have
