"""msgspec encoding of events in place of the library's JSON transcoder (ADR 0002).

The event Struct is encoded whole with msgspec and decoded by its topic into the same class.
This bypasses the library's ``class_version`` upcasting: event schema changes are handled
by adding optional fields with defaults (msgspec fills them when decoding old events).

A stored topic is looked up in an allow-list of the product's own classes, never imported by
name: a row whose topic names another module (``antigravity:geohash``) is an
``UnknownTopic``, not an import (ADR 0016).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, register_topic

from domain.application.ledger_tree import LeafedEvent, entry_of_event
from domain.model import events as _events
from domain.model import merkle
from domain.model.branch import BranchSnapshot

# Events were stored under the module ``domain.events`` before the model moved to
# ``domain.model.events``: old ledgers keep decoding.
register_topic("domain.events", _events)

_encoder = msgspec.json.Encoder()


class CorruptEvent(ValueError):
    """A stored event that cannot be decoded: tampered with, or written by something else."""


class UnknownTopic(CorruptEvent):
    """A stored event whose topic is not one of the product's event classes."""


def _allowed() -> dict[str, type]:
    """Topic -> class for every class the ledger stores, under the current module and the
    legacy ``domain.events`` one."""
    classes: list[type] = [
        *_events.EVENT_FOR_RECORD.values(),
        _events.RulebookAdopted,
        BranchSnapshot,
    ]
    allowed = {get_topic(cls): cls for cls in classes}
    allowed.update(
        {f"domain.events:{cls.__name__}": cls for cls in classes if cls is not BranchSnapshot}
    )
    return allowed


ALLOWED_TOPICS = _allowed()


@cache
def _decoder(topic: str) -> msgspec.json.Decoder[Any]:
    cls = ALLOWED_TOPICS.get(topic)
    if cls is None:
        raise UnknownTopic(f"topic {topic[:80]!r} is not an event class of this ledger")
    return msgspec.json.Decoder(cls)


def event_decoder(topic: str) -> msgspec.json.Decoder[Any]:
    """The decoder of a stored topic's class (``UnknownTopic`` if not the ledger's)."""
    return _decoder(topic)


@cache
def _topic(cls: type) -> str:
    return get_topic(cls)


def decode_event(topic: str, state: bytes) -> Any:
    """An event from its stored topic and state (the projection's fast path)."""
    decoder = _decoder(topic)
    try:
        return decoder.decode(state)
    except msgspec.DecodeError as exc:
        raise CorruptEvent(f"{topic.rpartition(':')[2]} cannot be decoded: {exc}") from None


class MsgspecMapper(Mapper):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=_topic(type(domain_event)),  # type: ignore[arg-type]
            state=_encoder.encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        try:
            return decode_event(stored_event.topic, stored_event.state)
        except CorruptEvent as exc:
            raise CorruptEvent(
                f"the stored event version {stored_event.originator_version} of stream "
                f"{stored_event.originator_id} is damaged ({exc}); run `fivestar verify`"
            ) from None


def stored_with_leaf(event: _events.BranchEvent, leaf: bytes | None = None) -> LeafedEvent:
    """``MsgspecMapper.to_stored_event`` of a branch event, with its Merkle leaf computed
    from the event itself (the write path; the leaf is the one ``entry_of`` gives the
    stored state, without decoding it back), or ``leaf`` if it was computed already."""
    return LeafedEvent(*_with_leaf(event, event.originator_id, leaf))


def wire_with_leaf(
    event: _events.BranchEvent, leaf: bytes | None = None
) -> tuple[str, int, str, bytes, str, bytes]:
    """``stored_with_leaf`` as a plain tuple, the stream id as hex: what an import hands its
    writer process (``import_writer.Message``)."""
    return _with_leaf(event, event.originator_id.hex, leaf)


def leaf_of_event(event: _events.BranchEvent) -> bytes:
    """The leaf hash the event will be stored with (``_with_leaf``'s)."""
    return merkle.leaf_hash(entry_of_event(event)[1])


def _with_leaf(
    event: _events.BranchEvent, stream: Any, leaf: bytes | None
) -> tuple[Any, int, str, bytes, str, bytes]:
    if leaf is None:
        branch, entry = entry_of_event(event)
        leaf = merkle.leaf_hash(entry)
    else:
        branch = event.record.branch
    return (
        stream,
        event.originator_version,
        _topic(type(event)),
        _encoder.encode(event),
        branch,
        leaf,
    )


class NullTranscoder(Transcoder):
    """The mapper encodes by itself; the application still wants a transcoder object."""

    def encode(self, obj: Any) -> bytes:
        return b""

    def decode(self, data: bytes) -> Any:
        return None


MAPPER_ENV = {
    "MAPPER_TOPIC": get_topic(MsgspecMapper),
    "TRANSCODER_TOPIC": get_topic(NullTranscoder),
}
