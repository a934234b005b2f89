"""Balanced generators for the bit-string families (fn_a..fn_h, fn_j, fn_l).

Each generator returns one matrix of distinct positives and one of distinct negatives, in a random
but seed-determined order. A class matrix shorter than asked means its space is exhausted: every
distinct input of that class the generator can make is already in it (the splitter then fills the
test split by resampling, never touching train/val inputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import comb

import numpy as np

from generators.bits import VECTOR_LABELS, BitMatrix, all_strings, dyck_valid, unique_rows
from generators.errors import DatasetError
from generators.targets import PATTERN_C, PATTERN_D

Sampler = Callable[[np.random.Generator, int], BitMatrix]
MAX_STALLS = 6


@dataclass
class Pools:
    """Distinct positives and negatives (bit matrices) plus facts worth recording in meta.json."""

    pos: BitMatrix
    neg: BitMatrix
    notes: dict = field(default_factory=dict)


def _uniform(L: int) -> Sampler:
    return lambda rng, n: rng.integers(0, 2, size=(n, L), dtype=np.uint8)


def _append_unique(got: BitMatrix, batch: BitMatrix) -> BitMatrix:
    return unique_rows(np.concatenate([got, batch])) if batch.shape[0] else got


def collect(sampler: Sampler, L: int, need: int, rng: np.random.Generator) -> BitMatrix:
    """Draw batches until `need` distinct rows exist, or the sampler stops finding new ones."""
    got = np.zeros((0, L), dtype=np.uint8)
    stalls = 0
    while got.shape[0] < need and stalls < MAX_STALLS:
        batch = sampler(rng, 2 * (need - got.shape[0]) + 64)
        merged = _append_unique(got, batch)
        stalls = stalls + 1 if merged.shape[0] == got.shape[0] else 0
        got = merged
    return got[:need]


def collect_labelled(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """Uniform strings, labelled, kept until both classes are full (or exhausted)."""
    label = VECTOR_LABELS[fn]
    pos = np.zeros((0, L), dtype=np.uint8)
    neg = np.zeros((0, L), dtype=np.uint8)
    stalls = 0
    while (pos.shape[0] < need_pos or neg.shape[0] < need_neg) and stalls < MAX_STALLS:
        short = max(need_pos - pos.shape[0], need_neg - neg.shape[0])
        batch = rng.integers(0, 2, size=(2 * short + 64, L), dtype=np.uint8)
        y = label(batch)
        new_pos = _append_unique(pos, batch[y]) if pos.shape[0] < need_pos else pos
        new_neg = _append_unique(neg, batch[~y]) if neg.shape[0] < need_neg else neg
        grew = new_pos.shape[0] > pos.shape[0] or new_neg.shape[0] > neg.shape[0]
        stalls = 0 if grew else stalls + 1
        pos, neg = new_pos, new_neg
    return Pools(pos[:need_pos], neg[:need_neg])


def enumerate_labelled(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """Small spaces: label every string once, then shuffle each class."""
    everything = all_strings(L)
    y = VECTOR_LABELS[fn](everything)
    pos, neg = everything[y], everything[~y]
    pos, neg = pos[rng.permutation(len(pos))], neg[rng.permutation(len(neg))]
    return Pools(pos[:need_pos], neg[:need_neg], {"enumerated_space": 1 << L})


def _small_enough_to_enumerate(L: int, need: int) -> bool:
    return L <= 22 and (1 << L) <= 16 * need


def plain_binary(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """fn_a, fn_b, fn_e, fn_f, fn_j, fn_l: uniform random strings, labelled."""
    if _small_enough_to_enumerate(L, need_pos + need_neg):
        return enumerate_labelled(fn, L, need_pos, need_neg, rng)
    return collect_labelled(fn, L, need_pos, need_neg, rng)


def pattern(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """fn_c, fn_d: positives get the pattern written at a uniform offset; negatives avoid it."""
    pat = PATTERN_C if fn == "fn_c" else PATTERN_D
    if L < len(pat):
        raise DatasetError(f"{fn} needs L >= {len(pat)} (the pattern length), got L={L}")
    if _small_enough_to_enumerate(L, need_pos + need_neg):
        return enumerate_labelled(fn, L, need_pos, need_neg, rng)
    bits = np.frombuffer(pat.encode("ascii"), dtype=np.uint8) - ord("0")
    k = len(pat)

    def with_pattern(g: np.random.Generator, n: int) -> BitMatrix:
        m = g.integers(0, 2, size=(n, L), dtype=np.uint8)
        offsets = g.integers(0, L - k + 1, size=n)
        cols = offsets[:, None] + np.arange(k)
        m[np.arange(n)[:, None], cols] = bits
        return m

    def without_pattern(g: np.random.Generator, n: int) -> BitMatrix:
        m = g.integers(0, 2, size=(n, L), dtype=np.uint8)
        return m[~VECTOR_LABELS[fn](m)]

    pos = collect(with_pattern, L, need_pos, rng)
    return Pools(pos, collect(without_pattern, L, need_neg, rng))


def _mirror(half: BitMatrix, L: int) -> BitMatrix:
    """Turn first halves (with the middle bit for odd L) into palindromes."""
    h = L // 2
    return np.concatenate([half, half[:, :h][:, ::-1]], axis=1)


def palindrome(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """fn_g: mirrored random halves vs uniform non-palindromes (+ near misses in small spaces)."""
    half_len = (L + 1) // 2
    space = 1 << half_len
    if half_len <= 22 and space <= 16 * need_pos:
        halves = all_strings(half_len)[rng.permutation(space)]
        pos = _mirror(halves, L)[:need_pos]
    else:
        pos = collect(lambda g, n: _mirror(_uniform(half_len)(g, n), L), L, need_pos, rng)
    small = space < need_pos
    notes: dict = {"positive_space": space}

    def non_palindromes(g: np.random.Generator, n: int) -> BitMatrix:
        m = g.integers(0, 2, size=(n, L), dtype=np.uint8)
        return m[~(m == m[:, ::-1]).all(axis=1)]

    if not small:
        return Pools(pos, collect(non_palindromes, L, need_neg, rng), notes)

    def near_misses(g: np.random.Generator, n: int) -> BitMatrix:
        m = pos[g.integers(0, pos.shape[0], size=n)].copy()
        flip = g.integers(0, max(L // 2, 1), size=n)
        m[np.arange(n), flip] ^= 1
        return m

    n_near = need_neg // 2
    near = collect(near_misses, L, n_near, rng)
    rest = collect(non_palindromes, L, need_neg, rng)
    neg = unique_rows(np.concatenate([near, rest]))[:need_neg]
    neg = neg[rng.permutation(neg.shape[0])]
    notes["near_miss_negatives"] = int(min(near.shape[0], neg.shape[0]))
    return Pools(pos, neg, notes)


def dyck_space(pairs: int) -> int:
    """Number of Dyck-2 words with `pairs` bracket pairs: Catalan(pairs) * 2**pairs."""
    return comb(2 * pairs, pairs) // (pairs + 1) * (1 << pairs)


def _all_dyck(pairs: int) -> BitMatrix:
    words: list[list[int]] = []

    def grow(word: list[int], stack: list[int], opened: int) -> None:
        if len(word) == 4 * pairs:
            words.append(list(word))
            return
        if opened < pairs:
            for kind in (0, 1):
                stack.append(kind)
                grow(word + [kind, 0], stack, opened + 1)
                stack.pop()
        if stack:
            kind = stack.pop()
            grow(word + [kind, 1], stack, opened)
            stack.append(kind)

    grow([], [], 0)
    return np.array(words, dtype=np.uint8).reshape(len(words), 4 * pairs)


def _random_dyck(g: np.random.Generator, n: int, L: int) -> BitMatrix:
    """A random push/pop walk that is forced to close everything by the end."""
    steps = L // 2
    out = np.zeros((n, L), dtype=np.uint8)
    stack = np.zeros((n, steps + 1), dtype=np.uint8)
    depth = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    for t in range(steps):
        remaining = steps - t
        coin = g.random(n) < 0.5
        push = (depth == 0) | ((depth < remaining - 1) & coin)
        kinds = g.integers(0, 2, size=n, dtype=np.uint8)
        top = stack[rows, np.maximum(depth - 1, 0)]
        kind = np.where(push, kinds, top)
        stack[rows[push], depth[push]] = kinds[push]
        depth += np.where(push, 1, -1)
        out[:, 2 * t] = kind
        out[:, 2 * t + 1] = ~push
    return out


def dyck(
    fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator
) -> Pools:
    """fn_h: valid words vs near misses (1-5 bit flips of a valid word that break it)."""
    if L % 4 or L <= 0:
        raise DatasetError(f"fn_h (dyck2) needs a length that is a multiple of 4, got L={L}")
    space = dyck_space(L // 4)
    if space <= 16 * need_pos:
        every = _all_dyck(L // 4)
        pos = every[rng.permutation(every.shape[0])][:need_pos]
    else:
        pos = collect(lambda g, n: _random_dyck(g, n, L), L, need_pos, rng)

    def near_misses(g: np.random.Generator, n: int) -> BitMatrix:
        m = pos[g.integers(0, pos.shape[0], size=n)].copy()
        flips = g.integers(1, 6, size=n)
        order = np.argsort(g.random((n, L)), axis=1)
        mask = np.zeros((n, L), dtype=bool)
        np.put_along_axis(mask, order[:, :5], np.arange(5)[None, :] < flips[:, None], axis=1)
        m ^= mask.astype(np.uint8)
        return m[~dyck_valid(m)]

    return Pools(pos, collect(near_misses, L, need_neg, rng), {"positive_space": space})


BINARY_FAMILIES = {
    "fn_a": plain_binary,
    "fn_b": plain_binary,
    "fn_c": pattern,
    "fn_d": pattern,
    "fn_e": plain_binary,
    "fn_f": plain_binary,
    "fn_g": palindrome,
    "fn_h": dyck,
    "fn_j": plain_binary,
    "fn_l": plain_binary,
}
