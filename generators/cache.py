"""On-disk dataset cache: `<dir>/<target>/L<L>/seed<derived>/{train,val,test}.txt, meta.json`.

Files are written atomically (temp file in the same directory, then rename) and meta.json last, so a
killed run never leaves a directory that validates. A cached directory is reused only when its
meta matches the request and every split's content hash and line count still match.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from generators.splits import Row

SPLITS = ("train", "val", "test")
SEPARATOR = " -> "


def dataset_path(dataset_dir: str | Path, target_name: str, L: int, seed: int) -> Path:
    return Path(dataset_dir) / target_name / f"L{L}" / f"seed{seed}"


def format_rows(rows: list[Row]) -> str:
    """One `x -> y` line per row; `map(str.join)` builds the lines in C (~2x a generator)."""
    return "\n".join(map(SEPARATOR.join, rows)) + "\n" if rows else ""


def parse_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    for line in text.splitlines():
        x, sep, y = line.rpartition(SEPARATOR)
        if not sep or y not in ("0", "1"):
            raise ValueError(f"malformed line: {line[:80]!r}")
        rows.append((x, y))
    return rows


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same directory and os.replace, so readers never see halves.

    The bytes (encoded once by the caller, who also hashes them) go out in one write call.
    No fsync: a power cut can at worst leave a renamed file whose content never reached the disk,
    and `load_valid` checks every split against the SHA-256 in meta.json, so such a directory is
    regenerated rather than trusted. fsync cost ~1.5 ms per file, 240 files for the default grid.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: Path, splits: dict[str, list[Row]], meta: dict) -> dict:
    """Write the splits then meta.json (with hashes and counts); returns the final meta."""
    meta = dict(meta)
    meta["hashes"] = {}
    meta["counts"] = {}
    for name in SPLITS:
        raw = format_rows(splits[name]).encode("utf-8")
        write_atomic(path / f"{name}.txt", raw)
        meta["hashes"][name] = hashlib.sha256(raw).hexdigest()
        meta["counts"][name] = len(splits[name])
    write_atomic(path / "meta.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def load_valid(path: Path, expected: dict) -> tuple[dict[str, list[Row]], dict] | None:
    """The cached splits and meta, or None when anything is missing, stale or corrupted."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if any(meta.get(k) != v for k, v in expected.items()):
            return None
        splits: dict[str, list[Row]] = {}
        for name in SPLITS:
            text = (path / f"{name}.txt").read_text(encoding="utf-8")
            if sha256_text(text) != meta["hashes"][name]:
                return None
            rows = parse_rows(text)
            if len(rows) != meta["counts"][name] or len(rows) != meta["sizes"][name]:
                return None
            splits[name] = rows
        return splits, meta
    except (OSError, ValueError, KeyError, TypeError):
        return None
