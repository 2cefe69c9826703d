"""The interchange record shapes (interchange.md v1) as msgspec Structs.

Decoding a line into one of these checks everything that needs neither the branch's kind nor
the ledger: field names and types, the id's character set, real dates, years in 2000-2100,
non-negative counts. What depends on the kind (stars, categories, metrics ...) is checked by
``domain.model.vocabulary``; what depends on the ledger by ``domain.model.branch``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

RecordId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,128}\Z")]
# Branch codes use the record-id character set: a code is also a path segment of the API.
BranchCode = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}\Z")]
# Free text has limits (interchange.md): names, persons, units, titles and ``by`` ...
Name = Annotated[str, Meta(max_length=200)]
# ... and notes, reasons, summaries and outcomes.
Text = Annotated[str, Meta(max_length=2000)]
Year = Annotated[int, Meta(ge=2000, le=2100)]
Count = Annotated[int, Meta(ge=0, le=2**53)]
Stars = list[str]

ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")


class Record(
    Struct, gc=False, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"
):
    """Fields every record has; ``(branch, id)`` is the idempotency key."""

    id: RecordId
    branch: BranchCode
    on: date


class BranchRegisteredRecord(Record, frozen=True, tag="branch.registered"):
    name: Name
    kind: Literal["village", "community"]
    county: Name
    township: Name
    households: Count
    population: Count


class SecretaryAppointedRecord(Record, frozen=True, tag="branch.secretary_appointed"):
    person: Name
    civil_servant: bool


class IncidentRecordedRecord(Record, frozen=True, tag="incident.recorded"):
    category: Name
    note: Text = ""


class IncidentRetractedRecord(Record, frozen=True, tag="incident.retracted"):
    ref: RecordId
    reason: Text


MeetingKind = Literal[
    "branch_committee",
    "party_congress",
    "party_group",
    "party_lesson",
    "theme_day",
    "org_life",
    "two_committee_briefing",
    "joint_meeting",
]


class MeetingHeldRecord(Record, frozen=True, tag="meeting.held"):
    kind: MeetingKind


class MemberDevelopedRecord(Record, frozen=True, tag="member.developed"):
    person: Name
    wealth_leader: bool = False


class PlanSetRecord(Record, frozen=True, tag="plan.set"):
    year: Year
    target: Count


HonourKind = Literal["two_excellent_one_advanced", "other"]
HonourLevel = Literal["township", "county", "city", "province", "national"]


class HonorGrantedRecord(Record, frozen=True, tag="honor.granted"):
    kind: HonourKind
    level: HonourLevel
    recipient: Literal["branch", "secretary"]
    title: Name


class MetricReportedRecord(Record, frozen=True, tag="metric.reported"):
    year: Year
    metric: Name
    value: float


class CriterionAttestedRecord(Record, frozen=True, tag="criterion.attested"):
    year: Year
    criterion: Name
    met: bool
    by: Name


class DesignationGrantedRecord(Record, frozen=True, tag="designation.granted"):
    year: Year
    designation: Name


class DesignationRevokedRecord(Record, frozen=True, tag="designation.revoked"):
    year: Year
    designation: Name


class WeaknessDesignatedRecord(Record, frozen=True, tag="weakness.designated"):
    reason: Text = ""


class WeaknessLiftedRecord(Record, frozen=True, tag="weakness.lifted"):
    reason: Text = ""


class RatingDeclaredRecord(Record, frozen=True, tag="rating.declared"):
    year: Year
    stars: Stars


class RatingRecommendedRecord(Record, frozen=True, tag="rating.recommended"):
    year: Year
    stars: Stars
    by: Literal["township", "county", "city"]


class RatingAwardedRecord(Record, frozen=True, tag="rating.awarded"):
    year: Year
    stars: Stars
    by: Literal["county", "city", "province"]


# ------------------------------------------------------------ working mechanisms (mechanisms.md §1)
# An optional id: "" (none) or the record-id character set.
OptionalId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{0,128}\Z")]
Month = Annotated[str, Meta(pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])\Z")]
Positive = Annotated[int, Meta(ge=1, le=2**53)]
Amount = Annotated[float, Meta(ge=0)]


class ActivityHeldRecord(Record, frozen=True, tag="activity.held"):
    kind: Literal["emergency_drill", "door_knocking"]
    grid: OptionalId = ""


class LinkageReportedRecord(Record, frozen=True, tag="linkage.reported"):
    month: Month
    households: Count
    households_linked: Count
    members: Count
    members_exempt: Count
    members_linking: Count
    members_contacting_weekly: Count


class GridDefinedRecord(Record, frozen=True, tag="grid.defined"):
    grid: RecordId
    households: Count
    head: Name
    full_time_workers: Count


class GridRetiredRecord(Record, frozen=True, tag="grid.retired"):
    grid: RecordId


class PartnerJoinedRecord(Record, frozen=True, tag="partner.joined"):
    partner: RecordId
    unit: Name
    unit_kind: Literal["organ", "enterprise", "institution", "two_new"]


class PartnerLeftRecord(Record, frozen=True, tag="partner.left"):
    partner: RecordId


class CooperativeBoundRecord(Record, frozen=True, tag="cooperative.bound"):
    cooperative: RecordId
    name: Name
    households: Positive
    enterprise: Name = ""


class CooperativeUnboundRecord(Record, frozen=True, tag="cooperative.unbound"):
    cooperative: RecordId


class FacilityReportedRecord(Record, frozen=True, tag="facility.reported"):
    year: Year
    facility: Literal["public_toilets", "service_centre_m2"]
    value: Amount


class StaffingReportedRecord(Record, frozen=True, tag="staffing.reported"):
    year: Year
    workers: Count
    lowest_pay: Amount
    social_insurance: bool
    housing_fund: bool


CaseCategory = Literal[
    "dispute", "petition_risk", "safety_hazard", "emergency", "suspected_crime", "other"
]


class CaseReportedRecord(Record, frozen=True, tag="case.reported"):
    case: RecordId
    category: CaseCategory
    occurred_on: date
    grid: OptionalId = ""
    incident: OptionalId = ""
    summary: Text = ""


class CaseAssignedRecord(Record, frozen=True, tag="case.assigned"):
    case: RecordId
    level: Literal["township", "county"]
    unit: Name
    lead: bool = True


class CaseEscalatedRecord(Record, frozen=True, tag="case.escalated"):
    case: RecordId
    reason: Text = ""


class CaseProgressedRecord(Record, frozen=True, tag="case.progressed"):
    case: RecordId
    note: Text


class CaseResolvedRecord(Record, frozen=True, tag="case.resolved"):
    case: RecordId
    outcome: Text


class CaseVerifiedRecord(Record, frozen=True, tag="case.verified"):
    case: RecordId
    satisfied: bool


class ProblemRegisteredRecord(Record, frozen=True, tag="problem.registered"):
    problem: RecordId
    area: Name
    summary: Text
    deadline: date
    paralysis: bool = False


class ProblemResolvedRecord(Record, frozen=True, tag="problem.resolved"):
    problem: RecordId


Measure = Literal["first_secretary", "work_team", "reorganisation", "street_leader", "work_group"]


class InterventionStartedRecord(Record, frozen=True, tag="intervention.started"):
    intervention: RecordId
    measure: Measure
    people: Annotated[list[Name], Meta(max_length=100)]
    from_unit: Name = ""


class InterventionEndedRecord(Record, frozen=True, tag="intervention.ended"):
    intervention: RecordId
    note: Text = ""


CaseRecord = (
    CaseReportedRecord
    | CaseAssignedRecord
    | CaseEscalatedRecord
    | CaseProgressedRecord
    | CaseResolvedRecord
    | CaseVerifiedRecord
)


AnyRecord = (
    BranchRegisteredRecord
    | SecretaryAppointedRecord
    | IncidentRecordedRecord
    | IncidentRetractedRecord
    | MeetingHeldRecord
    | MemberDevelopedRecord
    | PlanSetRecord
    | HonorGrantedRecord
    | MetricReportedRecord
    | CriterionAttestedRecord
    | DesignationGrantedRecord
    | DesignationRevokedRecord
    | WeaknessDesignatedRecord
    | WeaknessLiftedRecord
    | RatingDeclaredRecord
    | RatingRecommendedRecord
    | RatingAwardedRecord
    | ActivityHeldRecord
    | LinkageReportedRecord
    | GridDefinedRecord
    | GridRetiredRecord
    | PartnerJoinedRecord
    | PartnerLeftRecord
    | CooperativeBoundRecord
    | CooperativeUnboundRecord
    | FacilityReportedRecord
    | StaffingReportedRecord
    | CaseReportedRecord
    | CaseAssignedRecord
    | CaseEscalatedRecord
    | CaseProgressedRecord
    | CaseResolvedRecord
    | CaseVerifiedRecord
    | ProblemRegisteredRecord
    | ProblemResolvedRecord
    | InterventionStartedRecord
    | InterventionEndedRecord
)
RatingRecord = RatingDeclaredRecord | RatingRecommendedRecord | RatingAwardedRecord

_decoder = msgspec.json.Decoder(AnyRecord)
_encoder = msgspec.json.Encoder()


class RecordError(ValueError):
    """A record refused before it reaches the ledger; ``record_id`` is ``-`` when unknown."""

    def __init__(self, record_id: str, reason: str) -> None:
        super().__init__(reason)
        self.record_id = record_id
        self.reason = reason


def type_of(record: Record) -> str:
    """The record's ``type`` tag (``incident.recorded`` ...); looked up by class, as asking
    ``__struct_config__`` builds a new config object on every call."""
    rtype = type(record)
    tag = _TAGS.get(rtype)
    if tag is None:
        tag = _TAGS[rtype] = record.__struct_config__.tag  # type: ignore[assignment]
    return tag  # type: ignore[return-value]


_TAGS: dict[type, str] = {}


def decode_record(raw: bytes | str) -> AnyRecord:
    """Decode one JSON object into a record, or raise ``RecordError`` naming the field."""
    try:
        record = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        if "Expected `int`, got `float`" not in str(exc):
            raise RecordError(_guess_id(raw), f"structural: {_explain(exc)}") from None
        record = _decode_integral(raw, exc)
    except msgspec.DecodeError as exc:
        raise RecordError("-", f"structural: not a JSON object ({exc})") from None
    except RecursionError:  # a line of a thousand '[' is refused, not a crash (ADR 0013)
        raise RecordError("-", "structural: nested too deeply to be a record") from None
    if ("\\u0000" in raw) if isinstance(raw, str) else (b"\\u0000" in raw):
        _refuse_nul(record)  # JSON can only carry a NUL as an escape
    check = _VALUE_CHECKS.get(type(record))  # one look-up: this runs once per imported line
    if check is not None:
        record = check(record)
        if type(record) in _EXACT_FIELDS:
            _refuse_rounded(record, raw)
    return record


# The numbers a decision compares exactly (mechanisms.md §2 "Arithmetic is exact"; rules.md
# thresholds): each is kept as a float and judged as the shortest decimal that float prints as,
# so a number written with more digits than a float keeps would be judged as another number.
_EXACT_FIELDS: dict[type, tuple[str, ...]] = {}
_as_written = msgspec.json.Decoder(float_hook=Decimal)
_LONG_NUMBER = re.compile(rb"\d[\d.]{15}")  # 16 digits or more, the point among them


def _refuse_rounded(record: AnyRecord, raw: bytes | str) -> None:
    """Refuse a number the float would round (``299.99999999999999999`` is kept as 300.0, and
    300 m² would then meet a standard the written figure misses), naming the field (ADR 0041)."""
    if not _LONG_NUMBER.search(raw if isinstance(raw, bytes) else raw.encode()):
        return  # up to 15 digits a decimal survives the float exactly: no second decode
    written = _as_written.decode(raw)
    for name in _EXACT_FIELDS[type(record)]:
        text = written.get(name) if isinstance(written, dict) else None
        if isinstance(text, Decimal) and text != Decimal(repr(getattr(record, name))):
            raise RecordError(
                record.id,
                f"structural: {name}: {text} has more digits than the ledger keeps "
                f"(it would be judged as {getattr(record, name)!r}); decisions compare a "
                "number exactly as written, so write it with at most 17 significant digits "
                "(mechanisms.md §2, ADR 0041)",
            )


def _decode_integral(raw: bytes | str, exc: msgspec.ValidationError) -> AnyRecord:
    """JSON has one number type: ``2024.0`` is the integer 2024 (JSON Schema says so too),
    so a whole number written with a fraction is taken for an integer field. Only a line
    that failed on exactly that takes this slower path."""
    try:  # read as written: 399.99999999999999999 is not a whole number (ADR 0041)
        obj = _as_written.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # valid up to the field, not beyond it
        raise RecordError(_guess_id(raw), f"structural: {_explain(exc)}") from None
    if isinstance(obj, dict):
        obj = {k: _whole_or_float(v) for k, v in obj.items()}
    try:
        return _decoder.decode(_encoder.encode(obj))
    except msgspec.ValidationError:
        raise RecordError(_guess_id(raw), f"structural: {_explain(exc)}") from None


def _whole_or_float(value: Any) -> Any:
    """A number written as a whole number (``2024.0``) as an int, any other as the float it
    was decoded to before; other values as they are."""
    if not isinstance(value, Decimal):
        return value
    if value == value.to_integral_value() and abs(value) <= 2**53:
        return int(value)
    return float(value)


def record_from_object(obj: object) -> AnyRecord:
    """Validate an already-parsed JSON value (HTTP bodies) exactly like an imported line."""
    return decode_record(msgspec.json.encode(obj))


def encode_record(record: Record) -> bytes:
    """Canonical JSON of a record: defaults filled in, numbers normalised by their type."""
    return _encoder.encode(record)


def record_to_dict(record: Record) -> dict[str, object]:
    """The record as interchange JSON with ``type`` first after ``id``."""
    data = msgspec.to_builtins(record)
    out: dict[str, object] = {"id": data.pop("id"), "type": data.pop("type")}
    out.update(data)
    return out


def _refuse_nul(record: AnyRecord) -> None:
    """Text with NUL cannot be stored in PostgreSQL's text columns of the read models."""
    for name in record.__struct_fields__:
        value = getattr(record, name)
        if isinstance(value, str) and "\x00" in value:
            raise RecordError(record.id, f"structural: {name}: contains a NUL character")


def _check_metric(record: MetricReportedRecord) -> MetricReportedRecord:
    """A metric's value: finite, a ratio within 0..1, an income not negative; -0.0 is 0."""
    value = record.value
    if value != value or value in (float("inf"), float("-inf")):
        raise RecordError(record.id, "structural: value: not a finite number")
    if record.metric in RATIO_METRICS and not 0 <= value <= 1:
        raise RecordError(
            record.id, f"structural: value: {record.metric} is a ratio, {value} is outside 0..1"
        )
    if record.metric == "per_capita_income" and value < 0:
        raise RecordError(
            record.id, f"structural: value: per_capita_income cannot be negative ({value})"
        )
    if value == 0:
        return msgspec.structs.replace(record, value=0.0)  # -0.0 is 0 by value
    return record


RATIO_METRICS = frozenset(
    {"sanitary_toilet_ratio", "medical_insurance_rate", "pension_insurance_rate"}
)


def _explain(exc: msgspec.ValidationError) -> str:
    """msgspec says ``... - at `$.year` ``; lead with the field so the reason names it."""
    text = str(exc)
    if " - at `$." in text:
        message, _, path = text.rpartition(" - at `$.")
        return f"{path.rstrip('`')}: {_plainer(message)}"
    return text


def _plainer(message: str) -> str:
    """msgspec's wording where a person would not follow it."""
    if "matching regex" in message and "-(0[1-9]" in message:
        return "must be a month of the form YYYY-MM, in a year of 2000-2100"
    if "matching regex" in message and "{0,128}" in message:
        return "must be empty or 1-128 letters, digits, '.', '_' or '-'"
    if "matching regex" in message and "64}" in message:
        return "must be 1-64 letters, digits, '.', '_' or '-'"
    if "matching regex" in message:
        return "must be 1-128 letters, digits, '.', '_' or '-'"
    if "length <=" in message:
        return message.replace("Expected `str` of length", "text longer than allowed: must be")
    if "RFC3339 encoded date" in message:
        return "not a real date of the form YYYY-MM-DD"
    return message


def _guess_id(raw: bytes | str) -> str:
    """The line's id when it has a valid one, for the refusal message."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack
        return "-"
    if isinstance(obj, dict):
        rid = obj.get("id")
        if isinstance(rid, str) and ID_PATTERN.fullmatch(rid):
            return rid
    return "-"


# --------------------------------------------------- cross-field checks of mechanisms.md §1
PEOPLE = {
    "first_secretary": (1, 1, "exactly 1"),
    "street_leader": (1, 1, "exactly 1"),
    "work_team": (3, None, "3 or more"),
    "reorganisation": (3, 5, "3 to 5"),
    "work_group": (1, None, "1 or more"),
}


def _finite(record: AnyRecord, name: str) -> None:
    value = getattr(record, name)
    if value != value or value == float("inf"):
        raise RecordError(record.id, f"structural: {name}: not a finite number")


def _within(record: AnyRecord, name: str, upper: str) -> None:
    """``name`` may not exceed the field ``upper`` (mechanisms.md §1)."""
    if getattr(record, name) > getattr(record, upper):
        raise RecordError(
            record.id,
            f"structural: {name}: {getattr(record, name)} is more than {upper} "
            f"({getattr(record, upper)}) (mechanisms.md §1)",
        )


def _check_linkage(record: LinkageReportedRecord) -> None:
    _within(record, "households_linked", "households")
    _within(record, "members_exempt", "members")
    _within(record, "members_linking", "members")
    _within(record, "members_contacting_weekly", "members_linking")


def _check_case_report(record: CaseReportedRecord) -> None:
    if record.occurred_on > record.on:
        raise RecordError(
            record.id,
            f"structural: occurred_on: {record.occurred_on} is after the report's on "
            f"({record.on}) (mechanisms.md §1)",
        )


def _check_problem(record: ProblemRegisteredRecord) -> None:
    if record.deadline < record.on:
        raise RecordError(
            record.id,
            f"structural: deadline: {record.deadline} is before the registration's on "
            f"({record.on}) (mechanisms.md §1)",
        )


def _check_intervention(record: InterventionStartedRecord) -> None:
    low, high, text = PEOPLE[record.measure]
    count = len(record.people)
    if count < low or (high is not None and count > high):
        raise RecordError(
            record.id,
            f"structural: people: {record.measure} takes {text} people, "
            f"{count} given (mechanisms.md §1)",
        )


def _returning(check: Callable[[Any], None]) -> Callable[[Any], Any]:
    """A check that raises or passes, as a check that returns the record it passed."""

    def checked(record: Any) -> Any:
        check(record)
        return record

    return checked


# Checks msgspec's type constraints cannot express, by record class (``decode_record``):
# each raises ``RecordError`` or returns the record as it is kept.
_VALUE_CHECKS: dict[type, Callable[[Any], Any]] = {
    MetricReportedRecord: _check_metric,
    LinkageReportedRecord: _returning(_check_linkage),
    CaseReportedRecord: _returning(_check_case_report),
    ProblemRegisteredRecord: _returning(_check_problem),
    InterventionStartedRecord: _returning(_check_intervention),
    FacilityReportedRecord: _returning(lambda rec: _finite(rec, "value")),
    StaffingReportedRecord: _returning(lambda rec: _finite(rec, "lowest_pay")),
}
_EXACT_FIELDS.update(
    {
        MetricReportedRecord: ("value",),
        FacilityReportedRecord: ("value",),
        StaffingReportedRecord: ("lowest_pay",),
    }
)
