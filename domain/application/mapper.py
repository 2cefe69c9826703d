"""msgspec encoding of events in place of the library's JSON transcoder (ADR 0002).

The event Struct is encoded whole with msgspec and decoded by its topic into the same class.
This bypasses the library's ``class_version`` upcasting: event schema changes are handled
by adding optional fields with defaults (msgspec fills them when decoding old events).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, register_topic, resolve_topic

from domain.model import events as _events

# Events were stored under the module ``domain.events`` before the model moved to
# ``domain.model.events``: old ledgers keep decoding.
register_topic("domain.events", _events)

_encoder = msgspec.json.Encoder()


@cache
def _decoder(topic: str) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(resolve_topic(topic))


@cache
def _topic(cls: type) -> str:
    return get_topic(cls)


def decode_event(topic: str, state: bytes) -> Any:
    """An event from its stored topic and state (the projection's fast path)."""
    return _decoder(topic).decode(state)


class MsgspecMapper(Mapper):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=_topic(type(domain_event)),  # type: ignore[arg-type]
            state=_encoder.encode(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return _decoder(stored_event.topic).decode(stored_event.state)


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
