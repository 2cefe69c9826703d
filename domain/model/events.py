"""Domain events: one immutable msgspec Struct class per interchange record type.

Every event carries the accepted record whole (its ``(branch, id)`` is the idempotency key),
the recording time (UTC, strictly increasing through the ledger) and the recorder (``cli:<os
user>`` or the API token's name). Events are encoded by ``domain.application.mapper.MsgspecMapper``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from msgspec import Struct

from domain.model import records as r


class LedgerEvent(Struct, gc=False, frozen=True, kw_only=True):
    originator_id: UUID
    originator_version: int
    timestamp: datetime
    recorder: str


class BranchEvent(LedgerEvent, frozen=True, kw_only=True):
    record: r.Record


class BranchRegistered(BranchEvent, frozen=True, kw_only=True):
    record: r.BranchRegisteredRecord


class SecretaryAppointed(BranchEvent, frozen=True, kw_only=True):
    record: r.SecretaryAppointedRecord


class IncidentRecorded(BranchEvent, frozen=True, kw_only=True):
    record: r.IncidentRecordedRecord


class IncidentRetracted(BranchEvent, frozen=True, kw_only=True):
    record: r.IncidentRetractedRecord


class MeetingHeld(BranchEvent, frozen=True, kw_only=True):
    record: r.MeetingHeldRecord


class MemberDeveloped(BranchEvent, frozen=True, kw_only=True):
    record: r.MemberDevelopedRecord


class PlanSet(BranchEvent, frozen=True, kw_only=True):
    record: r.PlanSetRecord


class HonorGranted(BranchEvent, frozen=True, kw_only=True):
    record: r.HonorGrantedRecord


class MetricReported(BranchEvent, frozen=True, kw_only=True):
    record: r.MetricReportedRecord


class CriterionAttested(BranchEvent, frozen=True, kw_only=True):
    record: r.CriterionAttestedRecord


class DesignationGranted(BranchEvent, frozen=True, kw_only=True):
    record: r.DesignationGrantedRecord


class DesignationRevoked(BranchEvent, frozen=True, kw_only=True):
    record: r.DesignationRevokedRecord


class WeaknessDesignated(BranchEvent, frozen=True, kw_only=True):
    record: r.WeaknessDesignatedRecord


class WeaknessLifted(BranchEvent, frozen=True, kw_only=True):
    record: r.WeaknessLiftedRecord


class RatingDeclared(BranchEvent, frozen=True, kw_only=True):
    record: r.RatingDeclaredRecord


class RatingRecommended(BranchEvent, frozen=True, kw_only=True):
    record: r.RatingRecommendedRecord


class RatingAwarded(BranchEvent, frozen=True, kw_only=True):
    record: r.RatingAwardedRecord


class ActivityHeld(BranchEvent, frozen=True, kw_only=True):
    record: r.ActivityHeldRecord


class LinkageReported(BranchEvent, frozen=True, kw_only=True):
    record: r.LinkageReportedRecord


class GridDefined(BranchEvent, frozen=True, kw_only=True):
    record: r.GridDefinedRecord


class GridRetired(BranchEvent, frozen=True, kw_only=True):
    record: r.GridRetiredRecord


class PartnerJoined(BranchEvent, frozen=True, kw_only=True):
    record: r.PartnerJoinedRecord


class PartnerLeft(BranchEvent, frozen=True, kw_only=True):
    record: r.PartnerLeftRecord


class CooperativeBound(BranchEvent, frozen=True, kw_only=True):
    record: r.CooperativeBoundRecord


class CooperativeUnbound(BranchEvent, frozen=True, kw_only=True):
    record: r.CooperativeUnboundRecord


class FacilityReported(BranchEvent, frozen=True, kw_only=True):
    record: r.FacilityReportedRecord


class StaffingReported(BranchEvent, frozen=True, kw_only=True):
    record: r.StaffingReportedRecord


class CaseReported(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseReportedRecord


class CaseAssigned(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseAssignedRecord


class CaseEscalated(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseEscalatedRecord


class CaseProgressed(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseProgressedRecord


class CaseResolved(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseResolvedRecord


class CaseVerified(BranchEvent, frozen=True, kw_only=True):
    record: r.CaseVerifiedRecord


class ProblemRegistered(BranchEvent, frozen=True, kw_only=True):
    record: r.ProblemRegisteredRecord


class ProblemResolved(BranchEvent, frozen=True, kw_only=True):
    record: r.ProblemResolvedRecord


class InterventionStarted(BranchEvent, frozen=True, kw_only=True):
    record: r.InterventionStartedRecord


class InterventionEnded(BranchEvent, frozen=True, kw_only=True):
    record: r.InterventionEndedRecord


class RulebookAdopted(LedgerEvent, frozen=True, kw_only=True):
    """The rulebook in force for a rating year changed (not a branch fact: its own stream)."""

    year: int
    rulebook: str
    reason: str


EVENT_FOR_RECORD: dict[type[r.Record], type[BranchEvent]] = {
    r.BranchRegisteredRecord: BranchRegistered,
    r.SecretaryAppointedRecord: SecretaryAppointed,
    r.IncidentRecordedRecord: IncidentRecorded,
    r.IncidentRetractedRecord: IncidentRetracted,
    r.MeetingHeldRecord: MeetingHeld,
    r.MemberDevelopedRecord: MemberDeveloped,
    r.PlanSetRecord: PlanSet,
    r.HonorGrantedRecord: HonorGranted,
    r.MetricReportedRecord: MetricReported,
    r.CriterionAttestedRecord: CriterionAttested,
    r.DesignationGrantedRecord: DesignationGranted,
    r.DesignationRevokedRecord: DesignationRevoked,
    r.WeaknessDesignatedRecord: WeaknessDesignated,
    r.WeaknessLiftedRecord: WeaknessLifted,
    r.RatingDeclaredRecord: RatingDeclared,
    r.RatingRecommendedRecord: RatingRecommended,
    r.RatingAwardedRecord: RatingAwarded,
    r.ActivityHeldRecord: ActivityHeld,
    r.LinkageReportedRecord: LinkageReported,
    r.GridDefinedRecord: GridDefined,
    r.GridRetiredRecord: GridRetired,
    r.PartnerJoinedRecord: PartnerJoined,
    r.PartnerLeftRecord: PartnerLeft,
    r.CooperativeBoundRecord: CooperativeBound,
    r.CooperativeUnboundRecord: CooperativeUnbound,
    r.FacilityReportedRecord: FacilityReported,
    r.StaffingReportedRecord: StaffingReported,
    r.CaseReportedRecord: CaseReported,
    r.CaseAssignedRecord: CaseAssigned,
    r.CaseEscalatedRecord: CaseEscalated,
    r.CaseProgressedRecord: CaseProgressed,
    r.CaseResolvedRecord: CaseResolved,
    r.CaseVerifiedRecord: CaseVerified,
    r.ProblemRegisteredRecord: ProblemRegistered,
    r.ProblemResolvedRecord: ProblemResolved,
    r.InterventionStartedRecord: InterventionStarted,
    r.InterventionEndedRecord: InterventionEnded,
}

_NAMESPACE = uuid5(NAMESPACE_URL, "https://fivestar.puyang/ledger")


def branch_stream_id(code: str) -> UUID:
    """The branch's stream: one aggregate per branch code, found without an index."""
    return uuid5(_NAMESPACE, f"branch:{code}")


def rating_year_stream_id(year: int) -> UUID:
    return uuid5(_NAMESPACE, f"rating-year:{year}")
