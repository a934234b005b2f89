"""ARC subsets: computed by the seed tool's rules, its published lists, and files of task ids.

Names:
- `all_training`, `all_evaluation`: every task of the split, by id.
- `shortest_{split}_{N}` / `longest_{split}_{N}` / `middle_{split}_{N}`: by task size (input +
  output cells over all train and test pairs), ascending. Ties keep the order in which the seed
  tool listed the task files (`harness.families.arc.listing`: the APFS name hash of
  `<id>.json`), as its stable sort did. `longest` is that order reversed (ties too); `middle`
  takes the N tasks from index total // 2 - N // 2. `shortest_{N}` etc. (no split) mean the
  training split, as the seed README uses them.
- `grid_size_distributed_30_{split}`: the same order by task size; indices int(i * total / 30),
  i = 0..29 (repeats dropped when the split has fewer than 30 tasks). The seed's script text
  speaks of the first train pair's cells, but that was its older, evaluation-only list; the
  split lists it published rank by the whole task size, and so do we.
- `random_split_{k}_training` (ARC-AGI-1 only, k = 1..8): the 400 training ids sorted, shuffled
  with `random.Random(42).shuffle`, cut into 8 chunks of 50; chunk k (1-based).
- `mit-easy`, `mit-medium`, `mit-hard`, `mit-expert` (20 ARC-AGI-1 evaluation tasks each) and
  `mit-split` (the 80, interleaved): the difficulty levels of Akyurek et al. 2024, shipped as data.
- any existing file: one task id per line (blank lines and `#` comments ignored), looked up in
  both splits, kept in file order.

Where the seed published a subset's members (`seed_subsets.json`, sources named there), the
packaged datasets use that list; the rules above reproduce every one of them exactly (tested),
so they only decide the names and sizes the seed never listed. With `--data-dir` the rules run
on the user's tasks; the MIT lists are looked up there by id. N larger than the split is clipped.
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache
from pathlib import Path

from harness.errors import UserError
from harness.families.arc.data import DEFAULT_DATASET, SPLITS, ArcTask, check_dataset, load_split
from harness.families.arc.listing import listing_key

RANDOM_SPLIT_SEED = 42
RANDOM_SPLIT_CHUNKS = 8
RANDOM_SPLIT_DATASET = DEFAULT_DATASET
DEFAULT_SUBSET = "shortest_training_10"
GRID_SIZE_DISTRIBUTED_N = 30
EXAMPLE_NS = (1, 10, 30)
SEED_SUBSETS = Path(__file__).with_name("seed_subsets.json")
MIT_SUBSETS = ("mit-easy", "mit-medium", "mit-hard", "mit-expert", "mit-split")
MIT_DATASET = DEFAULT_DATASET

_SPLIT_RE = "(training|evaluation)"
_RANKED = re.compile(rf"^(shortest|longest|middle)_(?:{_SPLIT_RE}_)?(\d+)$")
_ALL = re.compile(rf"^all_{_SPLIT_RE}$")
_DISTRIBUTED = re.compile(rf"^grid_size_distributed_{GRID_SIZE_DISTRIBUTED_N}_{_SPLIT_RE}$")
_RANDOM = re.compile(r"^random_split_(\d+)_training$")


def by_size(tasks: list[ArcTask]) -> list[ArcTask]:
    """Ascending task size; ties in the seed's file-listing order (module docstring)."""
    return sorted(tasks, key=lambda t: (t.size, listing_key(t.task_id)))


def ranked(tasks: list[ArcTask], kind: str, n: int) -> list[ArcTask]:
    """The N shortest / longest / middle tasks (see module docstring for tie and median rules)."""
    if n < 1:
        raise UserError(f"subset size must be a positive integer, got {n}")
    ordered = by_size(tasks)
    n = min(n, len(ordered))
    if kind == "shortest":
        return ordered[:n]
    if kind == "longest":
        return list(reversed(ordered))[:n]
    start = len(ordered) // 2 - n // 2
    return ordered[start : start + n]


def grid_size_distributed(
    tasks: list[ArcTask], count: int = GRID_SIZE_DISTRIBUTED_N
) -> list[ArcTask]:
    """`count` tasks spread evenly over the size order (indices int(i * total / count))."""
    ordered = by_size(tasks)
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


@lru_cache(maxsize=1)
def seed_subsets() -> dict[str, dict[str, list[str]]]:
    """The seed's published lists by dataset and subset name (package data)."""
    return json.loads(SEED_SUBSETS.read_text())["subsets"]


def _by_ids(dataset: str, ids: list[str], data_dir: str | Path | None,
            where: str) -> list[ArcTask]:  # fmt: skip
    """Tasks in the order of `ids`, looked up in both splits; unknown ids name `where`."""
    known = {t.task_id: t for split in SPLITS for t in load_split(dataset, split, data_dir)}
    missing = [i for i in ids if i not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        source = dataset if data_dir is None else str(data_dir)
        raise UserError(f"{where}: {len(missing)} unknown task id(s) in {source}: {shown}")
    return [known[i] for i in dict.fromkeys(ids)]


def _from_file(dataset: str, path: Path, data_dir: str | Path | None) -> list[ArcTask]:
    ids = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    if not ids:
        raise UserError(f"{path}: subset file lists no task ids")
    return _by_ids(dataset, ids, data_dir, str(path))


def computed_subset(dataset: str, subset: str,
                    data_dir: str | Path | None = None) -> list[ArcTask] | None:  # fmt: skip
    """A subset computed by its rule, never read from the published lists (so the two can be
    compared); None when `subset` is not a rule's name."""
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
    return None


def resolve_subset(dataset: str, subset: str, data_dir: str | Path | None = None) -> list[ArcTask]:
    """Turn a subset name (or a file of ids) into tasks; unknown names raise UserError."""
    check_dataset(dataset)
    if subset in MIT_SUBSETS:
        if dataset != MIT_DATASET:
            raise UserError(f"subset '{subset}' is defined for {MIT_DATASET} only")
        return _by_ids(dataset, seed_subsets()[dataset][subset], data_dir, subset)
    if m := _RANKED.match(subset):  # `shortest_10` is the seed's name for the training split
        subset = f"{m.group(1)}_{m.group(2) or 'training'}_{int(m.group(3))}"
    published = seed_subsets().get(dataset, {}).get(subset)
    if published is not None and data_dir is None:
        return _by_ids(dataset, published, None, subset)
    tasks = computed_subset(dataset, subset, data_dir)
    if tasks is not None:
        return tasks
    path = Path(subset)
    if path.is_file():
        return _from_file(dataset, path, data_dir)
    if path.suffix or "/" in subset or "\\" in subset:
        raise UserError(f"subset file not found: {subset}")
    raise UserError(
        f"unknown subset '{subset}'; expected all_{{training|evaluation}}, "
        "{shortest|middle|longest}_{training|evaluation}_N, "
        "grid_size_distributed_30_{training|evaluation}, random_split_{1..8}_training or "
        "mit-{easy|medium|hard|expert|split} (arc-agi-1), or a file with one task id per line"
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
    if dataset == MIT_DATASET and data_dir is None:
        out.extend((name, len(seed_subsets()[dataset][name])) for name in MIT_SUBSETS)
    return out
