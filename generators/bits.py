"""Small numpy helpers for bit-matrix datasets: dedupe in first-seen order, rendering, labels.

Rows are uint8 arrays of 0/1, one sample per row. Keeping everything as matrices is what makes the
default grid take seconds instead of minutes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from generators.targets import PATTERN_C, PATTERN_D, positions

BitMatrix = np.ndarray


def _ascii_rows(m: BitMatrix) -> np.ndarray:
    """The rows as '0'/'1' ASCII bytes, one contiguous row per sample."""
    return np.ascontiguousarray(m.astype(np.uint8) + ord("0"))


def to_strings(m: BitMatrix) -> list[str]:
    """Render each 0/1 row as a '0'/'1' string (one decode, then slices: ~1.4x per-row decode)."""
    n, L = m.shape
    if n == 0:
        return []
    text = _ascii_rows(m).tobytes().decode("ascii")
    return [text[i : i + L] for i in range(0, n * L, L)]


def from_strings(xs: list[str], L: int) -> BitMatrix:
    """Inverse of `to_strings`."""
    if not xs:
        return np.zeros((0, L), dtype=np.uint8)
    raw = np.frombuffer("".join(xs).encode("ascii"), dtype=np.uint8)
    return (raw.reshape(len(xs), L) - ord("0")).astype(np.uint8)


def row_keys(m: BitMatrix) -> np.ndarray:
    """One hashable void scalar per row (packed bits), for set operations with numpy."""
    packed = np.ascontiguousarray(np.packbits(m, axis=1))
    return packed.view(np.dtype((np.void, packed.shape[1]))).ravel()


def unique_rows(m: BitMatrix) -> BitMatrix:
    """Drop repeated rows, keeping the first occurrence of each and the original order."""
    if m.shape[0] == 0:
        return m
    _, first = np.unique(row_keys(m), return_index=True)
    return m[np.sort(first)]


def all_strings(L: int) -> BitMatrix:
    """Every bit string of length L (only for small L), in counting order."""
    codes = np.arange(1 << L, dtype=np.int64)
    shifts = np.arange(L - 1, -1, -1, dtype=np.int64)
    return ((codes[:, None] >> shifts) & 1).astype(np.uint8)


def contains(m: BitMatrix, pattern: str) -> np.ndarray:
    """Whether each row contains `pattern` as a contiguous substring."""
    k = len(pattern)
    if m.shape[1] < k:
        return np.zeros(m.shape[0], dtype=bool)
    pat = np.frombuffer(pattern.encode("ascii"), dtype=np.uint8) - ord("0")
    windows = np.lib.stride_tricks.sliding_window_view(m, k, axis=1)
    return (windows == pat).all(axis=2).any(axis=1)


def dyck_valid(m: BitMatrix) -> np.ndarray:
    """Vectorised Dyck-2 check: first bit of a pair is the bracket type, second open/close."""
    n, L = m.shape
    if L % 2:
        return np.zeros(n, dtype=bool)
    kind, close = m[:, 0::2], m[:, 1::2]
    steps = L // 2
    stack = np.zeros((n, steps + 1), dtype=np.uint8)
    depth = np.zeros(n, dtype=np.int64)
    ok = np.ones(n, dtype=bool)
    rows = np.arange(n)
    for t in range(steps):
        opening = close[:, t] == 0
        stack[rows[opening], depth[opening]] = kind[opening, t]
        depth[opening] += 1
        closing = ~opening
        top = stack[rows, np.maximum(depth - 1, 0)]
        bad = closing & ((depth == 0) | (top != kind[:, t]))
        ok &= ~bad
        depth[closing & ~bad] -= 1
        depth[closing & bad] = np.maximum(depth[closing & bad] - 1, 0)
    return ok & (depth == 0)


def rule30_parity(m: BitMatrix) -> np.ndarray:
    padded = np.pad(m, ((0, 0), (1, 1)))
    left, centre, right = padded[:, :-2], padded[:, 1:-1], padded[:, 2:]
    return ((left ^ (centre | right)).sum(axis=1) % 2).astype(bool)


def sha_parity(m: BitMatrix) -> np.ndarray:
    """Parity of the SHA-256 bits of each row's string: hash the ASCII rows as bytes, then take
    the parity of the XOR of each digest's 32 bytes (same parity as all 256 bits) in numpy."""
    if m.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    rows = _ascii_rows(m).view(f"S{m.shape[1]}").ravel().tolist()
    sha256 = hashlib.sha256
    digests = np.frombuffer(b"".join([sha256(r).digest() for r in rows]), dtype=np.uint8)
    folded = np.bitwise_xor.reduce(digests.reshape(-1, 32), axis=1)
    return (np.unpackbits(folded[:, None], axis=1).sum(axis=1) & 1).astype(bool)


def _parity_at(k: int) -> Callable[[BitMatrix], np.ndarray]:
    def label(m: BitMatrix) -> np.ndarray:
        return (m[:, list(positions(m.shape[1], k))].sum(axis=1) % 2).astype(bool)

    return label


VECTOR_LABELS: dict[str, Callable[[BitMatrix], np.ndarray]] = {
    "fn_a": lambda m: (m.sum(axis=1) % 2).astype(bool),
    "fn_b": lambda m: (m[:, : m.shape[1] // 2].sum(axis=1) % 2).astype(bool),
    "fn_c": lambda m: contains(m, PATTERN_C),
    "fn_d": lambda m: contains(m, PATTERN_D),
    "fn_e": _parity_at(3),
    "fn_f": _parity_at(10),
    "fn_g": lambda m: (m == m[:, ::-1]).all(axis=1),
    "fn_h": dyck_valid,
    "fn_j": rule30_parity,
    "fn_l": sha_parity,
}
