"""Encoded answers of the list endpoints, kept per (query, read-model position).

Why: a county's whole year (``/eligibility``, ``/compliance``, ``/cases``) is hundreds of
branches decoded from the read models, judged and encoded again: tens of milliseconds of
one worker's time per request. Under 16 concurrent clients every other request queues
behind them, so their tail was several times a trivial endpoint's (issue 15). The read
models change only when their position moves, so the bytes answered at one position are the
exact answer for every request at that position: a repeat costs one position query and a
dictionary look-up.

Exactness: the position is read before the answer is computed, and the answer is kept only
if the position has not moved by the time it is encoded (so the bytes belong to that
position); when a request sees a new position every older entry is dropped. Anything else an
answer depends on (the query, the token's jurisdiction, the business date, the case limits
file) is part of the key. Replays (``as_of``/``position``) are never cached. Each
``FiveStar`` (each server process) has its own cache: processes share nothing but the store.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from litestar import Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from domain.application.service import FiveStar

MAX_BYTES = 64 * 1024 * 1024  # per process: a few hundred county lists of a large city


class AnswerCache:
    """Encoded JSON answers of one read-model position, least recently used dropped first."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._position: int | None = None
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def _lookup(self, position: int, key: Hashable) -> bytes | None:
        with self._lock:
            if position != self._position:  # the read models moved: older answers are gone
                self._entries.clear()
                self._bytes = 0
                self._position = position
                return None
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def _keep(self, position: int, key: Hashable, body: bytes) -> None:
        with self._lock:
            if position != self._position or len(body) > self.max_bytes:
                return
            if key in self._entries:
                return
            self._entries[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def answer(self, svc: FiveStar, key: Hashable, compute: Callable[[], Any]) -> bytes:
        """The JSON of ``compute()`` at the read models' current position."""
        position = svc.position()
        body = self._lookup(position, key)
        if body is not None:
            self.hits += 1
            return body
        self.misses += 1
        body = encode_json(compute())
        if svc.position() == position:  # nothing moved while it was computed
            self._keep(position, key, body)
        return body


_caches: weakref.WeakKeyDictionary[FiveStar, AnswerCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def answers(svc: FiveStar) -> AnswerCache:
    """The answer cache of this service (one per ``FiveStar``, so per server process)."""
    with _caches_lock:
        cache = _caches.get(svc)
        if cache is None:
            cache = _caches[svc] = AnswerCache()
        return cache


def cached_json(svc: FiveStar, key: Hashable, compute: Callable[[], Any]) -> Response[bytes]:
    """A 200 JSON response with the answer of ``key`` at the current position."""
    return Response(content=answers(svc).answer(svc, key, compute), media_type=MediaType.JSON)
