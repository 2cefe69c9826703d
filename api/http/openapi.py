"""What the generated OpenAPI document cannot say by itself (ADR 0013): request bodies that
refuse unknown fields, and the star ids a rating record may name (data of the rulebooks).

Litestar documents msgspec request bodies without ``additionalProperties: false`` although
they are decoded with ``forbid_unknown_fields``; schemathesis then sends extra fields the
server rightly refuses. These functions amend the document as it is rendered."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from api.http import schemas
from api.http.controllers.common import MAX_POSITION
from domain.model.rulebook import RulebookError, available_rulebooks, load_rulebook

NON_NEGATIVE = frozenset({"position", "min_position", "offset", "size", "to"})
RATING_RECORDS = ("RatingDeclaredRecord", "RatingRecommendedRecord", "RatingAwardedRecord")


def _closed_bodies() -> list[str]:
    """The request bodies decoded with ``forbid_unknown_fields``."""
    return [cls.__name__ for cls in schemas._Body.__subclasses__()]


def amend_document(schema: dict[str, Any]) -> None:
    """Everything this module adds (the records body is documented by the app)."""
    document_bodies(schema)
    document_parameters(schema)


def document_parameters(schema: dict[str, Any]) -> None:
    """``as_of`` is a date-time (the server also takes a bare date, or no zone for UTC)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                name, kept = parameter.get("name"), parameter.get("schema", {})
                if name == "as_of":
                    parameter["schema"] = {"type": "string", "format": "date-time", "maxLength": 64}
                elif name == "star" and kept.get("type") != "array":
                    parameter["schema"] = {"type": "string", "enum": all_stars()}
                elif name == "requirement":
                    parameter["schema"] = {"type": "string", "enum": requirement_ids()}
                elif name in NON_NEGATIVE:  # Litestar drops ``ge=0`` (a falsy bound) ...
                    kept.setdefault("minimum", 0)
                    kept.setdefault("maximum", MAX_POSITION)  # ... and a required int's ``le``
                elif name == "idle":  # seconds, ``ge=0`` dropped likewise
                    kept.setdefault("minimum", 0)
                elif name == "type" and "pattern" in kept:  # the feed's record types
                    kept["pattern"] = record_types_pattern()


def document_bodies(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    for name in _closed_bodies():
        for key, body in components.items():
            if key == name or key.endswith(f"_{name}") or key.endswith(f".{name}"):
                body["additionalProperties"] = False
                if name == "RecomputeRequest":
                    body["allOf"] = [ADOPTION_NEEDS_A_REASON, *rulebook_years()]


# ``adopt: true`` needs a reason that is not blank (who adopts is recorded, and why).
ADOPTION_NEEDS_A_REASON = {
    "if": {"properties": {"adopt": {"const": True}}, "required": ["adopt"]},
    "then": {
        "properties": {"reason": {"type": "string", "pattern": "\\S", "maxLength": 2000}},
        "required": ["reason"],
    },
}


@cache
def record_types_pattern() -> str:
    """``?type=``: a comma-separated list of known record types (others are refused)."""
    from api.http.controllers.ledger import known_types

    one = "|".join(re.escape(t) for t in sorted(known_types()))
    return f"^({one})(,({one}))*$"


def rulebook_years() -> list[dict[str, Any]]:
    """A rulebook is adopted for rating years from its ``applies_from`` on (a dry run may
    ask about any year)."""
    out = []
    for book_id in available_rulebooks():
        try:
            first = load_rulebook(book_id).applies_from
        except RulebookError:
            continue
        out.append(
            {
                "if": {
                    "properties": {"rulebook": {"const": book_id}, "adopt": {"const": True}},
                    "required": ["rulebook", "adopt"],
                },
                "then": {"properties": {"year": {"minimum": first}}},
            }
        )
    return out


@cache
def star_ids() -> list[str]:
    """Every star id of every rulebook shipped (a rating names stars of its branch's kind)."""
    ids: set[str] = set()
    for book_id in available_rulebooks():
        try:
            book = load_rulebook(book_id)
        except RulebookError:
            continue
        for kind in book.kinds:
            ids.update(book.star_ids(kind))
    return sorted(ids)


def document_records(components: dict[str, Any]) -> None:
    """Stars are an enum of the rulebooks' star ids; text holds no NUL (PostgreSQL text
    cannot store it, and ``domain.model.records`` refuses it)."""
    records = [c for name, c in components.items() if name.endswith("Record")]
    for component in records:
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string" and "pattern" not in prop and "format" not in prop:
                prop["pattern"] = "^[^\\u0000]*$"
    for name in RATING_RECORDS:
        stars = components.get(name, {}).get("properties", {}).get("stars")
        if stars is not None:
            stars["items"] = {"enum": star_ids()}


@cache
def all_stars() -> list[str]:
    """Every star id of either kind in any rulebook (what ``?star=`` accepts)."""
    from domain.model.rulebook import KINDS
    from domain.model.vocabulary import vocabulary

    return list(dict.fromkeys(star for kind in KINDS for star in vocabulary(kind).stars))


def requirement_ids() -> list[str]:
    """The compliance requirements of mechanisms.md §2 (what ``?requirement=`` accepts)."""
    from domain.model.compliance import REQUIREMENTS

    return [requirement[0] for requirement in REQUIREMENTS]
