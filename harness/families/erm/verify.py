"""Is a cached dataset what its seed says? Regenerate it elsewhere and compare the bytes.

The cache's own check (``generators.cache.load_valid``) compares each split with the hash in
its ``meta.json``, which catches a torn write but not an edit whose author also updated the
hash. Datasets are a pure function of (function, length, sizes, seed) (and, for the tabular
tasks, the raw UCI files), so regenerating one in a scratch folder and comparing the split
files byte for byte settles it; one binary grid point takes about 0.1 s.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generators import DatasetError, build_dataset
from generators.cache import SPLITS
from harness.errors import UserError
from harness.safe_io import RunFileError, read_bytes, read_json
from harness.untrusted_text import printable


class DatasetMismatch(UserError):
    """A cached dataset differs from what its seed generates."""


@dataclass(frozen=True)
class Point:
    """One grid point as its meta.json describes it."""

    fn: str
    length: int
    train: int
    val: int
    test: int
    seed: int

    def label(self) -> str:
        return (f"{self.fn} L={self.length} seed={self.seed} sizes={self.train}/{self.val}/"
                f"{self.test}")


def point_from_meta(meta: dict[str, Any]) -> Point:
    sizes = meta.get("sizes") or {}
    try:
        return Point(str(meta["fn"]), int(meta["length"]), int(sizes["train"]),
                     int(sizes["val"]), int(sizes["test"]), int(meta["base_seed"]))
    except (KeyError, TypeError, ValueError):
        raise DatasetMismatch("meta.json lacks fn/length/sizes/base_seed") from None


def compare(point: Point, folder: Path, tabular_dir: str | Path | None = None) -> str | None:
    """None when ``folder``'s splits are byte-identical to a fresh generation of ``point``,
    else what differs (or why it cannot be checked)."""
    with tempfile.TemporaryDirectory(prefix="harness-verify-") as scratch:
        try:
            fresh = build_dataset(point.fn, point.length, point.train, point.val, point.test,
                                  point.seed, scratch, tabular_dir=tabular_dir)
        except DatasetError as exc:
            return f"cannot regenerate it: {exc}"
        if fresh.path.name != folder.name:
            return f"folder {folder.name} is not {fresh.path.name}, the one its seed derives"
        for split in SPLITS:
            try:
                cached = read_bytes(folder / f"{split}.txt", max_bytes=1 << 30)
            except (RunFileError, OSError) as exc:
                return f"{split}.txt unreadable ({printable(exc)})"
            if cached != (fresh.path / f"{split}.txt").read_bytes():
                return f"{split}.txt differs from what seed {point.seed} generates"
    return None


def verify_task_dataset(meta: dict[str, Any], folder: Path,
                        tabular_dir: str | Path | None = None) -> None:
    """Stop (one line) when a dataset about to be reused does not match its seed."""
    point = point_from_meta(meta)
    problem = compare(point, Path(folder), tabular_dir)
    if problem is not None:
        raise DatasetMismatch(f"dataset {point.label()} at {printable(folder)} does not match "
                              f"its seed: {problem}; delete that folder to regenerate it")


def cached_points(root: Path) -> Iterator[tuple[Path, dict[str, Any] | None, str | None]]:
    """Every folder under ``root`` holding a meta.json (links are not followed), its meta or
    why it could not be read."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        if "meta.json" in files:
            path = Path(folder)
            try:
                yield path, read_json(path / "meta.json", max_bytes=1 << 20), None
            except (RunFileError, OSError) as exc:
                yield path, None, printable(exc)
