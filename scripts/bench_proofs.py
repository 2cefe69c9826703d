#!/usr/bin/env python3
"""How long a Merkle proof takes in a ledger of millions of events (ADR 0016).

    .venv/bin/python scripts/bench_proofs.py --leaves 6000000 [--db /tmp/proofs.db]

Fills the leaf table of an empty SQLite store with N synthetic leaf hashes (the tree code
reads nothing else), fills the subtree cache once (as the first digest after an import
does), then times digests, inclusion paths and consistency proofs at random sizes and
indexes, each checked with the RFC 9162 verification functions.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.application.ledger_tree import TreeStore
from domain.application.service import FiveStar
from domain.model import merkle


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=6_000_000)
    parser.add_argument("--db", default="/tmp/fivestar-proofs.db")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm", ".views.db"):
        Path(args.db + suffix).unlink(missing_ok=True)
    FiveStar(args.db).close()  # creates the tables
    started = time.perf_counter()
    with sqlite3.connect(args.db) as conn:
        rows = (
            (i, i + 1, "V1", i + 1, hashlib.sha256(i.to_bytes(8, "big")).digest())
            for i in range(args.leaves)
        )
        conn.executemany("INSERT INTO merkle_leaves VALUES (?, ?, ?, ?, ?)", rows)
    print(f"{args.leaves:,} leaves written in {time.perf_counter() - started:.1f}s")
    svc = FiveStar(args.db)
    tree = TreeStore(svc.ledger.recorder)
    started = time.perf_counter()
    root = tree.root(args.leaves)
    print(f"first digest (fills the subtree cache): {time.perf_counter() - started:.1f}s")
    rng = random.Random(1)
    timings: dict[str, list[float]] = {"digest": [], "inclusion": [], "consistency": []}
    for _ in range(args.samples):
        size = rng.randint(1, args.leaves)
        t = time.perf_counter()
        tree.root(size)
        timings["digest"].append(time.perf_counter() - t)
        index = rng.randrange(args.leaves)
        t = time.perf_counter()
        path = merkle.inclusion_path(tree.subtree, index, args.leaves)
        leaf = tree.leaf(index)
        timings["inclusion"].append(time.perf_counter() - t)
        assert leaf is not None and merkle.verify_inclusion(
            leaf.hash, index, args.leaves, path, root
        )
        old = rng.randint(1, args.leaves)
        t = time.perf_counter()
        proof = merkle.consistency_proof(tree.subtree, old, args.leaves)
        old_root = tree.root(old)
        timings["consistency"].append(time.perf_counter() - t)
        assert merkle.verify_consistency(old, args.leaves, old_root, root, proof)
    for name, values in timings.items():
        values.sort()
        p50 = statistics.median(values) * 1000
        p99 = values[int(len(values) * 0.99) - 1] * 1000
        print(f"{name:12} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({len(values)} samples)")
    svc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
