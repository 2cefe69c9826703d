"""Which star "needs the other four" (且已获评其他4颗星) is the rulebook in force's answer for the
record's rating year, not the union of every rulebook file in the folder.

A stretched rulebook that moves ``other_stars`` from 支部过硬星 to 生态宜居星, merely present in
the folder (adopted for no year), made every star list holding ``ecology_livable`` without all
five refused for every year: no village could be declared, recommended or awarded four stars
(industry, ecology, safety, civility — the seed's 四星 path) under ``puyang-2022``. On SQLite
and PostgreSQL, through ``fivestar import``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_workflow import submit
from tests.support.builders import ALL_VILLAGE, chain, declared, five_star_village_year, village
from tests.support.rulebooks import BASE_TEXT

FOUR = ALL_VILLAGE[1:]  # industry, ecology, safety, civility: the four-star set
OTHER_STARS = '[[kinds.village.stars.criteria]]\nid = "other_four_stars"\nkind = "other_stars"\n'
TOILETS = '[[kinds.village.stars.criteria]]\nid = "sanitary_toilet_ratio"'


def _ecology_needs_the_others() -> str:
    """puyang-2022 with the village's ``other_stars`` criterion moved to ecology_livable."""
    block_start = BASE_TEXT.index(OTHER_STARS)
    block_end = BASE_TEXT.index("\n\n", block_start) + 2
    block = BASE_TEXT[block_start:block_end]
    text = BASE_TEXT[:block_start] + BASE_TEXT[block_end:]
    text = text.replace(TOILETS, block + TOILETS, 1)
    text = text.replace('id = "puyang-2022"', 'id = "test-ecology-needs-others"', 1)
    return text.replace("applies_from = 2022", "applies_from = 2000", 1)


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "rulebooks"
    folder.mkdir()
    root = Path(__file__).resolve().parents[2] / "rulebooks"
    for path in root.glob("*.toml"):
        (folder / path.name).write_bytes(path.read_bytes())
    text = _ecology_needs_the_others()
    assert text.count("other_stars") == 2  # one per kind; the village's now under ecology
    (folder / "test-ecology-needs-others.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(folder))
    return folder


def test_a_rulebook_not_in_force_does_not_block_a_four_star_award(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    # given a village eligible for all five stars in 2024, puyang-2022 in force (nothing adopted)
    # and a rulebook in the folder under which ecology_livable needs the other four
    assert submit(cli, write_ledger, [village("V1"), *five_star_village_year("V1", 2024)]) == {}

    # when the four-star chain up to the city's award is recorded
    refused = submit(cli, write_ledger, chain("V1", 2024, FOUR, "city"))

    # then nothing is refused and the city's award of four stars stands
    assert refused == {}
    [award] = cli("awards", "--year", "2024", "--json").json()
    assert (award["level"], award["by"], award["stars"]) == (4, "city", FOUR)


def test_the_star_the_adopted_rulebook_says_needs_the_others_is_checked_for_its_year(
    books: Path, cli: Callable[..., Any], write_ledger: Callable[..., Any]
) -> None:
    # given a village, and the stretched rulebook adopted for 2024 only
    assert submit(cli, write_ledger, [village("V1")]) == {}
    adopted = cli("recompute", "--year", "2024", "--rulebook", "test-ecology-needs-others",
                  "--adopt", "--reason", "test: ecology needs the others")  # fmt: skip
    assert adopted.code == 0, adopted.err

    # when declarations of industry and ecology are recorded for 2024 and for 2023
    pair = ["industry_thriving", "ecology_livable"]
    refused = submit(
        cli,
        write_ledger,
        [
            declared(pair, on="2024-12-20", id="d2024"),
            declared(pair, on="2023-12-20", year=2023, id="d2023"),
        ],
    )

    # then 2024's is refused (ecology_livable needs the others there), 2023's is accepted
    assert list(refused) == ["d2024"]
    assert refused["d2024"].startswith("structural: stars: ecology_livable only with all")
