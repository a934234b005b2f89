"""Computed ARC subsets (none are shipped as files), and subsets read from a file of task ids.

Names:
- `all_training`, `all_evaluation`
- `shortest_{split}_{N}` / `longest_{split}_{N}` / `middle_{split}_{N}`: by task size (input +
  output cells over all train and test pairs), ascending, ties by task id. `middle` takes the N
  tasks starting at index (total - N) // 2 of that order, i.e. centred on the median.
  `shortest_{N}` etc. (no split) are accepted as the training split, as the seed README uses them.
- `grid_size_distributed_30_{split}`: sorted by first-train-pair cells (ties by id), indices
  int(i * total / 30) for i = 0..29 (repeats dropped if the split has fewer than 30 tasks).
- `random_split_{k}_training` (ARC-AGI-1 only, k = 1..8): ASSUMPTION — the seed does not pin the
  algorithm, so we take the 400 training ids sorted, shuffle them with
  `random.Random(42).shuffle`, and cut 8 consecutive chunks of 50; chunk k is the k-th (1-based).
- any existing file: one task id per line (blank lines and `#` comments ignored), looked up in
  both splits, kept in file order.

N larger than the split is clipped to the split size.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from harness.errors import UserError
from harness.families.arc.data import DEFAULT_DATASET, SPLITS, ArcTask, check_dataset, load_split

RANDOM_SPLIT_SEED = 42
RANDOM_SPLIT_CHUNKS = 8
RANDOM_SPLIT_DATASET = DEFAULT_DATASET
DEFAULT_SUBSET = "shortest_training_10"
GRID_SIZE_DISTRIBUTED_N = 30
EXAMPLE_NS = (1, 10, 30)

_SPLIT_RE = "(training|evaluation)"
_RANKED = re.compile(rf"^(shortest|longest|middle)_(?:{_SPLIT_RE}_)?(\d+)$")
_ALL = re.compile(rf"^all_{_SPLIT_RE}$")
_DISTRIBUTED = re.compile(rf"^grid_size_distributed_{GRID_SIZE_DISTRIBUTED_N}_{_SPLIT_RE}$")
_RANDOM = re.compile(r"^random_split_(\d+)_training$")


def _by_size(tasks: list[ArcTask]) -> list[ArcTask]:
    return sorted(tasks, key=lambda t: (t.size, t.task_id))


def ranked(tasks: list[ArcTask], kind: str, n: int) -> list[ArcTask]:
    """The N shortest / longest / middle tasks (see module docstring for tie and median rules)."""
    if n < 1:
        raise UserError(f"subset size must be a positive integer, got {n}")
    ordered = _by_size(tasks)
    n = min(n, len(ordered))
    if kind == "shortest":
        return ordered[:n]
    if kind == "longest":
        return list(reversed(ordered))[:n]
    start = (len(ordered) - n) // 2
    return ordered[start : start + n]


def grid_size_distributed(
    tasks: list[ArcTask], count: int = GRID_SIZE_DISTRIBUTED_N
) -> list[ArcTask]:
    ordered = sorted(tasks, key=lambda t: (t.first_pair_size, t.task_id))
    total = len(ordered)
    picked: list[ArcTask] = []
    seen: set[str] = set()
    for i in range(count):
        task = ordered[int(i * total / count)]
        if task.task_id not in seen:
            seen.add(task.task_id)
            picked.append(task)
    return picked


def random_split(tasks: list[ArcTask], k: int) -> list[ArcTask]:
    """Chunk k (1-based) of the sorted ids shuffled by `random.Random(42).shuffle`."""
    if not 1 <= k <= RANDOM_SPLIT_CHUNKS:
        raise UserError(f"random_split index must be 1..{RANDOM_SPLIT_CHUNKS}, got {k}")
    ids = sorted(t.task_id for t in tasks)
    random.Random(RANDOM_SPLIT_SEED).shuffle(ids)
    chunk = len(ids) // RANDOM_SPLIT_CHUNKS
    by_id = {t.task_id: t for t in tasks}
    return [by_id[i] for i in ids[(k - 1) * chunk : k * chunk]]


def _from_file(dataset: str, path: Path, data_dir: str | Path | None) -> list[ArcTask]:
    ids = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    if not ids:
        raise UserError(f"{path}: subset file lists no task ids")
    known = {t.task_id: t for split in SPLITS for t in load_split(dataset, split, data_dir)}
    missing = [i for i in ids if i not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise UserError(f"{path}: {len(missing)} unknown task id(s) in {dataset}: {shown}")
    return [known[i] for i in dict.fromkeys(ids)]


def resolve_subset(dataset: str, subset: str, data_dir: str | Path | None = None) -> list[ArcTask]:
    """Turn a subset name (or a file of ids) into tasks; unknown names raise UserError."""
    check_dataset(dataset)
    if m := _ALL.match(subset):
        return load_split(dataset, m.group(1), data_dir)
    if m := _RANKED.match(subset):
        kind, split, n = m.group(1), m.group(2) or "training", int(m.group(3))
        return ranked(load_split(dataset, split, data_dir), kind, n)
    if m := _DISTRIBUTED.match(subset):
        return grid_size_distributed(load_split(dataset, m.group(1), data_dir))
    if m := _RANDOM.match(subset):
        if dataset != RANDOM_SPLIT_DATASET:
            raise UserError(f"subset '{subset}' is defined for {RANDOM_SPLIT_DATASET} only")
        return random_split(load_split(dataset, "training", data_dir), int(m.group(1)))
    path = Path(subset)
    if path.is_file():
        return _from_file(dataset, path, data_dir)
    if path.suffix or "/" in subset or "\\" in subset:
        raise UserError(f"subset file not found: {subset}")
    raise UserError(
        f"unknown subset '{subset}'; expected all_{{training|evaluation}}, "
        "{shortest|middle|longest}_{training|evaluation}_N, "
        "grid_size_distributed_30_{training|evaluation}, random_split_{1..8}_training "
        "(arc-agi-1) or a file with one task id per line"
    )


def list_subsets(dataset: str, data_dir: str | Path | None = None) -> list[tuple[str, int]]:
    """Named subsets with their sizes (ranked ones shown for example N values 1, 10, 30)."""
    check_dataset(dataset)
    out: list[tuple[str, int]] = []
    for split in SPLITS:
        total = len(load_split(dataset, split, data_dir))
        out.append((f"all_{split}", total))
        for kind in ("shortest", "middle", "longest"):
            out.extend((f"{kind}_{split}_{n}", min(n, total)) for n in EXAMPLE_NS)
        name = f"grid_size_distributed_{GRID_SIZE_DISTRIBUTED_N}_{split}"
        out.append((name, len(resolve_subset(dataset, name, data_dir))))
    if dataset == RANDOM_SPLIT_DATASET:
        total = len(load_split(dataset, "training", data_dir))
        chunk = total // RANDOM_SPLIT_CHUNKS
        out.extend((f"random_split_{k}_training", chunk) for k in range(1, RANDOM_SPLIT_CHUNKS + 1))
    return out
