"""Parameter files stretched past what a figure can mean are refused naming the file and the key
(docs/rules.md §6, docs/mechanisms.md §5), not read as a standard nobody can meet.

TOML spells ``inf`` and ``nan`` (and ``1e400`` overflows to ``inf``): a threshold, a standard
or a county figure that is not a finite number would judge every branch silently (``x >= nan``
is never true) or crash a command that rounds it (``int(inf)``). A rulebook's meeting quota
names meeting kinds (its keys): a misspelt one could never be met, so it is an unknown key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.model.parameters import load_county_parameters, load_standards
from domain.model.rulebook import RulebookError, load_rulebook_file, rulebook_dir

SHIPPED = rulebook_dir()


def written(folder: Path, name: str, old: str, new: str, rename: str | None = None) -> Path:
    """The shipped file ``name`` with ``old`` replaced by ``new`` everywhere, in ``folder``."""
    text = (SHIPPED / name).read_text("utf-8")
    assert old in text
    text = text.replace(old, new)
    if rename is not None:
        text = text.replace(f'id = "{Path(name).stem}"', f'id = "{rename}"', 1)
    path = folder / (f"{rename}.toml" if rename else name)
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_a_figure_threshold_that_is_not_a_finite_number_is_refused(
    tmp_path: Path, value: str
) -> None:
    path = written(
        tmp_path, "puyang-2022.toml", "at_least = 0.80\n", f"at_least = {value}\n", "t-figure"
    )
    with pytest.raises(RulebookError, match="at_least") as caught:
        load_rulebook_file(path)
    assert str(path) in str(caught.value)


def test_figure_thresholds_at_zero_and_very_large_are_still_read(tmp_path: Path) -> None:
    for value in ("0", "1000000000000", "-1"):
        path = written(
            tmp_path, "puyang-2022.toml", "at_least = 0.80\n", f"at_least = {value}\n", "t-edge"
        )
        assert load_rulebook_file(path).id == "t-edge"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("party_congress = 4", "party_congres = 4", "party_congres"),  # a misspelt kind
        ("org_life = 1 }", "org_life = -1 }", "org_life"),  # a negative count
        ('every_month = ["theme_day"]', 'every_month = ["themeday"]', "every_month"),
    ],
)
def test_a_meeting_quota_naming_no_meeting_kind_is_refused(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    path = written(tmp_path, "puyang-2024-revision.toml", old, new, "t-quota")
    with pytest.raises(RulebookError, match=key) as caught:
        load_rulebook_file(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("key", ["workers_per_10k", "service_centre_m2_per_100_households"])
@pytest.mark.parametrize("value", ["inf", "1e400"])
def test_a_standard_that_is_not_a_finite_number_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(tmp_path))
    text = (SHIPPED / "mechanism-standards.toml").read_text("utf-8")
    shipped_line = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
    path = written(tmp_path, "mechanism-standards.toml", shipped_line, f"{key} = {value}")
    with pytest.raises(RulebookError, match=key) as caught:
        load_standards()
    assert str(path) in str(caught.value)


def test_a_wage_floor_that_is_not_a_finite_number_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIVESTAR_RULEBOOKS", str(tmp_path))
    path = tmp_path / "county-parameters.toml"
    path.write_text('["华龙区".2025]\nurban_population = 100\nwage_floor = inf\n', "utf-8")
    with pytest.raises(RulebookError, match="wage_floor") as caught:
        load_county_parameters()
    assert str(path) in str(caught.value)
    path.write_text('["华龙区".2025]\nwage_floor = 82600.5\n', "utf-8")
    assert load_county_parameters().for_year("华龙区", 2025).wage_floor == 82600.5


def test_a_kind_with_two_stars_that_need_the_others_is_refused(tmp_path: Path) -> None:
    """Two such stars would each need the other: judged one after the other, the first said
    "eligible for the other 3 stars" while the second was not eligible (rules.md §4: the other
    four stars are all eligible)."""
    second = (
        '[[kinds.village.stars.criteria]]\nid = "other_four_stars"\nkind = "other_stars"\n'
        'wording = "且已获评其他4颗星"\n\n[[kinds.village.stars]]\nid = "ecology_livable"'
    )
    path = written(
        tmp_path, "puyang-2022.toml", '[[kinds.village.stars]]\nid = "ecology_livable"', second,
        "t-two-strong",
    )  # fmt: skip
    with pytest.raises(RulebookError, match=r"kinds\.village") as caught:
        load_rulebook_file(path)
    assert str(path) in str(caught.value)
    assert "branch_strong" in str(caught.value) and "industry_thriving" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('honour_kinds = ["two_excellent_one_advanced"]', 'honour_kinds = ["two_excellent"]',
         "honour_kinds"),
        ('levels = ["county", "city", "province", "national"]',
         'levels = ["county", "city", "provence", "national"]', "levels"),
    ],
)  # fmt: skip
def test_an_honour_window_naming_no_honour_kind_or_level_is_refused(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    """``honor.granted`` has these kinds and levels only: a misspelt one never matches."""
    path = written(tmp_path, "puyang-2022.toml", old, new, "t-honour")
    with pytest.raises(RulebookError, match=key) as caught:
        load_rulebook_file(path)
    assert str(path) in str(caught.value)
