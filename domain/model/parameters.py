"""County parameters (职业化), read from ``rulebooks/`` and validated with pydantic like the
rulebooks: a broken file is refused naming the file and the key. (Case time limits are
``domain.model.cases``: ``load_case_limits``.)

``county-parameters.toml``: ``["<county>".<Y>]`` tables with ``urban_population``
(城镇常住人口 of the district for Y) and ``wage_floor`` (上年度当地全口径城镇单位就业人员平均工资,
yuan); either may be absent.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from domain.model.rulebook import RulebookError, rulebook_dir

COUNTY_PARAMETERS = "county-parameters.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class CountyYear(_Strict):
    urban_population: int | None = Field(default=None, ge=1)
    wage_floor: int | float | None = Field(default=None, ge=0)


class CountyParameters(RootModel[dict[str, dict[str, CountyYear]]]):
    """County -> year (as the TOML key, a string of digits) -> figures."""

    def for_year(self, county: str, year: int) -> CountyYear:
        return self.root.get(county, {}).get(str(year), CountyYear())


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
