"""case-limits.toml holds whole days: a value of another type (a boolean, a quoted number, a
float) is refused naming the file and the key, never read as a number of days (``true`` was
one day, ``"7"`` seven): a county's limits are a parameter officials edit by hand
(mechanisms.md §3, ADR 0018)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.model.cases import DEFAULT_LIMITS, CaseLimitsError, load_case_limits

DEFAULTS = "[default]\n" + "".join(
    f"{key} = {value}\n" for key, value in DEFAULT_LIMITS.default.model_dump().items()
)


@pytest.mark.parametrize("value", ["true", '"7"', "7.0"])
@pytest.mark.parametrize(
    ("table", "key"),
    [("default", "default.resolve_days"), ('counties."清丰县"', "counties.清丰县.resolve_days")],
)
def test_a_limit_that_is_not_a_whole_number_is_refused_naming_the_key(
    tmp_path: Path, value: str, table: str, key: str
) -> None:
    if table == "default":
        text = DEFAULTS.replace("resolve_days = 7", f"resolve_days = {value}")
    else:
        text = DEFAULTS + f"[{table}]\nresolve_days = {value}\n"
    path = tmp_path / "case-limits.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseLimitsError) as refusal:
        load_case_limits(path)
    message = str(refusal.value)
    assert str(path) in message
    assert key in message


def test_whole_numbers_are_read_as_days(tmp_path: Path) -> None:
    path = tmp_path / "case-limits.toml"
    path.write_text(DEFAULTS + '[counties."清丰县"]\nresolve_days = 5\n', encoding="utf-8")
    name, limits = load_case_limits(path).for_county("清丰县")
    assert (name, limits.resolve_days, limits.respond_days) == ("清丰县", 5, 3)
