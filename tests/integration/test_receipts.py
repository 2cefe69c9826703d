"""Determination receipts: an eligibility object names the ledger and rulebook it was judged
on, and an award keeps the basis of the check made when it was recorded (both stores)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.model import merkle
from domain.model.rulebook import rulebook_dir
from tests.support.builders import ALL_VILLAGE, chain, five_star_village_years, rec, village

Cli = Callable[..., Any]


def sha(rulebook: str) -> str:
    return hashlib.sha256((rulebook_dir() / f"{rulebook}.toml").read_bytes()).hexdigest()


def test_eligibility_names_the_ledger_and_rulebook_it_was_judged_on(
    cli: Cli, write_ledger: Callable[..., Path]
) -> None:
    records = [village("V1"), *five_star_village_years("V1", [2024])]
    assert cli("import", str(write_ledger(records))).code == 0
    digest = cli("digest", "--json").json()
    [result] = cli("eligibility", "--year", "2024", "--json").json()
    basis = result["basis"]
    assert basis == {
        "position": digest["position"],
        "size": digest["size"],
        "root": digest["root"],
        "rulebook": result["rulebook"],
        "rulebook_sha256": sha(result["rulebook"]),
    }
    [earlier] = cli("eligibility", "--year", "2024", "--position", "3", "--json").json()
    assert earlier["basis"]["position"] == 3 and earlier["basis"]["size"] == 3
    assert earlier["basis"]["root"] == cli("digest", "--size", "3", "--json").json()["root"]


def test_an_award_keeps_the_basis_it_was_recorded_on(
    cli: Cli, write_ledger: Callable[..., Path]
) -> None:
    evidence = [village("V1"), *five_star_village_years("V1", [2024])]
    assert cli("import", str(write_ledger(evidence))).code == 0
    before = cli("digest", "--json").json()
    declared, *reviews, award = chain("V1", 2024, ALL_VILLAGE, "province")
    assert cli("import", str(write_ledger([declared, *reviews]))).code == 0
    judged_on = cli("digest", "--json").json()
    recorded = cli("import", str(write_ledger([award])))
    assert recorded.code == 0, recorded.out
    [awarded] = cli("awards", "--year", "2024", "--json").json()
    basis = awarded["basis"]
    assert (basis["size"], basis["root"]) == (judged_on["size"], judged_on["root"])
    assert basis["size"] > before["size"] and basis["rulebook_sha256"] == sha(basis["rulebook"])
    history = cli("history", "V1", "--json").json()
    assert history[-1]["basis"] == basis and "basis" not in history[-1]["record"]
    proof = cli("prove", "V1", award["id"], "--json").json()
    assert proof["leaf_index"] == judged_on["size"]  # the award itself comes right after
    consistency = cli(
        "prove", "--consistency", str(basis["size"]), str(proof["size"]), "--json"
    ).json()
    assert merkle.verify_consistency(
        basis["size"],
        proof["size"],
        bytes.fromhex(basis["root"]),
        bytes.fromhex(proof["root"]),
        [bytes.fromhex(h) for h in consistency["proof"]],
    )
    assert cli("verify").code == 0
    more = [rec("meeting.held", "V1", "2025-01-05", kind="theme_day")]
    assert cli("import", str(write_ledger(more))).code == 0
    assert cli("awards", "--year", "2024", "--json").json()[0]["basis"] == basis
    assert json.dumps(basis)


def test_an_award_receipt_survives_export_and_restore(
    cli: Cli, write_ledger: Callable[..., Path], tmp_path: Path
) -> None:
    from api.cli.main import main
    from tests.support.verifier import verifier

    declared, *reviews, award = chain("V1", 2024, ALL_VILLAGE, "province")
    records = [village("V1"), *five_star_village_years("V1", [2024]), declared, *reviews]
    assert cli("import", str(write_ledger(records))).code == 0
    assert cli("import", str(write_ledger([award]))).code == 0
    out, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    assert cli("export", "--out", str(out)).code == 0
    root = cli("digest", "--json").json()["root"]
    assert '"basis"' in out.read_text().splitlines()[-2]
    assert verifier().verify(str(out), root) == []
    copy = str(tmp_path / "copy.db")
    assert main(["--db", copy, "restore", str(out)]) == 0
    assert main(["--db", copy, "export", "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_an_award_imported_with_its_evidence_names_the_evidence(
    cli: Cli, write_ledger: Callable[..., Path]
) -> None:
    # given the evidence, the reviews and the award in one file (one batch)
    evidence = [village("V1"), *five_star_village_years("V1", [2024])]
    declared, *reviews, award = chain("V1", 2024, ALL_VILLAGE, "province")
    assert cli("import", str(write_ledger([*evidence, declared, *reviews, award]))).code == 0
    # then its basis is the ledger right before it, evidence and reviews included
    [awarded] = cli("awards", "--year", "2024", "--json").json()
    basis = awarded["basis"]
    proof = cli("prove", "V1", award["id"], "--json").json()
    assert basis["size"] == proof["leaf_index"] == len(evidence) + 1 + len(reviews)
    assert basis["position"] == basis["size"]  # positions run 1, 2, 3 ... without gaps
    assert basis["root"] == cli("digest", "--size", str(basis["size"]), "--json").json()["root"]
    # and the declaration is provably in the tree the award was judged on
    shown = cli("prove", "V1", declared["id"], "--size", str(basis["size"]), "--json").json()
    assert shown["root"] == basis["root"]
    assert cli("verify").code == 0
