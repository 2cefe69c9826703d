"""Logical backup: ``fivestar export`` and ``restore`` reproduce the same events and root,
SQLite -> PostgreSQL -> SQLite byte for byte, and ``scripts/verify_export.py`` (standard
library only) checks every leaf, the root and every inclusion proof of an export."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from api.cli.main import main
from tests.conftest import _drop_database, _fresh_database
from tests.support.builders import community, rec, village
from tests.support.verifier import verifier

ROOT = Path(__file__).resolve().parents[2]


def ledger() -> list[dict[str, Any]]:
    out = [village("V1"), community("C1"), village("V2", county="南乐县", township="城关镇")]
    for month in range(1, 5):
        out.append(rec("meeting.held", "V1", f"2024-{month:02d}-05", kind="theme_day"))
        out.append(rec("incident.recorded", "V1", f"2024-{month:02d}-06", category="gambling",
                       note=f"第{month}次 \"引号\" \\ 换行\n"))  # fmt: skip
    for value in (7.5, 0.125, 1e-7, 12345678901234567.0, 3.0):
        out.append(rec("metric.reported", "V2", "2024-12-20", year=2024,
                       metric="collective_income", value=value))  # fmt: skip
    return out


def run(db: str, *args: str) -> int:
    return main(["--db", db, *args])


@pytest.fixture
def pg_urls(postgres_server: str | None) -> Iterator[Callable[[], str]]:
    if postgres_server is None:
        pytest.skip("no PostgreSQL (set FIVESTAR_TEST_PG)")
    made: list[str] = []

    def fresh() -> str:
        url, name = _fresh_database(postgres_server)
        made.append(name)
        return url

    yield fresh
    for name in made:
        _drop_database(postgres_server, name)


def test_sqlite_to_postgresql_to_sqlite_gives_the_same_export_and_root(
    tmp_path: Path, write_ledger: Callable[..., Path], pg_urls: Callable[[], str]
) -> None:
    first = str(tmp_path / "first.db")
    assert run(first, "import", str(write_ledger(ledger()))) == 0
    pg, last = pg_urls(), str(tmp_path / "last.db")
    exports = [tmp_path / f"e{i}.jsonl" for i in range(3)]
    assert run(first, "export", "--out", str(exports[0])) == 0
    assert run(pg, "restore", str(exports[0])) == 0
    assert run(pg, "export", "--out", str(exports[1])) == 0
    assert run(last, "restore", str(exports[1])) == 0
    assert run(last, "export", "--out", str(exports[2])) == 0
    assert exports[0].read_bytes() == exports[1].read_bytes() == exports[2].read_bytes()
    assert run(pg, "verify") == 0 and run(last, "verify") == 0
    digest = json.loads(exports[0].read_text().splitlines()[-1])["digest"]
    assert digest["size"] == 16
    assert verifier().verify(str(exports[2]), digest["root"]) == []


def test_a_restored_store_reads_like_the_original(
    db: str, tmp_path: Path, write_ledger: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    source = str(tmp_path / "source.db")
    assert run(source, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(source, "export", "--out", str(out)) == 0
    assert cli("restore", str(out)).code == 0
    restored = cli("history", "C1", "--json").json()
    original = [json.loads(line) for line in out.read_text().splitlines()[:-1]]
    c1 = [e for e in original if e["branch"] == "C1"]
    assert [(h["position"], h["recorder"], h["record"]) for h in restored] == [
        (e["position"], e["recorder"], e["record"]) for e in c1
    ]
    assert [h["recorded_at"] for h in restored] == [e["recorded_at"] for e in c1]
    again = cli("restore", str(out))
    assert again.code == 2 and "empty store" in again.err
    assert cli("import", str(write_ledger([rec("meeting.held", "V1", "2024-09-01",
                                                kind="theme_day")]))).code == 0  # fmt: skip
    assert cli("verify").code == 0


def test_the_offline_verifier_names_a_changed_line(
    tmp_path: Path, write_ledger: Callable[..., Path]
) -> None:
    db = str(tmp_path / "a.db")
    assert run(db, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(db, "export", "--out", str(out)) == 0
    module = verifier()
    root = json.loads(out.read_text().splitlines()[-1])["digest"]["root"]
    assert module.main([str(out), "--root", root]) == 0
    assert module.main([str(out), "--root", "00" * 32]) == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("2024-01-06", "2024-01-07")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = module.verify(str(out), root)
    assert problems[0].startswith("line 5: position 5 (branch V1 version 3)")
    restore_into = str(tmp_path / "b.db")
    assert run(restore_into, "restore", str(out)) == 2


def test_an_export_as_of_a_time_stops_there(
    tmp_path: Path, write_ledger: Callable[..., Path]
) -> None:
    db = str(tmp_path / "a.db")
    assert run(db, "import", str(write_ledger(ledger()))) == 0
    full = tmp_path / "full.jsonl"
    assert run(db, "export", "--out", str(full)) == 0
    events = [json.loads(line) for line in full.read_text().splitlines()[:-1]]
    cut = tmp_path / "cut.jsonl"
    assert run(db, "export", "--out", str(cut), "--as-of", events[5]["recorded_at"]) == 0
    lines = cut.read_text().splitlines()
    assert len(lines) == 7 and json.loads(lines[-1])["digest"]["size"] == 6
    assert verifier().verify(str(cut)) == []


def test_the_offline_canonical_form_is_the_ledgers() -> None:
    """The stand-alone verifier writes numbers and text exactly as the ledger hashes them."""
    module = verifier()
    rng = random.Random(7)
    values: list[Any] = [1e16, 1e-7, 0.1, 5e-324, 1.7976931348623157e308, -0.0, 2**60, '五"\n\x01']
    while len(values) < 20000:
        value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if value == value and abs(value) != float("inf"):
            values.append(value)
    encoder = msgspec.json.Encoder(order="sorted")
    for value in values:
        doc = {"b": [value], "a": {"z": value, "y": None, "x": True}}
        assert module.canonical(doc) == encoder.encode(doc).decode()


def test_restore_names_a_directory_as_one_not_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a directory where the export should be, when it is restored, then the refusal
    says it is a directory (the user sees the path exists) and no store is written."""
    folder = tmp_path / "exports"
    folder.mkdir()
    db = tmp_path / "new.db"
    assert run(str(db), "restore", str(folder)) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "no such file" not in err
    assert run(str(db), "restore", str(tmp_path / "absent.jsonl")) == 2
    assert "no such file" in capsys.readouterr().err


def _reforged(export: Path, out: Path, edit: Callable[[list[dict[str, Any]]], None]) -> None:
    """``export`` edited by ``edit`` with every leaf hash and the digest recomputed by the
    offline verifier's own code: an export that checks, of a ledger that cannot be stored."""
    module = verifier()
    events = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()[:-1]]
    edit(events)
    leaves = []
    for index, event in enumerate(events):
        event["leaf_index"] = index
        event["leaf_hash"] = module.leaf_hash(event).hex()
        leaves.append(bytes.fromhex(event["leaf_hash"]))
    digest = {"position": len(events), "root": module.levels(leaves)[-1][0].hex()}
    lines = [*events, {"digest": {**digest, "size": len(events)}}]
    out.write_text("".join(module.canonical(x) + "\n" for x in lines), encoding="utf-8")


def test_restore_refuses_streams_that_do_not_run_on_before_writing_anything(
    tmp_path: Path,
    write_ledger: Callable[..., Path],
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given exports whose hashes and digest hold but where a branch's version repeats or
    jumps, when they are restored (in batches of two), then each is refused naming its line
    and the store stays empty: a good export restores after them."""
    source = str(tmp_path / "source.db")
    assert run(source, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(source, "export", "--out", str(out)) == 0
    monkeypatch.setattr("domain.application.audit.PAGE", 2)

    def repeat(events: list[dict[str, Any]]) -> None:
        events.append({**events[3], "record": {**events[3]["record"], "id": "forged"}})

    def jump(events: list[dict[str, Any]]) -> None:
        events[3]["version"] = 9

    for edit, line in ((repeat, 17), (jump, 4)):
        forged = tmp_path / f"{edit.__name__}.jsonl"
        _reforged(out, forged, edit)
        assert verifier().verify(str(forged)) == []
        refused = cli("restore", str(forged))
        assert refused.code == 2 and f"line {line}: branch V1 version" in refused.err
    assert cli("restore", str(out)).code == 0
    assert cli("verify").code == 0


def test_the_offline_verifier_names_a_line_that_is_no_object(
    tmp_path: Path, write_ledger: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """An export edited into a line of JSON that is not an object (a list, a string, a
    digest that is a number) is named by its line, not answered with a traceback."""
    db = str(tmp_path / "a.db")
    assert run(db, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(db, "export", "--out", str(out)) == 0
    capsys.readouterr()
    lines = out.read_text(encoding="utf-8").splitlines()
    for bad in ("[1, 2]", '"digest"', '{"digest": 5}'):
        edited = tmp_path / "edited.jsonl"
        edited.write_text("\n".join([*lines[:3], bad, *lines[3:]]) + "\n", encoding="utf-8")
        assert verifier().main([str(edited)]) == 2
        assert "line 4: not an event or digest object" in capsys.readouterr().err


def test_restore_refuses_an_adoption_of_a_rulebook_it_does_not_have(
    tmp_path: Path, write_ledger: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    """Given an export whose hashes hold but which adopts a rulebook this installation does
    not have, when it is restored, then it is refused naming the line before anything is
    written (it was stored, and every later command stopped on a ProjectionError)."""
    source = str(tmp_path / "source.db")
    assert run(source, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(source, "export", "--out", str(out)) == 0

    def adopt_unknown(events: list[dict[str, Any]]) -> None:
        record = {"type": "rulebook.adopted", "year": 2024, "rulebook": "nonexistent",
                  "reason": "试行"}  # fmt: skip
        events.append({**events[-1], "branch": None, "version": 1, "record": record})

    forged = tmp_path / "forged.jsonl"
    _reforged(out, forged, adopt_unknown)
    assert verifier().verify(str(forged)) == []
    refused = cli("restore", str(forged))
    assert refused.code == 2 and "line 17" in refused.err and "'nonexistent'" in refused.err
    assert cli("restore", str(out)).code == 0


def test_restore_refuses_a_branch_that_does_not_begin_with_its_registration(
    tmp_path: Path, write_ledger: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    """Given an export whose hashes hold but with a branch whose first event is a meeting,
    when it is restored, then it is refused before anything is written (it was stored, and
    every later command and the rebuild stopped on 'event of unregistered branch')."""
    source = str(tmp_path / "source.db")
    assert run(source, "import", str(write_ledger(ledger()))) == 0
    out = tmp_path / "export.jsonl"
    assert run(source, "export", "--out", str(out)) == 0

    def unregistered(events: list[dict[str, Any]]) -> None:
        record = {**events[3]["record"], "branch": "ZZ", "id": "zz1"}
        events.append({**events[3], "branch": "ZZ", "version": 1, "record": record})

    forged = tmp_path / "forged.jsonl"
    _reforged(out, forged, unregistered)
    refused = cli("restore", str(forged))
    assert refused.code == 2 and "line 17: branch ZZ begins with meeting.held" in refused.err
    assert cli("restore", str(out)).code == 0
