"""A register record dated in an earlier year than one already stored reaches every later
year's stored compliance slice (found by the property test
tests/property/test_read_models_equal_replay.py), on SQLite and PostgreSQL.

The compliance read model stores one slice per branch-year, each with the branch's registers
(grids, partners, cooperatives) as folded so far. A register record rewrites its own year and
the later years the branch has a slice for; a slice written only because of an earlier
register record must be among them, or it keeps the registers as they were before.
"""

from __future__ import annotations

from datetime import date

from domain.application.service import FiveStar, rebuild_views
from tests.support.builders import rec, village

ON = date(2025, 3, 31)


def dual_binding(svc: FiveStar, position: int | None = None) -> tuple[str, list[str]]:
    """The state check 双绑 of V1 for 2025 judged on ON: status and evidence (as replayed up
    to ``position`` when given)."""
    [found] = svc.compliance(2025, ON, branch="V1", position=position)
    [req] = [q for q in found.requirements if q.requirement == "dual_binding_register"]
    return req.status, req.evidence


def test_a_rebinding_dated_last_year_arriving_after_this_years_unbinding_counts_this_year(
    service: FiveStar,
) -> None:
    # given a cooperative bound in 2024 and unbound in 2025, each arriving in its own batch
    bound = dict(cooperative="K1", name="合作社", households=30, enterprise="龙头企业")
    arrivals = [
        [village("V1")],
        [rec("cooperative.bound", "V1", "2024-09-19", id="bind-1", **bound)],
        [rec("cooperative.unbound", "V1", "2025-02-08", id="unbind", cooperative="K1")],
    ]
    for batch in arrivals:
        assert all(o.status == "applied" for o in service.submit(batch, "test"))
        service.catch_up()
    assert dual_binding(service)[0] == "missed"

    # when the binding is recorded again, dated in 2024 (ledger order: after the unbinding)
    again = rec("cooperative.bound", "V1", "2024-09-19", id="bind-2", **bound)
    assert [o.status for o in service.submit([again], "test")] == ["applied"]
    service.catch_up()

    # then 2025's stored slice holds it, as the as-of replay and a rebuild do
    head = service.ledger.recorder.max_notification_id() or 0
    assert dual_binding(service, position=head) == ("met", ["bind-2"])
    assert dual_binding(service) == ("met", ["bind-2"])
    rebuild_views(service)
    assert dual_binding(service) == ("met", ["bind-2"])
