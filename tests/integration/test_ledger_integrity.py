"""A verifiable ledger: tampering with the store directly is named by ``fivestar verify``.

Each test imports a small ledger through the command line, then edits the stored events with
plain SQL behind the product's back (SQLite and PostgreSQL), the way an insider with database
access would, and checks that ``verify`` names the right position and branch while the
history of the branches nobody touched still reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.model import merkle
from tests.support.builders import rec
from tests.support.tampering import Store, ledger

Cli = Callable[..., Any]


@pytest.fixture
def store(cli: Cli, db: str, write_ledger: Callable[..., Path]) -> Store:
    records = ledger()
    assert cli("import", str(write_ledger(records))).code == 0
    store = Store(db)
    store.records = records
    return store


def verify(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("verify", "--json", *args)
    report = result.json()
    assert result.code == (0 if report["ok"] else 1)
    return report


def first(report: dict[str, Any]) -> dict[str, Any]:
    assert not report["ok"]
    return report["problems"][0]


def untouched_history_reads(cli: Cli, code: str = "C1") -> None:
    result = cli("history", code, "--json")
    assert result.code == 0, result.err
    assert len(result.json()) == 7


def test_an_untouched_ledger_verifies_and_its_root_is_the_digest(cli: Cli, store: Store) -> None:
    report = verify(cli)
    digest = cli("digest", "--json").json()
    assert report["ok"] and report["events"] == 21
    assert digest["size"] == 21 and digest["root"] == report["root"] and digest["position"] == 21
    assert cli("verify").out.startswith("账本完好")


def test_one_changed_byte_of_a_payload_is_named(cli: Cli, store: Store) -> None:
    state = store.state(8)  # C1's third event
    store.set_state(8, state.replace(b'"on":"2024-02-05"', b'"on":"2024-02-06"'))
    problem = first(verify(cli))
    assert (problem["position"], problem["branch"], problem["version"]) == (8, "C1", 3)
    assert "leaf hash mismatch" in problem["reason"]
    untouched_history_reads(cli, "V2")
    assert "position 8 (branch C1 version 3)" in cli("verify").out


def test_the_deleted_last_event_of_a_branch_is_named(cli: Cli, store: Store) -> None:
    store.run("DELETE FROM stored_events WHERE {pos} = ?", 19)  # V1's last
    problem = first(verify(cli))
    assert (problem["position"], problem["branch"], problem["version"]) == (19, "V1", 7)
    assert problem["reason"].startswith("missing")
    untouched_history_reads(cli)


def test_a_deleted_event_in_the_middle_is_named(cli: Cli, store: Store) -> None:
    store.run("DELETE FROM stored_events WHERE {pos} = ?", 9)  # V2's third
    report = verify(cli)
    problem = first(report)
    assert (problem["position"], problem["branch"], problem["version"]) == (9, "V2", 3)
    assert len(report["problems"]) == 1
    untouched_history_reads(cli)


def test_two_swapped_rows_are_named(cli: Cli, store: Store) -> None:
    a, b = store.state(4), store.state(5)  # V1 v2 and C1 v2
    store.set_state(4, b)
    store.set_state(5, a)
    report = verify(cli)
    assert [(p["position"], p["branch"]) for p in report["problems"]] == [(4, "V1"), (5, "C1")]
    untouched_history_reads(cli, "V2")


def test_a_forged_row_is_named(cli: Cli, store: Store) -> None:
    store.forge_after(19)
    problem = first(verify(cli))
    assert (problem["position"], problem["branch"], problem["version"]) == (22, "V1", 8)
    assert "not recorded by the ledger" in problem["reason"]
    untouched_history_reads(cli)


def test_a_foreign_topic_is_named_and_never_imported(cli: Cli, store: Store) -> None:
    import sys

    store.run("UPDATE stored_events SET topic = ? WHERE {pos} = ?", "antigravity:geohash", 12)
    problem = first(verify(cli))
    assert (problem["position"], problem["branch"]) == (12, "V2")
    assert "not an event class" in problem["reason"]
    assert "antigravity" not in sys.modules
    untouched_history_reads(cli)


def test_a_corrupted_payload_is_named(cli: Cli, store: Store) -> None:
    store.set_state(6, b"\xff\x00 not json")
    problem = first(verify(cli))
    assert (problem["position"], problem["branch"], problem["version"]) == (6, "V2", 2)
    assert "cannot be decoded" in problem["reason"]
    untouched_history_reads(cli)


def test_a_digest_taken_before_an_append_is_proved_consistent_after_it(
    cli: Cli, store: Store, write_ledger: Callable[..., Path]
) -> None:
    before = cli("digest", "--json").json()
    more = [rec("meeting.held", "C1", "2024-07-05", kind="theme_day") for _ in range(5)]
    assert cli("import", str(write_ledger(more))).code == 0
    after = cli("digest", "--json").json()
    proof = cli("prove", "--consistency", str(before["size"]), str(after["size"]), "--json").json()
    assert after["size"] == 26 and proof["from_root"] == before["root"]
    assert merkle.verify_consistency(
        before["size"],
        after["size"],
        bytes.fromhex(before["root"]),
        bytes.fromhex(after["root"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )
    assert verify(cli, "--size", str(before["size"]), "--root", before["root"])["ok"]


def test_a_rewritten_history_fails_the_digest_written_down_before(cli: Cli, store: Store) -> None:
    """An insider who rewrites an event and its leaf hash alike passes the internal check,
    but not the digest an auditor kept."""
    before = cli("digest", "--json").json()
    state = store.state(3).replace(b'"households":500', b'"households":900')
    store.set_state(3, state)
    from domain.application.ledger_tree import entry_of

    version = store.run("SELECT originator_version FROM stored_events WHERE {pos}=3")[0][0]
    forged_leaf = merkle.leaf_hash(entry_of(version, state)[1])
    store.run("UPDATE merkle_leaves SET leaf_hash = ? WHERE position = ?", forged_leaf, 3)
    store.run("DELETE FROM merkle_nodes")
    now = cli("digest", "--json").json()
    assert now["root"] != before["root"]
    proof = cli("prove", "--consistency", "21", "21", "--json").json()
    assert proof["from_root"] != before["root"]
    assert not merkle.verify_consistency(
        21, 21, bytes.fromhex(before["root"]), bytes.fromhex(now["root"]), []
    )
    report = verify(cli, "--size", "21", "--root", before["root"])
    assert not report["ok"] and "not the digest's root" in report["digest_check"]


def test_an_inclusion_proof_leads_to_the_digest(cli: Cli, store: Store) -> None:
    target = store.records[7]
    digest = cli("digest", "--json").json()
    proof = cli("prove", target["branch"], target["id"], "--json").json()
    assert proof["position"] == 8 and proof["leaf_index"] == 7
    assert proof["root"] == digest["root"] and proof["record"]["id"] == target["id"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["leaf_index"],
        proof["size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(digest["root"]),
    )
    older = cli("prove", target["branch"], target["id"], "--size", "10", "--json").json()
    assert older["root"] == cli("digest", "--size", "10", "--json").json()["root"]
    refused = cli("prove", target["branch"], target["id"], "--size", "5")
    assert refused.code == 2 and "not in a tree of size 5" in refused.err
    assert cli("prove", "V1", "no-such-record").code == 2


def test_health_of_the_last_verification_is_recorded(cli: Cli, store: Store) -> None:
    from domain.application.audit import Audit
    from domain.application.service import FiveStar

    store.set_state(6, b"\xff")
    verify(cli)
    with FiveStar(store.db) as svc:
        last = Audit(svc).last_check()
    assert last is not None and not last["ok"]
    assert "position 6 (branch V2 version 2)" in last["message"]


def test_a_damaged_branch_says_where_and_rebuild_refuses(cli: Cli, store: Store) -> None:
    store.set_state(6, b"\xff\x00 not json")
    history = cli("history", "V2")
    assert history.code == 2 and "branch V2, position 6" in history.err
    rebuild = cli("rebuild")
    assert rebuild.code == 1 and "position 6 (branch V2 version 2)" in rebuild.err
    untouched_history_reads(cli)


def test_an_event_deleted_with_its_leaf_is_named_and_nothing_answers_a_root(
    cli: Cli, store: Store
) -> None:
    """An insider who deletes an event and its leaf leaves a gap in the leaves' numbering:
    verify names it, and digest, prove and rebuild refuse instead of a traceback."""
    store.run("DELETE FROM stored_events WHERE {pos} = ?", 10)  # V1's fourth
    store.run("DELETE FROM merkle_leaves WHERE position = ?", 10)
    problem = first(verify(cli))
    assert problem["position"] == 10 and problem["reason"].startswith("missing")
    assert "leaf 9" in problem["reason"]
    for args in (("digest",), ("prove", "V2", store.records[2]["id"])):
        refused = cli(*args)
        assert refused.code == 1 and "tree is damaged" in refused.err, args
    rebuild = cli("rebuild")
    assert rebuild.code == 1 and "position 10" in rebuild.err
    untouched_history_reads(cli)


def test_a_deleted_leaf_under_a_cached_block_gives_no_root(
    cli: Cli, db: str, write_ledger: Callable[[list[dict[str, Any]]], Path]
) -> None:
    """The cache of 256-leaf blocks is never filled across a missing leaf: the digest of a
    tree that lost one refuses, not a root computed from the wrong leaves."""
    more = [rec("meeting.held", "V1", "2024-07-05", kind="theme_day") for _ in range(280)]
    assert cli("import", str(write_ledger([*ledger(), *more]))).code == 0
    Store(db).run("DELETE FROM merkle_leaves WHERE leaf_index = 9")
    Store(db).run("DELETE FROM merkle_nodes")  # as before the first digest of an import
    refused = cli("digest", "--json")
    assert refused.code == 1 and "tree is damaged" in refused.err
    problem = first(verify(cli))
    assert problem["position"] == 10 and "leaf 9" in problem["reason"]


def test_an_export_of_a_corrupted_payload_is_refused_naming_it(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    store.set_state(6, b"\xff\x00 not json")
    out = tmp_path / "backup.jsonl"
    refused = cli("export", "--out", str(out))
    assert refused.code == 1 and "position 6 cannot be decoded" in refused.err
    assert "Traceback" not in refused.err
    assert not out.exists() and not list(tmp_path.glob(".backup.jsonl*"))


def test_a_write_to_a_damaged_branch_is_refused_and_the_others_apply(
    cli: Cli, store: Store, write_ledger: Callable[..., Path]
) -> None:
    """A record for a branch with an undecodable event is refused naming the branch (not a
    CorruptEvent traceback ending the import); a record for another branch still applies."""
    store.set_state(6, b"\xff\x00 not json")  # V2's second
    more = [rec("meeting.held", b, "2024-08-05", kind="theme_day") for b in ("V2", "C1")]
    result = cli("import", str(write_ledger(more)))
    assert result.code == 1 and "1 applied, 0 duplicate, 1 refused" in result.out + result.err
    assert "branch V2: its stored events are damaged" in result.out + result.err
    assert len(cli("history", "C1", "--json").json()) == 8


def test_a_negative_digest_size_is_a_usage_error_not_a_failed_verification(
    cli: Cli, store: Store
) -> None:
    """``verify --size -1`` is a typo, not a digest the ledger fails: exit 2 and nothing
    recorded, so ``/health`` does not show a sound ledger as tampered."""
    from domain.application.audit import Audit
    from domain.application.service import FiveStar

    root = verify(cli)["root"]
    with pytest.raises(SystemExit) as exited:  # argparse's usage error (``size_arg``)
        cli("verify", "--size", "-1", "--root", root)
    assert exited.value.code == 2
    with FiveStar(store.db) as svc:
        last = Audit(svc).last_check()
    assert last is not None and last["ok"]


def test_a_replay_that_meets_a_damaged_event_says_so_without_a_traceback(
    cli: Cli, store: Store
) -> None:
    store.set_state(6, b"\xff\x00 not json")
    for args in (("eligibility", "--year", "2024", "--as-of", "2030-01-01"),
                 ("compliance", "--year", "2024", "--position", "10")):  # fmt: skip
        result = cli(*args)
        assert result.code == 1 and "the ledger is damaged" in result.err, args
        assert "fivestar verify" in result.err
    untouched_history_reads(cli)


def test_a_damaged_row_past_the_read_models_blocks_neither_reads_nor_writes(
    cli: Cli, store: Store, write_ledger: Callable[..., Path]
) -> None:
    """An undecodable row inserted at the end of the log, where the read models have not
    been: history of other branches reads (the read models stay before it, with a
    warning), verify names it, and a write is still recorded (its clock is the last
    readable event's, not a CorruptEvent refusing every import)."""
    (stream, topic) = store.run("SELECT originator_id, topic FROM stored_events WHERE {pos}=21")[0]
    store.run(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        stream,
        99,
        topic,
        b"\xff\x00",
    )
    history = cli("history", "C1", "--json")
    assert history.code == 0 and len(history.json()) == 7
    assert "read models stop before a damaged event (position 22:" in history.err
    assert first(verify(cli))["position"] == 22
    cli("import", str(write_ledger([rec("meeting.held", "C1", "2024-08-05", kind="theme_day")])))
    assert len(cli("history", "C1", "--json").json()) == 8
