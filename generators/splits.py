"""Balanced, stratified, disjoint train/val/test splits from per-class pools of distinct inputs.

Pools hold distinct inputs, so taking consecutive slices guarantees that no input appears in two
splits. When a class's space is smaller than the request (palindromes at L=20 have only 1,024
members), train/val still get distinct inputs and the test split is topped up by resampling only
from inputs that train/val never saw; the shortfall is reported so it lands in meta.json.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.errors import DatasetError

Row = tuple[str, str]


@dataclass(frozen=True)
class Sizes:
    """Requested split sizes; each must be even so every split is exactly half positive."""

    train: int
    val: int
    test: int

    def check(self) -> None:
        for name, n in (("train", self.train), ("val", self.val), ("test", self.test)):
            if n < 0 or n % 2:
                raise DatasetError(
                    f"{name} size must be a non-negative even number (half positives, half "
                    f"negatives), got {n}"
                )
        if self.test == 0 or self.train + self.val == 0:
            raise DatasetError("need a non-empty test split and a non-empty train+val split")

    @property
    def per_class(self) -> int:
        return (self.train + self.val + self.test) // 2

    @property
    def seen_per_class(self) -> int:
        return (self.train + self.val) // 2


def _class_parts(
    pool: list[str], sizes: Sizes, cls: str, rng: np.random.Generator, where: str
) -> tuple[list[str], list[str], list[str], dict | None]:
    a, b = sizes.train // 2, sizes.val // 2
    need_test = sizes.test // 2
    if len(pool) <= a + b:
        raise DatasetError(
            f"{where}: only {len(pool)} distinct {cls} inputs exist, but train+val need {a + b} "
            "and the test split needs at least one unseen one; ask for smaller sizes"
        )
    train, val, rest = pool[:a], pool[a : a + b], pool[a + b :]
    test = rest[:need_test]
    note = None
    if len(test) < need_test:
        extra = rng.integers(0, len(rest), size=need_test - len(test))
        test = test + [rest[i] for i in extra]
        note = {
            "note": "space smaller than the request: test repeats inputs, never train/val ones",
            "distinct": len(pool),
            "needed": sizes.per_class,
            "test_distinct": len(rest),
            "test_resampled": int(len(extra)),
        }
    return train, val, test, note


def _shuffled(pos: list[str], neg: list[str], rng: np.random.Generator) -> list[Row]:
    rows = [(x, "1") for x in pos] + [(x, "0") for x in neg]
    return [rows[i] for i in rng.permutation(len(rows))]


def split_pools(
    pos: list[str], neg: list[str], sizes: Sizes, rng: np.random.Generator, where: str
) -> tuple[list[Row], list[Row], list[Row], dict]:
    """Stratified split; returns (train, val, test, notes) with notes on any small space."""
    p = _class_parts(pos, sizes, "positive", rng, where)
    n = _class_parts(neg, sizes, "negative", rng, where)
    notes: dict = {}
    small = {k: v for k, v in (("positive", p[3]), ("negative", n[3])) if v}
    if small:
        notes["small_space"] = small
    splits = tuple(_shuffled(p[i], n[i], rng) for i in range(3))
    return splits[0], splits[1], splits[2], notes
