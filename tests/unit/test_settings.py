"""Settings come from ``FIVESTAR_<FIELD>`` variables; a bad one is named, never a traceback."""

from __future__ import annotations

import pytest

from api.cli.main import main
from domain.application.settings import Settings, SettingsError


def test_a_variable_overrides_its_default() -> None:
    settings = Settings.from_env({"FIVESTAR_IMPORT_CACHE_MB": "0", "FIVESTAR_REBUILD_WORKERS": "1"})
    assert settings.import_cache_mb == 0 and settings.rebuild_workers == 1
    assert Settings.from_env({}).import_cache_mb == Settings().import_cache_mb


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FIVESTAR_IMPORT_CACHE_MB", "-1", "greater than or equal to 0"),
        ("FIVESTAR_IMPORT_BATCH_SIZE", "lots", "valid integer"),
        ("FIVESTAR_REBUILD_WORKERS", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_variable_is_refused_by_name(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value})
    assert f"{name}={value!r}" in str(refused.value) and says in str(refused.value)


def test_the_command_line_names_the_variable_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("FIVESTAR_IMPORT_CACHE_MB", "-1")
    code = main(["--db", f"{tmp_path}/x.db", "demo"])
    err = capsys.readouterr().err
    assert code == 2
    assert "setting FIVESTAR_IMPORT_CACHE_MB='-1'" in err and "Traceback" not in err
