"""County parameters (职业化), read from ``rulebooks/`` and validated with pydantic like the
rulebooks: a broken file is refused naming the file and the key. (Case time limits are
``domain.model.cases``: ``load_case_limits``.)

``county-parameters.toml``: ``["<county>".<Y>]`` tables with ``urban_population``
(城镇常住人口 of the district for Y) and ``wage_floor`` (上年度当地全口径城镇单位就业人员平均工资,
yuan); either may be absent.

``mechanism-standards.toml``: the seed's numbers that compliance and staffing compare with
(the theme day, a grid's households, square metres per hundred households, workers per ten
thousand residents ...), so that a changed standard is an edited file, not a code change.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, model_validator

from domain.model.rulebook import RulebookError, rulebook_dir

COUNTY_PARAMETERS = "county-parameters.toml"
MECHANISM_STANDARDS = "mechanism-standards.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class CountyYear(_Strict):
    urban_population: int | None = Field(default=None, ge=1)
    wage_floor: int | float | None = Field(default=None, ge=0, allow_inf_nan=False)


class CountyParameters(RootModel[dict[str, dict[str, CountyYear]]]):
    """County -> year (as the TOML key, a string of digits) -> figures."""

    def for_year(self, county: str, year: int) -> CountyYear:
        return self.root.get(county, {}).get(str(year), CountyYear())


# The measures of the intervention ladder, lowest first, per kind (mechanisms.md §4).
LADDER_MEASURES = {
    "village": ("first_secretary", "work_team", "reorganisation"),
    "community": ("street_leader", "work_group"),
}
Measures = dict[str, Annotated[int, Field(ge=1, le=1200)]]


class LadderStandards(_Strict):
    """The intervention ladder's figures (mechanisms.md §4): each measure's term in months,
    and how many open areas require it (the highest measure reached applies); and how many
    overdue areas require a kind's first measure."""

    term_months: Measures
    open_areas: Measures
    overdue_areas: int = Field(ge=1)

    @model_validator(mode="after")
    def _every_measure_and_rising(self) -> LadderStandards:
        known = {m for measures in LADDER_MEASURES.values() for m in measures}
        for table in ("term_months", "open_areas"):
            unknown = sorted(set(getattr(self, table)) - known)
            if unknown:
                raise ValueError(f"{table}: no measure {', '.join(unknown)}")
        for kind, measures in LADDER_MEASURES.items():
            for table in ("term_months", "open_areas"):
                missing = [m for m in measures if m not in getattr(self, table)]
                if missing:
                    raise ValueError(f"{table}: no figure for {', '.join(missing)}")
            needs = [self.open_areas[m] for m in measures]
            if needs != sorted(set(needs)):
                raise ValueError(
                    f"open_areas: the {kind} measures {', '.join(measures)} must need more "
                    f"open areas rung by rung (they need {needs})"
                )
        return self


class MechanismStandards(_Strict):
    """The numbers of mechanisms.md §2 and §4 (and the seed) a branch is judged against."""

    theme_day: int = Field(ge=1, le=28)  # 主题党日: the day of the month it is held on
    linkage_due_day: int = Field(ge=1, le=28)  # 联户: a month is due from this day of the next
    people_per_public_toilet: int = Field(ge=1)  # 公共厕所: one per this many residents
    # 党群服务中心面积 (finite, like every figure here: TOML's ``inf`` is refused, not judged)
    service_centre_m2_per_100_households: int | float = Field(ge=0, allow_inf_nan=False)
    grid_households_min: int = Field(ge=1)  # 网格: households of one grid, at least
    grid_households_max: int = Field(ge=1)  # ... and at most
    grid_full_time_workers: int = Field(ge=0)  # full-time workers each grid needs
    # 社区工作者 per 10,000 urban residents
    workers_per_10k: int | float = Field(ge=0, allow_inf_nan=False)
    ladder: LadderStandards  # 派驻 / 整改整顿

    @model_validator(mode="after")
    def _grid_range(self) -> MechanismStandards:
        if self.grid_households_min > self.grid_households_max:
            raise ValueError("grid_households_min is above grid_households_max")
        return self


# The seed's figures (mechanisms.md §2): what holds when the folder has no standards file.
SEED_STANDARDS = MechanismStandards(
    theme_day=5,
    linkage_due_day=5,
    people_per_public_toilet=1000,
    service_centre_m2_per_100_households=30,
    grid_households_min=300,
    grid_households_max=500,
    grid_full_time_workers=1,
    workers_per_10k=18,
    ladder=LadderStandards(
        term_months={
            "first_secretary": 6,
            "work_team": 6,
            "reorganisation": 60,
            "street_leader": 3,
            "work_group": 6,
        },
        open_areas={
            "first_secretary": 2,
            "work_team": 3,
            "reorganisation": 4,
            "street_leader": 2,
            "work_group": 3,
        },
        overdue_areas=1,
    ),
)


def load_standards() -> MechanismStandards:
    """The working-mechanism standards; a missing file means the seed's figures. Read and
    validated once per version of the file (every compliance and ladder query asks)."""
    return _standards(rulebook_dir(), standards_stamp())


@lru_cache(maxsize=8)
def _standards(folder: Path, stamp: tuple[int, int] | None) -> MechanismStandards:
    if stamp is None:
        return SEED_STANDARDS
    path, data = _load(MECHANISM_STANDARDS)
    try:
        return MechanismStandards.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None


def standards_stamp() -> tuple[int, int] | None:
    """When and how large the standards file is (None: absent): answers kept per ledger
    position are kept per version of the file too."""
    try:
        found = (rulebook_dir() / MECHANISM_STANDARDS).stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def _load(name: str) -> tuple[Path, dict[str, object]]:
    path = rulebook_dir() / name
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulebookError(f"{path}: {exc}") from None


def _problems(path: Path, exc: ValidationError) -> RulebookError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
    )
    return RulebookError(f"{path}: {problems}")


def load_county_parameters() -> CountyParameters:
    """The county parameters; a missing file means no figures at all (every value null)."""
    if not (rulebook_dir() / COUNTY_PARAMETERS).is_file():
        return CountyParameters({})
    path, data = _load(COUNTY_PARAMETERS)
    for county, years in data.items():
        for year in years if isinstance(years, dict) else ():
            if not (year.isdigit() and 2000 <= int(year) <= 2100):
                raise RulebookError(f"{path}: {county}.{year}: not a year in 2000-2100")
    try:
        return CountyParameters.model_validate(data)
    except ValidationError as exc:
        raise _problems(path, exc) from None
