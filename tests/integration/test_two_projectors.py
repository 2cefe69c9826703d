"""Two projectors on one store (a ``fivestar import`` while ``fivestar serve`` runs its own):
each batch is projected from the positions tracked when its transaction holds the read
models, never from positions read before, so no event is applied twice (SQLite and
PostgreSQL).

Before, a projector that had read its positions before the other committed a batch applied
the other's events a second time: on PostgreSQL the compliance rows of a ledger imported
while the API served held every warning twice (and an eligibility fold could count a member
twice), on SQLite the import stopped with a traceback ("database is locked").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.application.ledger import LedgerLog
from domain.application.service import FiveStar
from projections.runner import ProjectionRunner
from projections.tables import SYSTEM_TABLES
from projections.views import open_views
from tests.support.ledgers import make_ledger

PREFIX = "t2_"


def _rows(views: Any) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for name in views.tables:
        if name in SYSTEM_TABLES:
            continue
        rows = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in views.query(f"SELECT * FROM {{p}}{name}")
        ]
        out[name] = sorted(rows, key=repr)
    return out


def test_a_projector_with_stale_positions_does_not_apply_the_others_events_again(
    service: FiveStar, db: str, tmp_path: Path
) -> None:
    # given a ledger, projected once into the live read models
    report = service.import_file(make_ledger(tmp_path / "l.jsonl", branches=4, seed=3), "t")
    head = service.head()
    assert report.position == head > 400
    # and two projectors of a second set of read models on the same store
    first = open_views(db, service.ledger.factory.datastore, PREFIX)  # type: ignore[attr-defined]
    second = open_views(db, service.ledger.factory.datastore, PREFIX, create=False)  # type: ignore[attr-defined]
    log = LedgerLog(service.ledger)
    one = ProjectionRunner(log, first, batch_size=head)
    two = ProjectionRunner(log, second, batch_size=head)
    start = head // 4  # past the registrations (a registration starts a branch's facts anew)
    one.catch_up(stop=start)
    stale = second.positions()  # the second reads its positions ...
    assert stale == dict.fromkeys(stale, start)
    one.catch_up(stop=head // 2)  # ... the first projects a quarter more meanwhile
    # when the second projects the rest of the ledger from the positions it read
    two.apply(log.read(start, head, head), stale)
    # then the second set holds exactly what the live projection wrote
    assert second.position() == head
    assert stale == dict.fromkeys(stale, head)
    assert _rows(second) == _rows(service.views)
