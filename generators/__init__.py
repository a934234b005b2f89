"""Deterministic, balanced dataset generators for the hidden-mapping tasks (no harness imports)."""

from generators.build import Dataset, build_dataset
from generators.errors import DatasetError
from generators.seeds import derived_seed
from generators.targets import DEFAULT_GRID, TARGETS, TargetSpec, positions


def fetch_tabular(fn: str, cache_dir: str) -> list[str]:
    """Download the raw UCI files for a tabular task into `cache_dir` (needs a network)."""
    from generators.tabular import fetch_tabular as _fetch

    return _fetch(fn, cache_dir)


__all__ = [
    "DEFAULT_GRID",
    "TARGETS",
    "Dataset",
    "DatasetError",
    "TargetSpec",
    "build_dataset",
    "derived_seed",
    "fetch_tabular",
    "positions",
]
