"""The ledger's Merkle tree, as RFC 9162 (Certificate Transparency 2.0) defines it.

Pure functions: no store, no clock. A leaf is SHA-256(0x00 || entry), an interior node
SHA-256(0x01 || left || right), and the tree hash of n leaves splits at the largest power of
two below n (RFC 9162 §2.1.1). The stores keep leaf hashes by leaf index and a cache of
complete ("perfect") subtrees; everything here works through a ``Subtree`` callable, the
hash of the leaves ``[start, end)``, so the same code serves an in-memory list (tests, the
verifier) and a cached table (a proof in a 6-million-event ledger reads ~log n rows).

The entry of an event is its canonical encoding (ADR 0016): the JSON object
``{"branch", "record", "recorded_at", "recorder", "version"}`` with keys sorted, no
whitespace, UTF-8, numbers as msgspec writes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

Subtree = Callable[[int, int], bytes]  # hash of the leaves [start, end)


class Basis(msgspec.Struct, frozen=True, kw_only=True):
    """What a determination was judged on: the ledger of ``size`` events up to ``position``
    with Merkle ``root``, under the rulebook ``rulebook`` whose file hashes to
    ``rulebook_sha256`` (a determination receipt, ADR 0016)."""

    position: int
    size: int
    root: str
    rulebook: str
    rulebook_sha256: str


_entry_encoder = msgspec.json.Encoder(order="sorted")


class ProofError(ValueError):
    """A proof was asked for sizes or indexes the tree does not have."""


def canonical_entry(
    branch: str | None,
    version: int,
    recorded_at: Any,
    recorder: str,
    record: Any,
    basis: Any = None,
) -> bytes:
    """The bytes a leaf hashes: one event as the auditor sees it in an export (an award's
    determination receipt, ``basis``, is hashed with it when there is one). ``recorded_at``
    is the stored time's string, or the ``datetime`` itself (it encodes as that string)."""
    entry = {
        "branch": branch,
        "record": record,
        "recorded_at": recorded_at,
        "recorder": recorder,
        "version": version,
    }
    if basis is not None:
        entry["basis"] = basis
    return _entry_encoder.encode(entry)


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: Sequence[bytes]) -> bytes:
    """The tree hash of a list of leaf hashes, computed bottom-up in one pass."""
    if not leaves:
        return EMPTY_ROOT
    return _range_root(list(leaves), 0, len(leaves))


def _range_root(leaves: list[bytes], start: int, end: int) -> bytes:
    n = end - start
    if n == 1:
        return leaves[start]
    if n & (n - 1) == 0:  # a perfect subtree: pairwise levels, no recursion
        level = leaves[start:end]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        return level[0]
    k = split(n)
    return node_hash(_range_root(leaves, start, start + k), _range_root(leaves, start + k, end))


def list_subtree(leaves: Sequence[bytes]) -> Subtree:
    """A ``Subtree`` over leaf hashes held in memory."""
    as_list = list(leaves)
    return lambda start, end: _range_root(as_list, start, end)


def root(subtree: Subtree, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else subtree(0, size)


# ------------------------------------------------------------------ inclusion
def inclusion_path(subtree: Subtree, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: siblings from the leaf up to the root."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start = start + k
    path.reverse()
    return path


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root a leaf and its audit path lead to (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("audit path is shorter than the tree is deep")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> bool:
    try:
        return root_from_inclusion(leaf, index, size, path) == expected_root
    except ProofError:
        return False


# ---------------------------------------------------------------- consistency
def consistency_proof(subtree: Subtree, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: the later tree only appended to the earlier."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(subtree, old_size, 0, new_size, True)


def _subproof(subtree: Subtree, m: int, start: int, end: int, complete: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [subtree(start, end)]
    k = split(n)
    if m <= k:
        return [*_subproof(subtree, m, start, start + k, complete), subtree(start + k, end)]
    return [*_subproof(subtree, m - k, start + k, end, False), subtree(start, start + k)]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree of ``new_root`` extends ``old_root``?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return old_root == new_root and not proof
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def to_hex(data: bytes) -> str:
    return data.hex()


def from_hex(text: str) -> bytes:
    """A hash from lowercase or uppercase hex; ``ValueError`` names what is wrong."""
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"not a hex SHA-256 hash: {text!r}") from None
    if len(data) != 32:
        raise ValueError(f"not a SHA-256 hash (want 64 hex digits): {text!r}")
    return data


class RootBuilder:
    """The root of a growing list of leaves in one pass and O(log n) memory (a stack of
    complete subtrees: the binary digits of the size)."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            value = node_hash(self._stack.pop()[1], value)
            level += 1
        self._stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value
