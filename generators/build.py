"""`build_dataset`: one grid point -> balanced splits, from a valid cache or freshly generated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generators import cache
from generators.binary import BINARY_FAMILIES
from generators.bits import to_strings
from generators.errors import DatasetError
from generators.seeds import derived_seed
from generators.splits import Row, Sizes, split_pools
from generators.targets import TABULAR_FEATURES, TARGETS, TargetSpec, positions

GENERATOR_VERSION = 1
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Dataset:
    """Balanced splits of (input, label) pairs plus meta.json content and the cache directory."""

    train: list[Row]
    val: list[Row]
    test: list[Row]
    meta: dict
    path: Path


def get_target(fn: str) -> TargetSpec:
    try:
        return TARGETS[fn]
    except KeyError:
        raise DatasetError(f"unknown function {fn!r}; known: {', '.join(TARGETS)}") from None


def _check_length(spec: TargetSpec, length: int | None) -> int:
    if spec.kind == "tabular":
        d = TABULAR_FEATURES[spec.id]
        if length not in (None, d):
            raise DatasetError(f"{spec.id} ({spec.name}) has {d} features; its length must be {d}")
        return d
    if length is None or int(length) < 1:
        raise DatasetError(f"{spec.id} needs a positive length, got {length}")
    return int(length)


def _pools(
    spec: TargetSpec, L: int, sizes: Sizes, rng: np.random.Generator, tabular_dir: Path
) -> tuple[list[str], list[str], dict]:
    need = sizes.per_class
    if spec.kind == "tabular":
        from generators.tabular import tabular_pools

        return tabular_pools(spec.id, need, need, rng, tabular_dir)
    if spec.kind == "decimal":
        from generators.primes import prime_pools  # sympy is slow to import; load on demand

        return prime_pools(spec.id, L, need, need, rng)
    pools = BINARY_FAMILIES[spec.id](spec.id, L, need, need, rng)
    return to_strings(pools.pos), to_strings(pools.neg), pools.notes


def _base_meta(spec: TargetSpec, L: int, sizes: Sizes, seed: int, dseed: int) -> dict:
    meta: dict = {
        "fn": spec.id,
        "target_name": spec.name,
        "kind": spec.kind,
        "length": L,
        "decimal": spec.decimal,
        "base_seed": seed,
        "derived_seed": dseed,
        "sizes": {"train": sizes.train, "val": sizes.val, "test": sizes.test},
        "generator_version": GENERATOR_VERSION,
    }
    if spec.id == "fn_e":
        meta["positions"] = sorted(positions(L, 3))
    elif spec.id == "fn_f":
        meta["positions"] = sorted(positions(L, 10))
    return meta


def build_dataset(
    fn: str,
    length: int | None,
    train_size: int = 100,
    val_size: int = 100,
    test_size: int = 10000,
    seed: int = 42,
    dataset_dir: str | Path = "datasets",
    progress: Progress | None = None,
    tabular_dir: str | Path | None = None,
) -> Dataset:
    """Reuse the cached grid point when it validates, else generate it and write it atomically.

    `tabular_dir` is where the raw UCI files live (default `<dataset_dir>/raw`); only fn_m..fn_q
    read it. `progress`, when given, receives one short status message ("cached"/"generated").
    """
    spec = get_target(fn)
    L = _check_length(spec, length)
    sizes = Sizes(int(train_size), int(val_size), int(test_size))
    sizes.check()
    dseed = derived_seed(spec.id, L, sizes.train + sizes.val, sizes.test, int(seed))
    path = cache.dataset_path(dataset_dir, spec.name, L, dseed)
    meta = _base_meta(spec, L, sizes, int(seed), dseed)
    raw_dir = Path(tabular_dir) if tabular_dir is not None else Path(dataset_dir) / "raw"
    if spec.kind == "tabular":
        from generators.tabular import source_hashes

        hashes = source_hashes(spec.id, raw_dir)
        if hashes:  # without raw files a valid cache is still usable
            meta["source_sha256"] = hashes
    cached = cache.load_valid(path, meta)
    if cached is not None:
        splits, full_meta = cached
        if progress:
            progress("cached")
        return Dataset(splits["train"], splits["val"], splits["test"], full_meta, path)
    rng = np.random.default_rng(dseed)
    pos, neg, notes = _pools(spec, L, sizes, rng, raw_dir)
    where = f"{spec.id} ({spec.name}) at L={L}"
    train, val, test, split_notes = split_pools(pos, neg, sizes, rng, where)
    meta.update(notes)
    meta.update(split_notes)
    full_meta = cache.save(path, {"train": train, "val": val, "test": test}, meta)
    if progress:
        progress("generated")
    return Dataset(train, val, test, full_meta, path)
