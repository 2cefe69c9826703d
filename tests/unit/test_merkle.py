"""The ledger's Merkle tree against RFC 6962/9162 test vectors and a naive reference."""

from __future__ import annotations

import hashlib

import pytest

from domain.model import merkle as m

# The inputs and roots of the Certificate Transparency reference tests (merkle_tree_test.cc).
INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [m.leaf_hash(data) for data in INPUTS]


def naive(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 writes it."""
    if len(leaves) == 1:
        return leaves[0]
    k = m.split(len(leaves))
    return m.node_hash(naive(leaves[:k]), naive(leaves[k:]))


def test_the_empty_tree_is_the_hash_of_nothing() -> None:
    assert m.mth([]).hex() == hashlib.sha256(b"").hexdigest()
    assert m.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_certificate_transparency_vectors(size: int) -> None:
    assert m.mth(LEAVES[:size]).hex() == ROOTS[size - 1]


def test_a_leaf_and_a_node_are_hashed_with_different_prefixes() -> None:
    a, b = LEAVES[1], LEAVES[2]
    assert m.leaf_hash(b"\x00").hex() == hashlib.sha256(b"\x00\x00").hexdigest()
    assert m.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert m.mth([a, b, LEAVES[3]]) == m.node_hash(m.node_hash(a, b), LEAVES[3])


def _leaves(n: int) -> list[bytes]:
    return [m.leaf_hash(str(i).encode()) for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33])
def test_every_inclusion_path_leads_to_the_root_and_no_other(n: int) -> None:
    leaves = _leaves(n)
    tree = m.list_subtree(leaves)
    root = naive(leaves)
    assert m.root(tree, n) == root == m.mth(leaves)
    for i in range(n):
        path = m.inclusion_path(tree, i, n)
        assert m.verify_inclusion(leaves[i], i, n, path, root)
        assert not m.verify_inclusion(leaves[(i + 1) % n], i, n, path, root) or n == 1
        if path:
            forged = [bytes(32), *path[1:]]
            assert not m.verify_inclusion(leaves[i], i, n, forged, root)
            assert not m.verify_inclusion(leaves[i], i, n, path[:-1], root)


def test_the_rfc_audit_path_of_leaf_0_in_a_tree_of_7() -> None:
    """RFC 9162 §2.1.5: the path for d0 in the 7-leaf tree is [b, h, l]."""
    tree = m.list_subtree(LEAVES[:7])
    b, h, l_ = LEAVES[1], m.node_hash(LEAVES[2], LEAVES[3]), naive(LEAVES[4:7])
    assert m.inclusion_path(tree, 0, 7) == [b, h, l_]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 32, 33])
def test_every_earlier_tree_is_proved_consistent_with_the_later(n: int) -> None:
    leaves = _leaves(n)
    tree = m.list_subtree(leaves)
    new_root = naive(leaves)
    for old in range(1, n + 1):
        old_root = naive(leaves[:old])
        proof = m.consistency_proof(tree, old, n)
        assert m.verify_consistency(old, n, old_root, new_root, proof)
        assert not m.verify_consistency(old, n, bytes(32), new_root, proof)
        if proof:
            assert not m.verify_consistency(old, n, old_root, new_root, proof[:-1])


def test_the_rfc_consistency_proof_from_3_to_7() -> None:
    """RFC 9162 §2.1.5: PROOF(3, D[7]) = [c, d, g, l]."""
    tree = m.list_subtree(LEAVES[:7])
    proof = m.consistency_proof(tree, 3, 7)
    assert proof == [LEAVES[2], LEAVES[3], m.node_hash(LEAVES[0], LEAVES[1]), naive(LEAVES[4:7])]


def test_a_rewritten_history_is_not_consistent() -> None:
    leaves = _leaves(10)
    tampered = [*leaves[:3], m.leaf_hash(b"forged"), *leaves[4:]]
    tree = m.list_subtree(tampered)
    proof = m.consistency_proof(tree, 5, 10)
    assert not m.verify_consistency(5, 10, naive(leaves[:5]), naive(tampered), proof)


def test_proofs_outside_the_tree_are_refused() -> None:
    tree = m.list_subtree(_leaves(4))
    with pytest.raises(m.ProofError):
        m.inclusion_path(tree, 4, 4)
    with pytest.raises(m.ProofError):
        m.consistency_proof(tree, 5, 4)
    assert not m.verify_inclusion(_leaves(1)[0], 9, 4, [], m.mth(_leaves(4)))


def test_canonical_entries_sort_keys_and_keep_chinese_text() -> None:
    entry = m.canonical_entry("V1", 3, "2026-01-01T00:00:00Z", "cli:王", {"b": 1, "a": "五星"})
    assert (
        entry
        == (
            '{"branch":"V1","record":{"a":"五星","b":1},"recorded_at":"2026-01-01T00:00:00Z",'
            '"recorder":"cli:王","version":3}'
        ).encode()
    )


def test_the_streaming_root_equals_the_tree_hash_at_every_size() -> None:
    leaves = _leaves(70)
    builder = m.RootBuilder()
    assert builder.root() == m.EMPTY_ROOT
    for n, leaf in enumerate(leaves, 1):
        builder.add(leaf)
        assert builder.root() == naive(leaves[:n])
