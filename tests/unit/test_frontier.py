"""The Merkle frontier a writer keeps in memory (ADR 0021) gives the roots and the
subtree-cache rows that reading the tree back gives."""

from __future__ import annotations

import hashlib

from domain.application.ledger_tree import CACHE_LEVEL, Frontier, TreeStore
from domain.application.service import FiveStar
from domain.application.settings import Settings
from domain.model import merkle
from tests.support.ledgers import OWN_EXAMPLE


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def test_the_frontier_root_is_the_tree_hash_at_every_size() -> None:
    leaves = _leaves(1100)
    frontier, nodes = Frontier(), list[tuple[int, int, bytes]]()
    assert frontier.root() == merkle.EMPTY_ROOT
    for i, leaf in enumerate(leaves):
        frontier.append(leaf, i + 1, nodes)
        if i < 70 or i % 97 == 0 or i in (255, 256, 511, 512, 1023, 1024):
            assert frontier.root() == merkle.mth(leaves[: i + 1]), i + 1
    assert (frontier.size, frontier.last, frontier.position) == (1100, leaves[-1], 1100)


def test_the_subtrees_it_completes_are_the_cached_ones() -> None:
    leaves = _leaves(3 << CACHE_LEVEL)
    frontier, nodes = Frontier(), list[tuple[int, int, bytes]]()
    for i, leaf in enumerate(leaves):
        frontier.append(leaf, i + 1, nodes)
    assert sorted((level, idx) for level, idx, _ in nodes) == [(8, 0), (8, 1), (8, 2), (9, 0)]
    batched, batch_nodes = Frontier(), list[tuple[int, int, bytes]]()
    for start in range(0, len(leaves), 100):
        batched.extend(leaves[start : start + 100], start + 100, batch_nodes)
    assert (batched.parts, batched.size, batch_nodes) == (frontier.parts, frontier.size, nodes)
    for level, idx, value in nodes:
        assert value == merkle.mth(leaves[idx << level : (idx + 1) << level])


def _nodes(tree: TreeStore) -> list[tuple[int, int, bytes]]:
    rows = tree._rows("SELECT level, idx, hash FROM {nodes} ORDER BY level, idx")
    return [(row["level"], row["idx"], bytes(row["hash"])) for row in rows]


def test_the_writer_frontier_agrees_with_the_stored_tree(db: str) -> None:
    settings = Settings(import_batch_size=300, import_follower_bytes=10**12)
    with FiveStar(db, settings) as svc:
        svc.import_file(OWN_EXAMPLE.ledger, "test")
        recorder = svc.ledger.recorder
        tree = TreeStore(recorder)
        written = _nodes(tree)  # the subtree cache the writer filled as it went
        size = tree.size()
        assert size >= 2 << CACHE_LEVEL and len(written) >= 2
        tree.clear_cache()
        tree.fill_cache(size)
        assert _nodes(tree) == written  # as computed from the stored leaves
        expected = (tree.leaf(size - 1).position, size, tree.root(size).hex())
        assert recorder.frontier_point() == expected  # type: ignore[attr-defined]
        # a frontier that is not the store's (another writer, a rolled-back batch) is re-read
        stale = recorder.frontier.copy()  # type: ignore[attr-defined]
        stale.last = b"\0" * 32
        recorder.frontier = stale  # type: ignore[attr-defined]
        assert recorder.frontier_point() == expected  # type: ignore[attr-defined]
        recorder.frontier = None  # type: ignore[attr-defined]
        with recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            c.execute("DELETE FROM merkle_nodes")  # and without the subtree cache
        assert recorder.frontier_point() == expected  # type: ignore[attr-defined]
