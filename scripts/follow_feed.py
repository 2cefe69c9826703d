#!/usr/bin/env python3
"""Follow the fivestar event feed and keep your place: an example backend consumer.

    python3 follow_feed.py --url http://127.0.0.1:8000 --token TOKEN --state feed.pos \
        [--type meeting.held,rating.awarded] [--county 清丰县] [--once]

Standard library only. It asks ``GET /events?after=P`` for the events after the position it
last handled, hands each to ``handle()`` (here: print one line; put your own copy-keeping
there), and writes the feed's ``next`` position to the state file *after* handling the page
(atomically), so a crash re-delivers at most one page and never skips one: make ``handle``
idempotent by the event's ``position``. ``--once`` stops when caught up; otherwise it polls.
For push delivery use ``GET /events/stream`` (Server-Sent Events; reconnect with the header
``Last-Event-ID: <last position>``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


def handle(event: dict) -> None:
    """Your code: keep a copy, update a search index, notify someone... (idempotent)."""
    record = event.get("record") or {}
    print(
        f"{event['position']:>10} {event.get('recorded_at', '')} {event['type']:<28} "
        f"{event.get('branch') or '-':<10} {record.get('id', '')}",
        flush=True,
    )


def read_position(state: Path) -> int:
    try:
        return int(state.read_text().strip() or 0)
    except FileNotFoundError:
        return 0


def write_position(state: Path, position: int) -> None:
    tmp = state.with_suffix(state.suffix + ".tmp")
    tmp.write_text(f"{position}\n")
    os.replace(tmp, state)  # atomic: the file always holds a position fully handled


def fetch(url: str, token: str, after: int, types: str | None, county: str | None) -> dict:
    query: dict[str, object] = {"after": after, "limit": 1000}
    if types:
        query["type"] = types
    if county:
        query["county"] = county
    request = urllib.request.Request(
        f"{url.rstrip('/')}/events?{urllib.parse.urlencode(query)}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", default=os.environ.get("FIVESTAR_TOKEN"), required=False)
    parser.add_argument("--state", default="feed.pos", help="file holding the last position")
    parser.add_argument("--type", help="comma-separated record types")
    parser.add_argument("--county")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="stop when caught up")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or FIVESTAR_TOKEN) is required")
    state = Path(args.state)
    position = read_position(state)
    while True:
        page = fetch(args.url, args.token, position, args.type, args.county)
        for event in page["events"]:
            handle(event)
        if page["next"] != position:
            position = page["next"]
            write_position(state, position)
            continue  # more may be waiting
        if args.once:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
