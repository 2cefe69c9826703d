"""What becomes of a submitted record is a type: accepted, duplicate or refused (with an id
clash and an unknown branch as kinds of refusal); a write is retried in one place only, and
a record from an HTTP body is decoded once."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

import domain.model.records as records_module
from domain.application.ledger import Ledger
from domain.application.outcomes import (
    Accepted,
    Duplicate,
    IdClash,
    Refused,
    UnknownBranchRefused,
)
from domain.application.service import FiveStar
from tests.support.api import Api
from tests.support.builders import rec, village


def incident(branch: str = "V1", **fields: object) -> dict[str, object]:
    return rec("incident.recorded", branch, "2024-03-01", **{"category": "gambling", **fields})


def test_each_outcome_is_a_type(service: FiveStar) -> None:
    first = incident(id="inc-1")
    outcomes = service.submit(
        [village("V1"), first, first, {**first, "note": "changed"}, incident("NOPE"),
         incident(category="illegal_construction"), {"id": "x y"}],
        "test",
    )  # fmt: skip
    kinds = [type(o) for o in outcomes]
    assert kinds == [Accepted, Accepted, Duplicate, IdClash, UnknownBranchRefused, Refused,
                     Refused]  # fmt: skip
    assert isinstance(outcomes[3], Refused) and isinstance(outcomes[4], Refused)
    accepted = outcomes[1]
    assert isinstance(accepted, Accepted)
    assert accepted.position and accepted.event is not None
    assert [o.status for o in outcomes[:4]] == ["applied", "applied", "duplicate", "refused"]
    assert "other content" in outcomes[3].reason


def test_a_write_that_keeps_losing_races_is_tried_a_bounded_number_of_times(
    lite: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    lite.register()
    calls = []

    def lose(self: Ledger, *args: object, **kwargs: object) -> None:
        calls.append(1)
        raise IntegrityError("simulated concurrent write")

    monkeypatch.setattr(Ledger, "_submit_once", lose)
    monkeypatch.setattr("domain.application.ledger.RETRY_PAUSE", 0.0)
    response = lite.post(incident(), lite.token("recorder"))
    assert response.status_code >= 500
    assert len(calls) == Ledger.ATTEMPTS <= 10


def test_a_record_from_an_http_body_is_decoded_once(
    lite: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    lite.register()
    decoded = []
    original = records_module.decode_record

    def counting(data: bytes) -> object:
        decoded.append(data)
        return original(data)

    monkeypatch.setattr(records_module, "decode_record", counting)
    response = lite.post(incident(id="once"), lite.token("recorder"))
    assert response.status_code == 201, response.text
    assert len(decoded) == 1
