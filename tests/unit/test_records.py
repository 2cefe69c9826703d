"""Decoding one interchange line (interchange.md): the structural refusals that need no kind.

``decode_record`` either returns the record, defaults filled in, or raises ``RecordError``
whose ``record_id`` is the line's id (``-`` when it has no valid one) and whose reason is
``structural: ...`` naming the field at fault.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from domain.model import records as r
from domain.model.records import RecordError, decode_record, encode_record, record_from_object

# One valid line of every record type (interchange.md, "Record types").
VALID: dict[str, dict[str, Any]] = {
    "branch.registered": {
        "name": "柳格村",
        "kind": "village",
        "county": "清丰县",
        "township": "柳格镇",
        "households": 500,
        "population": 1800,
    },
    "branch.secretary_appointed": {"person": "张三", "civil_servant": False},
    "incident.recorded": {"category": "gambling", "note": "聚众赌博"},
    "incident.retracted": {"ref": "r-1", "reason": "误报"},
    "meeting.held": {"kind": "theme_day"},
    "member.developed": {"person": "李四", "wealth_leader": True},
    "plan.set": {"year": 2024, "target": 2},
    "honor.granted": {
        "kind": "two_excellent_one_advanced",
        "level": "county",
        "recipient": "branch",
        "title": "先进基层党组织",
    },
    "metric.reported": {"year": 2024, "metric": "collective_income", "value": 120000},
    "criterion.attested": {
        "year": 2024,
        "criterion": "village_clean",
        "met": True,
        "by": "乡镇党委",
    },
    "designation.granted": {"year": 2024, "designation": "three_zero"},
    "designation.revoked": {"year": 2024, "designation": "three_zero"},
    "weakness.designated": {"reason": "班子不团结"},
    "weakness.lifted": {"reason": "整顿完成"},
    "rating.declared": {"year": 2024, "stars": ["industry_thriving"]},
    "rating.recommended": {"year": 2024, "stars": ["industry_thriving"], "by": "township"},
    "rating.awarded": {"year": 2024, "stars": ["industry_thriving"], "by": "county"},
}
OPTIONAL: dict[str, dict[str, Any]] = {
    "incident.recorded": {"note": ""},
    "member.developed": {"wealth_leader": False},
    "weakness.designated": {"reason": ""},
    "weakness.lifted": {"reason": ""},
}
COMMON = ("id", "type", "branch", "on")


def obj(type_: str = "plan.set", **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "r-0001", "type": type_, "branch": "V0001", "on": "2024-03-01"}
    out.update(VALID[type_])
    for key, value in changes.items():
        if value is DROP:
            out.pop(key)
        else:
            out[key] = value
    return out


DROP = object()


def line(type_: str = "plan.set", **changes: Any) -> str:
    return json.dumps(obj(type_, **changes), ensure_ascii=False)


def names(err: RecordError, field: str) -> bool:
    """The reason names ``field`` as a word (``year: ...`` or ``... field `year` ``)."""
    return (
        re.search(rf"(?<![A-Za-z0-9_.]){re.escape(field)}(?![A-Za-z0-9_])", err.reason) is not None
    )


def refusal(raw: str | bytes) -> RecordError:
    with pytest.raises(RecordError) as info:
        decode_record(raw)
    assert info.value.reason.startswith("structural:"), info.value.reason
    return info.value


# ------------------------------------------------------------------ the valid baseline
@pytest.mark.parametrize("type_", sorted(VALID))
def test_every_record_type_decodes(type_: str) -> None:
    record = decode_record(line(type_))
    assert r.type_of(record) == type_
    assert (record.id, record.branch, record.on) == ("r-0001", "V0001", date(2024, 3, 1))
    for field, value in VALID[type_].items():
        assert getattr(record, field) == value
    # bytes decode the same as text, and the dict form round-trips
    assert decode_record(line(type_).encode()) == record
    assert r.record_to_dict(record) == obj(type_)


# ------------------------------------------------------------- not a JSON object at all
@pytest.mark.parametrize(
    "raw",
    [
        '[{"id": "r-1", "type": "meeting.held"}]',  # an array
        '{"id": "r-1", "type": "meeting.held", "branch": "V1", "on": "2024-01-0',  # truncated
        "42",  # a number
        '"meeting.held"',  # a string
        "null",
        "true",
        "not json at all",
        "",
    ],
    ids=["array", "truncated", "number", "string", "null", "bool", "garbage", "empty"],
)
def test_a_line_that_is_not_a_json_object_is_refused_without_an_id(raw: str) -> None:
    err = refusal(raw)
    assert err.record_id == "-"


def test_a_json_array_of_valid_records_is_not_a_record() -> None:
    err = refusal(json.dumps([obj("meeting.held")]))
    assert err.record_id == "-"
    assert names(err, "object"), err.reason


# ------------------------------------------------------------------ fields and types
@pytest.mark.parametrize(
    ("type_", "field"),
    [
        (t, f)
        for t in sorted(VALID)
        for f in (*COMMON[1:], *VALID[t])
        if f not in OPTIONAL.get(t, {})
    ],
)
def test_a_missing_required_field_is_refused_naming_it(type_: str, field: str) -> None:
    err = refusal(line(type_, **{field: DROP}))
    assert err.record_id == "r-0001"
    assert names(err, field), err.reason


def test_a_missing_id_is_refused_with_a_dash() -> None:
    err = refusal(line("meeting.held", id=DROP))
    assert err.record_id == "-"
    assert "`id`" in err.reason


@pytest.mark.parametrize("type_", ["meeting.held", "plan.set", "rating.declared"])
@pytest.mark.parametrize("field", ["colour", "ID", "year_", "note"])
def test_an_unknown_field_is_refused_naming_it(type_: str, field: str) -> None:
    err = refusal(line(type_, **{field: 1}))
    assert err.record_id == "r-0001"
    assert names(err, field), err.reason


def test_a_field_of_another_type_is_unknown() -> None:
    """``year`` belongs to plan.set, not to meeting.held."""
    err = refusal(line("meeting.held", year=2024))
    assert names(err, "year"), err.reason


@pytest.mark.parametrize(
    "bad_type", ["plan.nope", "Meeting.held", "meeting", "", "rulebook.adopted"]
)
def test_an_unknown_type_is_refused(bad_type: str) -> None:
    err = refusal(line("meeting.held", type=bad_type))
    assert err.record_id == "r-0001"
    assert names(err, "type"), err.reason


@pytest.mark.parametrize(
    ("type_", "field", "value"),
    [
        ("plan.set", "year", "2024"),  # a string year
        ("plan.set", "year", True),  # bool where int
        ("plan.set", "year", 2024.5),
        ("plan.set", "target", True),
        ("plan.set", "target", "1"),
        ("plan.set", "target", None),
        ("branch.registered", "households", False),
        ("branch.registered", "population", "1800"),
        ("branch.registered", "kind", "town"),
        ("branch.registered", "name", 7),
        ("branch.secretary_appointed", "civil_servant", 1),
        ("branch.secretary_appointed", "civil_servant", "yes"),
        ("member.developed", "wealth_leader", 0),
        ("incident.recorded", "note", None),
        ("incident.recorded", "category", ["gambling"]),
        ("metric.reported", "value", "120000"),
        ("metric.reported", "value", True),
        ("metric.reported", "value", None),
        ("criterion.attested", "met", "true"),
        ("meeting.held", "kind", "party_meeting"),
        ("honor.granted", "level", "village"),
        ("honor.granted", "recipient", "member"),
        ("rating.declared", "stars", "industry_thriving"),
        ("rating.declared", "stars", [1, 2]),
        ("rating.recommended", "by", "province"),
        ("rating.awarded", "by", "township"),
        ("meeting.held", "on", 20240301),
        ("meeting.held", "branch", 1),
        ("meeting.held", "type", None),
    ],
)
def test_a_wrong_type_is_refused_naming_the_field(type_: str, field: str, value: Any) -> None:
    err = refusal(line(type_, **{field: value}))
    assert err.record_id == "r-0001"
    assert names(err, field), err.reason


def test_a_number_id_is_a_wrong_type_and_no_valid_id() -> None:
    err = refusal(line("meeting.held", id=17))
    assert err.record_id == "-"
    assert names(err, "id"), err.reason


# ------------------------------------------------------------------------ identifiers
@pytest.mark.parametrize(
    "rid",
    [
        "",
        "a b",
        "r/1",
        "r:1",
        "记录1",
        "é1",
        "r#1",
        "r\t1",
        "a1\r\n",
        "\na1",
        "x" * 129,
        "r,1",
        "'r1'",
    ],
    ids=lambda v: repr(v)[:20],
)
def test_an_id_outside_the_character_set_or_too_long_is_refused(rid: str) -> None:
    err = refusal(line("meeting.held", id=rid))
    assert err.record_id == "-"
    assert names(err, "id"), err.reason


def test_an_id_with_a_trailing_newline_is_refused() -> None:
    """Regression: a ``$``-anchored pattern matches before a trailing newline."""
    err = refusal(line("meeting.held", id="a1\n"))
    assert err.record_id == "-"


@pytest.mark.parametrize("rid", ["a", "Z", "0", "r-0001", "2024.V1_x-9", "x" * 128, "._-"])
def test_ids_inside_the_character_set_are_accepted(rid: str) -> None:
    assert decode_record(line("meeting.held", id=rid)).id == rid


def test_a_retraction_ref_obeys_the_id_rules() -> None:
    err = refusal(line("incident.retracted", ref="bad ref"))
    assert err.record_id == "r-0001"
    assert names(err, "ref"), err.reason


@pytest.mark.parametrize(
    ("branch", "ok"),
    [
        ("V", True),
        ("B" * 64, True),
        ("V-1.a_b", True),
        ("村" * 3, False),
        ("V/1", False),
        ("V\n1", False),
        ("", False),
        ("B" * 65, False),
    ],
    ids=["one", "64-ascii", "id-charset", "cjk", "slash", "control", "empty", "65"],
)
def test_branch_is_1_to_64_record_id_characters(branch: str, ok: bool) -> None:
    if ok:
        assert decode_record(line("meeting.held", branch=branch)).branch == branch
    else:
        err = refusal(line("meeting.held", branch=branch))
        assert err.record_id == "r-0001"
        assert names(err, "branch"), err.reason


# ------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    "on",
    [
        "2023-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-1-5",
        "24-01-05",
        "2024/01/05",
        "2024-01-05T00:00:00",
        "tomorrow",
    ],
)
def test_a_date_that_does_not_exist_or_is_not_yyyy_mm_dd_is_refused(on: str) -> None:
    err = refusal(line("meeting.held", on=on))
    assert err.record_id == "r-0001"
    assert names(err, "on"), err.reason


def test_a_leap_day_exists() -> None:
    assert decode_record(line("meeting.held", on="2024-02-29")).on == date(2024, 2, 29)


# ------------------------------------------------------------------------------ years
YEAR_TYPES = [t for t in sorted(VALID) if "year" in VALID[t]]


@pytest.mark.parametrize("type_", YEAR_TYPES)
@pytest.mark.parametrize("year", [1999, 2101, 0, -2024, 20240])
def test_a_year_outside_2000_2100_is_refused(type_: str, year: int) -> None:
    err = refusal(line(type_, year=year))
    assert err.record_id == "r-0001"
    assert names(err, "year"), err.reason


@pytest.mark.parametrize("type_", YEAR_TYPES)
@pytest.mark.parametrize("year", [2000, 2100])
def test_the_bounds_of_the_year_range_are_accepted(type_: str, year: int) -> None:
    assert decode_record(line(type_, year=year)).year == year


# --------------------------------------------------------------------- ranges of values
RATIOS = ["sanitary_toilet_ratio", "medical_insurance_rate", "pension_insurance_rate"]


@pytest.mark.parametrize("metric", RATIOS)
@pytest.mark.parametrize("value", [1.01, -0.01, 2, -1, 80])
def test_a_ratio_outside_0_1_is_refused(metric: str, value: float) -> None:
    err = refusal(line("metric.reported", metric=metric, value=value))
    assert err.record_id == "r-0001"
    assert names(err, "value"), err.reason
    assert names(err, metric), err.reason


@pytest.mark.parametrize("metric", RATIOS)
@pytest.mark.parametrize("value", [0, 1, 0.8, 1.0, 0.0])
def test_a_ratio_inside_0_1_is_accepted(metric: str, value: float) -> None:
    assert decode_record(line("metric.reported", metric=metric, value=value)).value == value


@pytest.mark.parametrize("value", [-1, -0.01, -120000])
def test_a_negative_per_capita_income_is_refused(value: float) -> None:
    err = refusal(line("metric.reported", metric="per_capita_income", value=value))
    assert names(err, "value"), err.reason
    assert names(err, "per_capita_income"), err.reason


def test_collective_income_may_be_negative() -> None:
    record = decode_record(line("metric.reported", metric="collective_income", value=-35000))
    assert record.value == -35000


def test_a_non_finite_value_is_refused() -> None:
    raw = line("metric.reported").replace("120000", "1e400")
    err = refusal(raw)
    assert names(err, "value"), err.reason


@pytest.mark.parametrize(
    ("type_", "field"),
    [
        ("branch.registered", "households"),
        ("branch.registered", "population"),
        ("plan.set", "target"),
    ],
)
def test_a_negative_count_is_refused(type_: str, field: str) -> None:
    err = refusal(line(type_, **{field: -1}))
    assert err.record_id == "r-0001"
    assert names(err, field), err.reason
    assert decode_record(line(type_, **{field: 0}))  # zero is allowed


# ---------------------------------------------------------------------------- defaults
@pytest.mark.parametrize("type_", sorted(OPTIONAL))
def test_omitted_optional_fields_take_their_defaults(type_: str) -> None:
    fields = {name: DROP for name in OPTIONAL[type_]}
    record = decode_record(line(type_, **fields))
    for name, default in OPTIONAL[type_].items():
        assert getattr(record, name) == default
    given = decode_record(line(type_, **OPTIONAL[type_]))
    assert record == given
    assert encode_record(record) == encode_record(given)
    assert r.record_to_dict(record)[next(iter(OPTIONAL[type_]))] == next(
        iter(OPTIONAL[type_].values())
    )


def test_a_retraction_reason_is_required() -> None:
    """``reason`` has a default for weakness records only (interchange.md)."""
    err = refusal(line("incident.retracted", reason=DROP))
    assert names(err, "reason"), err.reason


# --------------------------------------------------------------------- numbers by value
def test_1_and_1_0_give_equal_records() -> None:
    one = decode_record(line("metric.reported", value=1))
    one_float = decode_record(line("metric.reported", value=1.0))
    assert one == one_float
    assert encode_record(one) == encode_record(one_float)
    assert decode_record(line("metric.reported", value=1)) != decode_record(
        line("metric.reported", value=2)
    )


def test_minus_zero_and_zero_give_equal_records() -> None:
    zero = decode_record(line("metric.reported", value=0))
    minus_zero = decode_record(line("metric.reported").replace("120000", "-0.0"))
    assert zero == minus_zero
    assert encode_record(zero) == encode_record(minus_zero)


def test_key_order_and_escapes_do_not_change_the_record() -> None:
    a = obj("incident.recorded", note="赌博")
    reordered = json.dumps(dict(reversed(list(a.items()))), ensure_ascii=True)
    assert decode_record(reordered) == decode_record(json.dumps(a, ensure_ascii=False))


def test_record_from_object_validates_like_a_line() -> None:
    assert record_from_object(obj("plan.set")) == decode_record(line("plan.set"))
    with pytest.raises(RecordError) as info:
        record_from_object(obj("plan.set", year="2024"))
    assert "year" in info.value.reason
    with pytest.raises(RecordError) as info:
        record_from_object([obj("plan.set")])
    assert info.value.record_id == "-"


def test_whole_numbers_written_as_floats_are_integers() -> None:
    """JSON has one number type: 2024.0 is the integer 2024 (ADR 0013); 2024.5 is not."""
    import pytest as _pytest

    from domain.model import records as _r

    line = (
        b'{"id":"p1","type":"plan.set","branch":"V1","on":"2024-01-02","year":2024.0,"target":3.0}'
    )
    record = _r.decode_record(line)
    assert (record.year, record.target) == (2024, 3)
    with _pytest.raises(_r.RecordError, match="year"):
        _r.decode_record(line.replace(b"2024.0", b"2024.5"))
    with _pytest.raises(_r.RecordError, match="structural"):
        _r.decode_record(line[:-1] + b", 1} trailing")
