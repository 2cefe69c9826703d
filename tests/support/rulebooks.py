"""Test rulebooks that stretch each parameter of ``puyang-2022``, written beside the real ones.

A rulebook is data, so the tests vary the data: the honour window from 1 to 10 years,
thresholds at their extremes, criteria added (new ids the importer must accept) and removed,
and the star that needs the other four under another id. ``rulebook_dir`` copies the real
rulebooks and the variants into a folder a test points ``FIVESTAR_RULEBOOKS`` at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "rulebooks"
BASE_TEXT = (REAL / "puyang-2022.toml").read_text(encoding="utf-8")

ADDED_VILLAGE = """
[[kinds.village.stars.criteria]]
id = "digital_village"
kind = "attested"
wording = "数字乡村建设成效明显（测试）"

[[kinds.village.stars.criteria]]
id = "broadband_ratio"
kind = "figure"
metric = "broadband_ratio"
at_least = 0.5
wording = "宽带入户率50%以上（测试）"

[[kinds.village.stars.criteria]]
id = "model_village"
kind = "designated"
wording = "成功创建示范村（测试）"

[[kinds.village.stars.criteria]]
id = "no_new_incident"
kind = "no_incident"
categories = ["test_new_category"]
wording = "一年内没有出现测试类问题"
"""


def _renamed(text: str, rulebook_id: str) -> str:
    text = re.sub(r'^id = "puyang-2022"$', f'id = "{rulebook_id}"', text, count=1, flags=re.M)
    text = re.sub(r"^applies_from = \d+$", "applies_from = 2000", text, count=1, flags=re.M)
    return text


def _window(years: int) -> Callable[[str], str]:
    return lambda text: text.replace("years = 3", f"years = {years}")


def _low(text: str) -> str:
    return re.sub(r"^at_least = [0-9.]+$", "at_least = 0", text, flags=re.M)


def _high(text: str) -> str:
    return re.sub(r"^at_least = [0-9.]+$", "at_least = 1000000000000", text, flags=re.M)


def _added(text: str) -> str:
    """New criteria in the village's industry star (after its last criterion)."""
    marker = '[[kinds.village.stars]]\nid = "ecology_livable"'
    return text.replace(marker, ADDED_VILLAGE.lstrip("\n") + "\n" + marker, 1)


def _removed(text: str) -> str:
    """The honour window and the collective income figure are dropped."""
    text = re.sub(
        r'\[\[kinds\.(village|community)\.stars\.criteria\]\]\nid = "honour_within_three_years"'
        r"\n(?:.+\n)+?wording = .+\n",
        "",
        text,
    )
    return re.sub(
        r'\[\[kinds\.village\.stars\.criteria\]\]\nid = "collective_income"\n'
        r"(?:.+\n)+?wording = .+\n",
        "",
        text,
    )


def _strong_renamed(text: str) -> str:
    """The star that needs the other four under another id (and listed last)."""
    return text.replace('id = "branch_strong"', 'id = "branch_exemplary"')


VARIANTS: dict[str, Callable[[str], str]] = {
    "test-window-1": _window(1),
    "test-window-5": _window(5),
    "test-window-10": _window(10),
    "test-thresholds-low": _low,
    "test-thresholds-high": _high,
    "test-criteria-added": _added,
    "test-criteria-removed": _removed,
    "test-strong-renamed": _strong_renamed,
}


def variant_text(name: str) -> str:
    return _renamed(VARIANTS[name](BASE_TEXT), name)


def rulebook_dir(target: Path, *names: str) -> Path:
    """The real rulebooks plus the named variants (all of them when none is named)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in REAL.glob("*.toml"):
        shutil.copy(path, target / path.name)
    for name in names or tuple(VARIANTS):
        (target / f"{name}.toml").write_text(variant_text(name), encoding="utf-8")
    return target


# ------------------------------------------------- the parameter files beside the rulebooks
# ``case-limits.toml`` and ``county-parameters.toml`` are data too, read from the same folder:
# the variants stretch them as the rulebooks are stretched (limits of 0 days and of ten years,
# every county overriding, counties and years with a figure missing or at its extreme). The
# counties named are those the property test's branches are registered in.
CASE_LIMITS: dict[str, str | None] = {
    "shipped": None,  # the real file
    "short": """
[default]
report_days = 0
township_target_days = 0
township_limit_days = 1
acknowledge_days = 0
respond_days = 0
resolve_days = 1
feedback_days = 0

[counties."南乐县"]
resolve_days = 3650
township_limit_days = 3650
""",
    "long": """
[default]
report_days = 3650
township_target_days = 3650
township_limit_days = 3650
acknowledge_days = 3650
respond_days = 3650
resolve_days = 3650
feedback_days = 3650

[counties."华龙区"]
report_days = 0
acknowledge_days = 0
respond_days = 1
""",
    "overrides": """
[default]
report_days = 1
township_target_days = 7
township_limit_days = 15
acknowledge_days = 1
respond_days = 3
resolve_days = 7
feedback_days = 10

[counties."清丰县"]
township_target_days = 2
township_limit_days = 3

[counties."南乐县"]
report_days = 5
feedback_days = 1

[counties."华龙区"]
acknowledge_days = 2
respond_days = 2
resolve_days = 2
feedback_days = 2
""",
}

COUNTY_PARAMETERS: dict[str, str | None] = {
    "shipped": None,  # the real file
    "extreme": """
["清丰县".2024]
urban_population = 1
wage_floor = 0

["南乐县".2025]
urban_population = 1000000000
wage_floor = 1000000000

["华龙区".2026]
wage_floor = 71600

["华龙区".2021]
urban_population = 5
""",
    "absent": "",  # no file at all: every figure null
}


# ``mechanism-standards.toml``: every figure at one extreme, then at the other.
STANDARDS: dict[str, str | None] = {
    "shipped": None,  # the real file
    "strict": """
theme_day = 1
linkage_due_day = 28
people_per_public_toilet = 1
service_centre_m2_per_100_households = 100000.5
grid_households_min = 1
grid_households_max = 1
grid_full_time_workers = 1000
workers_per_10k = 10000

[ladder]
overdue_areas = 1

[ladder.term_months]
first_secretary = 1
work_team = 1
reorganisation = 1
street_leader = 1
work_group = 1

[ladder.open_areas]
first_secretary = 1
work_team = 2
reorganisation = 3
street_leader = 1
work_group = 2
""",
    "lax": """
theme_day = 28
linkage_due_day = 1
people_per_public_toilet = 1000000000
service_centre_m2_per_100_households = 0
grid_households_min = 1
grid_households_max = 1000000000
grid_full_time_workers = 0
workers_per_10k = 0

[ladder]
overdue_areas = 1000

[ladder.term_months]
first_secretary = 1200
work_team = 1200
reorganisation = 1200
street_leader = 1200
work_group = 1200

[ladder.open_areas]
first_secretary = 97
work_team = 98
reorganisation = 99
street_leader = 98
work_group = 99
""",
    "absent": "",  # no file at all: the seed's figures
}


def parameters_dir(
    target: Path, case_limits: str, county_parameters: str, standards: str = "shipped"
) -> Path:
    """``rulebook_dir(target)`` with the named case-limits, county-parameters and
    mechanism-standards variants."""
    rulebook_dir(target)
    for name, text in (
        ("case-limits.toml", CASE_LIMITS[case_limits]),
        ("county-parameters.toml", COUNTY_PARAMETERS[county_parameters]),
        ("mechanism-standards.toml", STANDARDS[standards]),
    ):
        if text == "":
            (target / name).unlink()
        elif text is not None:
            (target / name).write_text(text.lstrip("\n"), encoding="utf-8")
    return target
