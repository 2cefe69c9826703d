"""A store is what the user named, and its read models belong to it.

Only the commands that write (``import``, ``demo``, ``restore``, ``token issue``) create a
store; every other command on a missing one says "no ledger at ..." and exits 2, creating
nothing. The read models carry the identity of the ledger they were built from: read models
of another ledger, or ahead of this one, are an error that names ``fivestar rebuild``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from api.cli.main import main
from domain.application.identity import FORMATS_TABLE, views_versions, write_views_versions
from domain.application.service import FiveStar
from domain.application.store import is_postgres
from projections import READ_MODELS
from projections.views import views_sqlite_path
from tests.support.api import Api
from tests.support.builders import village

READ_COMMANDS = [
    ["eligibility", "--year", "2025"],
    ["awards", "--year", "2025"],
    ["rewards", "--year", "2025"],
    ["priority", "--year", "2025"],
    ["history", "V1"],
    ["rulebooks"],
    ["rebuild"],
    ["recompute", "--year", "2025", "--rulebook", "puyang-2022"],
    ["token", "list"],
    ["token", "revoke", "nobody"],
    ["serve", "--port", "1"],
    ["project"],
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_a_read_command_on_a_missing_store_exits_2_and_creates_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run(capsys, "--db", db, *command)
    assert code == 2, (out, err)
    assert "no ledger at" in err
    if not is_postgres(db):
        assert not Path(db).exists() and not Path(views_sqlite_path(db)).exists()
    else:  # nothing was created in the empty database: a write command still can
        code, out, err = run(capsys, "--db", db, *command)
        assert code == 2 and "no ledger at" in err


def test_a_missing_directory_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    code, _, err = run(capsys, "--db", str(target), "eligibility", "--year", "2025")
    assert code == 2 and f"no ledger at {target}" in err
    assert not (tmp_path / "nonexistent").exists()


def test_a_write_command_creates_the_store(
    db: str, capsys: pytest.CaptureFixture[str], write_ledger: Callable[..., Path]
) -> None:
    code, out, err = run(capsys, "--db", db, "import", str(write_ledger([village("V1")])))
    assert code == 0, (out, err)
    code, out, err = run(capsys, "--db", db, "eligibility", "--year", "2025", "--json")
    assert code == 0, err
    assert '"V1"' in out


def test_read_models_of_another_ledger_are_refused_until_rebuilt(
    sqlite_db: str, capsys: pytest.CaptureFixture[str], write_ledger: Callable[..., Path]
) -> None:
    """Delete fivestar.db, keep fivestar.views.db, import a new ledger."""
    old = [village("OLD1"), village("OLD2"), village("OLD3")]
    assert run(capsys, "--db", sqlite_db, "import", str(write_ledger(old)))[0] == 0
    os.remove(sqlite_db)
    code, out, err = run(capsys, "--db", sqlite_db, "import", str(write_ledger([village("NEW")])))
    assert code == 2, (out, err)
    assert "fivestar rebuild" in err
    code, out, err = run(capsys, "--db", sqlite_db, "eligibility", "--year", "2025")
    assert code == 2 and "fivestar rebuild" in err and "OLD1" not in out
    code, out, err = run(capsys, "--db", sqlite_db, "rebuild")
    assert code == 0, err
    code, out, err = run(capsys, "--db", sqlite_db, "eligibility", "--year", "2025", "--json")
    assert code == 0, err
    assert "OLD1" not in out
    code, out, err = run(capsys, "--db", sqlite_db, "import", str(write_ledger([village("NEW")])))
    assert code == 0, (out, err)
    code, out, err = run(capsys, "--db", sqlite_db, "eligibility", "--year", "2025", "--json")
    assert '"NEW"' in out and "OLD1" not in out


def test_read_models_ahead_of_the_ledger_are_an_error(
    db: str, capsys: pytest.CaptureFixture[str], write_ledger: Callable[..., Path]
) -> None:
    assert run(capsys, "--db", db, "import", str(write_ledger([village("V1")])))[0] == 0
    with FiveStar(db) as svc, svc.views.writing() as w:
        for model in svc.views.read_models:
            w.track(model.name, svc.views.position() + 5)
    code, _, err = run(capsys, "--db", db, "awards", "--year", "2025")
    assert code == 2 and "ahead of the ledger" in err and "fivestar rebuild" in err
    assert run(capsys, "--db", db, "rebuild")[0] == 0
    assert run(capsys, "--db", db, "awards", "--year", "2025")[0] == 0


def test_health_is_not_ok_when_the_read_models_are_ahead(lite: Api) -> None:
    lite.register()
    svc = lite.svc
    svc.catch_up()
    with svc.views.writing() as w:
        for model in svc.views.read_models:
            w.track(model.name, svc.views.position() + 3)
    body = lite.get("/health", None).json()
    assert body["ok"] is False
    assert body["lag"] == -3


def _store_versions(db: str, versions: dict[str, int] | None) -> None:
    """Make the stored read models look built by other code (None: before versions)."""
    with FiveStar(db) as svc:
        if versions is None:
            with svc.views.datastore.transaction(commit=True) as c:
                c.execute(f"DROP TABLE {svc.views.table(FORMATS_TABLE)}")
        else:
            write_views_versions(svc.views.datastore, versions)


@pytest.mark.parametrize("stored", [{"compliance": 1}, None], ids=["older", "unrecorded"])
def test_read_models_built_by_another_version_are_refused_until_rebuilt(
    db: str,
    capsys: pytest.CaptureFixture[str],
    write_ledger: Callable[..., Path],
    stored: dict[str, int] | None,
) -> None:
    """The compliance rows of version 1 may be stale (a register fix): never served."""
    assert run(capsys, "--db", db, "import", str(write_ledger([village("V1")])))[0] == 0
    current = {model.name: model.version for model in READ_MODELS}
    assert current["compliance"] == 2
    _store_versions(db, None if stored is None else {**current, **stored})
    code, out, err = run(capsys, "--db", db, "compliance", "--year", "2025")
    assert code == 2, (out, err)
    assert "another version of fivestar" in err and "compliance 1, now 2" in err
    assert "fivestar rebuild" in err
    assert run(capsys, "--db", db, "rebuild")[0] == 0
    with FiveStar(db) as svc:
        assert views_versions(svc.views.datastore) == current
    code, out, err = run(capsys, "--db", db, "compliance", "--year", "2025", "--json")
    assert code == 0, err
    assert '"V1"' in out


def test_a_read_model_new_to_a_store_has_its_version_recorded(
    db: str, capsys: pytest.CaptureFixture[str], write_ledger: Callable[..., Path]
) -> None:
    """So that a later change of its version is noticed too."""
    assert run(capsys, "--db", db, "import", str(write_ledger([village("V1")])))[0] == 0
    current = {model.name: model.version for model in READ_MODELS}
    _store_versions(db, {name: v for name, v in current.items() if name != "ladder"})
    with FiveStar(db) as svc:
        assert views_versions(svc.views.datastore) == current
