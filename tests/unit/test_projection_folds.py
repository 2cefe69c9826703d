"""The projector's fast paths give what the plain folds give (no store).

The incremental projection folds a record into the eligibility facts with one look-up of its
type (``facts.fold_into``) where the rebuild and the aggregate call ``apply`` then
``affected_years``; it decodes a branch's stored compliance fold bucket by bucket
(``decode_facts_lazily``) and encodes each part of its rows once (``encode_rows``). Each must
give the same facts, years and bytes as the plain way, over the fixture ledgers' records
(every record type between them, in ledger order, out of date order too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.model import compliance as c
from domain.model import facts as f
from domain.model import records as r

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _records() -> list[Any]:
    lines = []
    for name in ("ledger-small.jsonl", "ledger-mechanisms.jsonl"):
        lines += (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    records = []
    for line in lines:
        try:
            records.append(r.decode_record(line))
        except r.RecordError:
            continue  # refused on its own: never a ledger's
    return records


RECORDS = _records()


def test_the_fixtures_hold_every_record_type_the_facts_fold() -> None:
    kinds = {type(record) for record in RECORDS}
    assert {k for k, folder in f.FACT_FOLDERS.items() if folder is not None} - kinds <= {
        r.WeaknessDesignatedRecord,
        r.WeaknessLiftedRecord,
        r.HonorGrantedRecord,  # these three fall back to ``apply`` + ``affected_years``
    }


def _fold_both(record: Any, plain: f.BranchFacts, fast: f.BranchFacts) -> None:
    try:
        f.apply(plain, record)
    except KeyError:  # a record the ledger would refuse (a retraction of nothing)
        with pytest.raises(KeyError):
            f.fold_into(fast, record, set())
        return
    years: set[int] = set()
    f.fold_into(fast, record, years)
    assert years == f.affected_years(plain, record), record


def test_fold_into_is_apply_then_affected_years() -> None:
    plain: dict[str, f.BranchFacts] = {}
    fast: dict[str, f.BranchFacts] = {}
    for record in RECORDS:
        if isinstance(record, r.BranchRegisteredRecord):
            plain[record.branch], fast[record.branch] = f.new_facts(record), f.new_facts(record)
        elif record.branch in plain:
            _fold_both(record, plain[record.branch], fast[record.branch])
            assert f.encode_facts(fast[record.branch]) == f.encode_facts(plain[record.branch])
    assert plain


def test_has_year_is_membership_in_years() -> None:
    facts: dict[str, f.BranchFacts] = {}
    for record in RECORDS:
        if isinstance(record, r.BranchRegisteredRecord):
            facts[record.branch] = f.new_facts(record)
            continue
        branch = facts.get(record.branch)
        if branch is None:
            continue
        try:
            f.apply(branch, record)
        except KeyError:
            continue
        for year in range(2019, 2030):
            assert f.has_year(branch, year) == (year in branch.years())


def test_lazily_decoded_folds_encode_as_the_whole_decode() -> None:
    """Folding into a fold decoded bucket by bucket, stored again every few records, gives
    the bytes of the fold kept whole; ``encode_rows`` the bytes of the separate encodes."""
    whole: dict[str, c.MechanismFacts] = {}
    lazy: dict[str, c.MechanismFacts] = {}
    for seq, record in enumerate(RECORDS, start=1):
        if isinstance(record, r.BranchRegisteredRecord):
            whole[record.branch] = c.new_mechanism_facts(record)
            lazy[record.branch] = c.new_mechanism_facts(record)
        elif record.branch in whole:
            try:
                found = list(c.fold_mechanism(whole[record.branch], record, seq))
            except (KeyError, AssertionError) as exc:  # one the ledger refuses (no such grid)
                with pytest.raises(type(exc)):
                    list(c.fold_mechanism(lazy[record.branch], record, seq))
                continue
            assert list(c.fold_mechanism(lazy[record.branch], record, seq)) == found
        if seq % 7 == 0 and record.branch in lazy:  # stored, then read back lazily
            lazy[record.branch] = c.decode_facts_lazily(c.encode(lazy[record.branch]))
    assert whole
    for code, facts in whole.items():
        assert c.encode(lazy[code]) == c.encode(facts)
        years = sorted({*facts.buckets, 2019})  # 2019: a slice of a year with no bucket
        data, slices = c.encode_rows(lazy[code], years)
        assert data == c.encode(facts)
        assert slices == [c.encode(c.year_of(facts, year)) for year in years]
        assert [c.encode(c.year_of(lazy[code], year)) for year in years] == slices
