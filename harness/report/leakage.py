"""Leakage audit of hidden-mapping dataset splits.

For one dataset directory (`train.txt`, `val.txt`, `test.txt`, one `input -> label` per line):
exact-line overlaps and input overlaps between every pair of splits (an input seen in the prompt
must never be scored), and duplicate inputs within each split (allowed only where meta.json says
the input space is too small). `leaky` is true when any input crosses splits.

Dataset paths come from a run's manifest, i.e. from whoever wrote the run directory: the split
files are read with `harness.safe_io` (no link followed as the file, no FIFO, size-capped) and a
file that cannot be read makes the audit of that dataset fail, never the command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from harness.safe_io import RunFileError, read_json, read_text

SPLITS = ("train", "val", "test")
Row = tuple[str, str]


@dataclass
class SplitAudit:
    """What the audit found in one dataset (all counts are of distinct lines / inputs)."""

    name: str
    path: str | None
    sizes: dict[str, int] = field(default_factory=dict)
    line_overlap: dict[str, int] = field(default_factory=dict)  # "train|test" -> count
    input_overlap: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)  # extra copies within a split
    conflicting_labels: int = 0  # inputs labelled differently in two places
    examples: list[str] = field(default_factory=list)  # a few overlapping inputs
    error: str | None = None  # the dataset could not be read
    small_space_note: bool = False  # meta.json says duplicates are expected

    @property
    def leaky(self) -> bool:
        return any(self.input_overlap.values()) or any(self.line_overlap.values())

    @property
    def ok(self) -> bool:
        return self.error is None and not self.leaky

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"dataset": self.name, "path": self.path, "status":
                               "missing" if self.error else ("LEAK" if self.leaky else "ok")}
        for s in SPLITS:
            row[f"n_{s}"] = self.sizes.get(s)
        for a, b in combinations(SPLITS, 2):
            row[f"lines_{a}_{b}"] = self.line_overlap.get(f"{a}|{b}")
            row[f"inputs_{a}_{b}"] = self.input_overlap.get(f"{a}|{b}")
        for s in SPLITS:
            row[f"dup_{s}"] = self.duplicates.get(s)
        row["conflicting_labels"] = self.conflicting_labels
        row["small_space_note"] = self.small_space_note
        row["examples"] = " ".join(self.examples)
        row["error"] = self.error
        return row


def parse_lines(text: str) -> list[Row]:
    rows: list[Row] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        x, sep, y = line.rpartition(" -> ")
        rows.append((x, y) if sep else (line, ""))
    return rows


def audit_splits(splits: Mapping[str, Sequence[Row]], name: str = "dataset",
                 path: str | None = None) -> SplitAudit:
    """Audit in-memory splits (any subset of train/val/test)."""
    audit = SplitAudit(name=name, path=path)
    lines = {s: [f"{x} -> {y}" for x, y in splits.get(s, ())] for s in SPLITS}
    inputs = {s: [x for x, _ in splits.get(s, ())] for s in SPLITS}
    for s in SPLITS:
        audit.sizes[s] = len(inputs[s])
        counts = Counter(inputs[s])
        audit.duplicates[s] = sum(c - 1 for c in counts.values() if c > 1)
    labels: dict[str, set[str]] = {}
    for s in SPLITS:
        for x, y in splits.get(s, ()):
            labels.setdefault(x, set()).add(y)
    audit.conflicting_labels = sum(1 for v in labels.values() if len(v) > 1)
    for a, b in combinations(SPLITS, 2):
        key = f"{a}|{b}"
        audit.line_overlap[key] = len(set(lines[a]) & set(lines[b]))
        shared = set(inputs[a]) & set(inputs[b])
        audit.input_overlap[key] = len(shared)
        for x in sorted(shared)[: max(0, 3 - len(audit.examples))]:
            audit.examples.append(f"{a}/{b}:{x[:40]}")
    return audit


def audit_dataset_dir(path: str | Path, name: str | None = None) -> SplitAudit:
    """Audit a dataset cache directory (`train.txt`, `val.txt`, `test.txt`, `meta.json`)."""
    p = Path(path)
    label = name or str(p)
    splits: dict[str, list[Row]] = {}
    try:
        for s in SPLITS:
            splits[s] = parse_lines(read_text(p / f"{s}.txt", root=p))
    except (OSError, RunFileError) as exc:
        return SplitAudit(name=label, path=str(p), error=f"cannot read dataset: {exc}")
    audit = audit_splits(splits, label, str(p))
    try:
        meta = read_json(p / "meta.json", root=p)
        audit.small_space_note = bool(meta.get("small_space"))
    except (OSError, RunFileError):
        pass
    return audit


def audit_run_datasets(manifest: Mapping[str, Any], run_dir: Path | None = None,
                       rows: Sequence[Mapping[str, Any]] = ()) -> list[SplitAudit]:
    """Every dataset a run used (manifest `datasets`, else the rows' `dataset_path`).

    A relative path is tried as written, then relative to the run directory's parent folders.
    """
    found: dict[str, str] = {}
    for task_id, info in (manifest.get("datasets") or {}).items():
        if isinstance(info, Mapping) and info.get("path"):
            found[str(task_id)] = str(info["path"])
    for r in rows:
        if r.get("dataset_path") and r.get("task_id") not in found:
            found[str(r["task_id"])] = str(r["dataset_path"])
    audits = []
    for task_id, raw in found.items():
        audits.append(audit_dataset_dir(_locate(raw, run_dir), task_id))
    return audits


def _locate(raw: str, run_dir: Path | None) -> Path:
    p = Path(raw)
    if p.is_absolute() or p.exists() or run_dir is None:
        return p
    for base in [run_dir, *run_dir.resolve().parents]:
        if (base / p).exists():
            return base / p
    return p
