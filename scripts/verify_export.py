#!/usr/bin/env python3
"""Check a fivestar ledger export without fivestar: Python's standard library only.

    python3 verify_export.py EXPORT.jsonl [--root ROOT]

An export (``fivestar export --out FILE``) is one JSON object per line for every event in
ledger order, then a line ``{"digest": {"size", "root", "position"}}``. This script:

1. recomputes each event's leaf hash from what the line shows: SHA-256 of the byte 0x00 and
   the canonical entry ``{"branch","record","recorded_at","recorder","version"}`` (keys
   sorted at every level, no spaces, UTF-8, numbers as below), and compares it with the
   line's ``leaf_hash``;
2. recomputes the root of the RFC 9162 Merkle tree over the leaves (interior nodes
   SHA-256 of 0x01, left, right) and compares it with the digest line and with ``--root``,
   the root you wrote down or were given (``fivestar digest``);
3. builds each record's inclusion proof (audit path) and checks it against the root with
   the verification algorithm of RFC 9162 section 2.1.3.2.

Exit 0 when everything holds; 1 with the first line that does not; 2 for a bad invocation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys


def canonical(value: object) -> str:
    """The canonical JSON text of a value: how fivestar (msgspec) writes it, keys sorted."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)  # the shortest digits that read back the same number
        if "e" not in text:
            return text
        mantissa, exponent = text.split("e")
        if int(exponent) == -5:  # msgspec writes 1.5e-05 as 0.000015
            sign, digits = ("-", mantissa[1:]) if mantissa[0] == "-" else ("", mantissa)
            return f"{sign}0.0000{digits.replace('.', '')}"
        return f"{mantissa}e{int(exponent)}"  # 1e+16 -> 1e16, 1e-07 -> 1e-7
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{canonical(k)}:{canonical(v)}" for k, v in items) + "}"
    raise ValueError(f"not a JSON value: {value!r}")


def leaf_hash(event: dict) -> bytes:
    entry = {k: event[k] for k in ("branch", "record", "recorded_at", "recorder", "version")}
    if event.get("basis") is not None:  # an award's determination receipt is hashed too
        entry["basis"] = event["basis"]
    return hashlib.sha256(b"\x00" + canonical(entry).encode("utf-8")).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def levels(leaves: list[bytes]) -> list[list[bytes]]:
    """The tree bottom-up; an unpaired last node is carried up a level (RFC 9162's split
    at the largest power of two gives the same tree)."""
    tree = [leaves]
    while len(tree[-1]) > 1:
        below = tree[-1]
        above = [node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        tree.append(above)
    return tree


def audit_path(tree: list[list[bytes]], index: int) -> list[bytes]:
    path = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index >>= 1
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 section 2.1.3.2; None when the path cannot belong to a tree of this size."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def read_export(path: str) -> tuple[list[dict], dict | None]:
    events, digest = [], None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {number}: not JSON ({exc})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("digest", {}), dict):
                raise ValueError(f"line {number}: not an event or digest object")
            if "digest" in obj:
                digest = obj["digest"]
            else:
                obj["_line"] = number
                events.append(obj)
    return events, digest


def verify(path: str, expected_root: str | None = None) -> list[str]:
    """Every problem found in the export, in file order (empty: the export holds)."""
    events, digest = read_export(path)
    problems = []
    leaves = []
    for index, event in enumerate(events):
        h = leaf_hash(event)
        if event.get("leaf_index") != index:
            problems.append(f"line {event['_line']}: leaf_index is not {index}")
        if h.hex() != event.get("leaf_hash"):
            problems.append(
                f"line {event['_line']}: position {event.get('position')} (branch "
                f"{event.get('branch')} version {event.get('version')}): content does not "
                f"match its leaf hash"
            )
        leaves.append(h)
    tree = levels(leaves) if leaves else [[]]
    root = tree[-1][0] if leaves else hashlib.sha256(b"").digest()
    if digest is None:
        problems.append("no digest line at the end of the export")
    elif digest.get("size") != len(leaves) or digest.get("root") != root.hex():
        problems.append(f"the digest line says {digest}; the events give root {root.hex()}")
    if expected_root and expected_root.lower() != root.hex():
        problems.append(f"root is {root.hex()}, not the expected {expected_root}")
    for index, leaf in enumerate(leaves):
        if root_from_path(leaf, index, len(leaves), audit_path(tree, index)) != root:
            problems.append(f"line {events[index]['_line']}: inclusion proof fails")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a fivestar ledger export offline.")
    parser.add_argument("export", help="the JSON Lines file `fivestar export` wrote")
    parser.add_argument("--root", help="the root you expect (from `fivestar digest`)")
    args = parser.parse_args(argv)
    try:
        problems = verify(args.export, args.root)
    except (OSError, ValueError, KeyError) as exc:
        print(f"verify_export: cannot read {args.export}: {exc}", file=sys.stderr)
        return 2
    if problems:
        for problem in problems[:20]:
            print(problem)
        print(f"FAILED: {len(problems)} problem(s)")
        return 1
    events, digest = read_export(args.export)
    root = digest["root"] if digest else ""
    print(f"OK: {len(events)} events, every leaf and inclusion proof checks; root {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
