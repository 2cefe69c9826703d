"""Encoded answers of the list endpoints, kept per (query, read-model position).

Why: a county's whole year (``/eligibility``, ``/compliance``, ``/cases``) is hundreds of
branches decoded from the read models, judged and encoded again: tens of milliseconds of
one worker's time per request. Under 16 concurrent clients every other request queues
behind them, so their tail was several times a trivial endpoint's (issue 15). The read
models change only when their position moves, so the bytes answered at one position are the
exact answer for every request at that position: a repeat costs one position query and a
dictionary look-up. Each answer is also kept gzip-compressed (a county list of a 1,500-branch
city is about 1 MB of JSON and a tenth of that compressed): a client that accepts gzip is
sent the compressed bytes, which is most of what a repeat still cost under load.

Exactness: the position is read before the answer is computed, and the answer is kept only
if the position has not moved by the time it is encoded (so the bytes belong to that
position); when a request sees a new position every older entry is dropped. Anything else an
answer depends on (the query, the token's jurisdiction, the business date, the case limits
file) is part of the key. Replays (``as_of``/``position``) are never cached. Each
``FiveStar`` (each server process) has its own cache: processes share nothing but the store.
"""

from __future__ import annotations

import gzip
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import parse_qs

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from api.exports import wanted_format
from domain.application.service import FiveStar

MAX_BYTES = 64 * 1024 * 1024  # per process: a few hundred county lists of a large city


class Answer:
    """One encoded answer: the JSON and its gzip compression."""

    __slots__ = ("gzipped", "json")

    def __init__(self, json: bytes, gzipped: bytes) -> None:
        self.json, self.gzipped = json, gzipped

    @classmethod
    def of(cls, json: bytes) -> Answer:
        return cls(json, gzip.compress(json, compresslevel=5, mtime=0))

    @property
    def size(self) -> int:
        return len(self.json) + len(self.gzipped)


class AnswerCache:
    """Encoded JSON answers of one read-model position, least recently used dropped first."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._position: int | None = None
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0
        self._flights: dict[tuple[int, Hashable], threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def _lookup(self, position: int, key: Hashable) -> Answer | None:
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

    def _keep(self, position: int, key: Hashable, body: Answer) -> None:
        with self._lock:
            if position != self._position or body.size > self.max_bytes:
                return
            if key in self._entries:
                return
            self._entries[key] = body
            self._bytes += body.size
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def answer(self, svc: FiveStar, key: Hashable, compute: Callable[[], Any]) -> Answer:
        """The JSON of ``compute()`` at the read models' current position.

        One request computes a missing answer; the others asking for it at the same moment
        wait for it instead of computing it again (a cold county list under 16 clients
        would otherwise be decoded 16 times at once)."""
        position = read_position(svc)
        body = self._lookup(position, key)
        if body is not None:
            self.hits += 1
            return body
        with self._lock:
            flight = self._flights.get((position, key))
            leader = flight is None
            if leader:
                flight = self._flights[(position, key)] = threading.Lock()
                flight.acquire()
        assert flight is not None
        if not leader:
            flight.acquire()  # released when the leader has kept (or failed to keep) it
            flight.release()
            body = self._lookup(position, key)
            if body is not None:
                self.hits += 1
                return body
        self.misses += 1
        try:
            body = Answer.of(encode_json(compute()))
            if read_position(svc) == position:  # nothing moved while it was computed
                self._keep(position, key, body)
        finally:
            if leader:
                with self._lock:
                    del self._flights[(position, key)]
                flight.release()
        return body


def read_position(svc: FiveStar) -> int:
    """``svc.position()`` (the position every read model reflects) in one statement: it asks
    each read model's tracking row in its own transaction, four transactions of three round
    trips each on PostgreSQL, and a cached answer costs little else (``ViewStore.query``
    reads without a transaction of its own)."""
    views = svc.views
    names = [views.tracking_name(model.name) for model in views.read_models]
    sql = (
        f"SELECT application_name AS name, MAX(notification_id) AS n "
        f"FROM {views.tracking_table} WHERE application_name IN ({', '.join('?' * len(names))}) "
        "GROUP BY application_name"
    )
    rows = views.query(sql, names)
    found = {row["name"]: row["n"] for row in rows}
    return min((found.get(name) or 0 for name in names), default=0)


_caches: weakref.WeakKeyDictionary[FiveStar, AnswerCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def answers(svc: FiveStar) -> AnswerCache:
    """The answer cache of this service (one per ``FiveStar``, so per server process)."""
    with _caches_lock:
        cache = _caches.get(svc)
        if cache is None:
            cache = _caches[svc] = AnswerCache()
        return cache


def cached_json(
    svc: FiveStar, key: Hashable, compute: Callable[[], Any], request: Request[Any, Any, Any]
) -> Response[bytes]:
    """A 200 JSON response with the answer of ``key`` at the current position, compressed
    when the client accepts gzip and no spreadsheet export (``ExportMiddleware``, which reads
    the JSON) was asked for."""
    body = answers(svc).answer(svc, key, compute)
    headers = {"Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "") and not _export(request):
        headers["Content-Encoding"] = "gzip"
        return Response(content=body.gzipped, media_type=MediaType.JSON, headers=headers)
    return Response(content=body.json, media_type=MediaType.JSON, headers=headers)


def _export(request: Request[Any, Any, Any]) -> bool:
    query = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
    try:
        return wanted_format(query, request.headers.get("accept", "")) is not None
    except ValueError:  # refused by ExportMiddleware before it gets here
        return True
