"""ARC data: packaged datasets, subsets, validation of user task files, prompt content."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.families.arc.data import (
    ArcPair,
    ArcTask,
    find_task,
    load_dataset,
    load_task_dir,
    load_task_file,
)
from harness.families.arc.family import ArcOptions
from harness.families.arc.prompt import (
    DEFAULT_VERSION,
    PairOutcome,
    build_messages,
    feedback_message,
    format_grid,
    list_prompt_versions,
    load_prompt_version,
)
from harness.families.arc.subsets import list_subsets, resolve_subset


def ids(tasks: list[ArcTask]) -> list[str]:
    return [t.task_id for t in tasks]


# --------------------------------------------------------------------------- packaged data


@pytest.mark.parametrize(
    ("name", "split", "count"),
    [
        ("arc-agi-1", "training", 400),
        ("arc-agi-1", "evaluation", 400),
        ("arc-agi-2", "training", 1000),
        ("arc-agi-2", "evaluation", 120),
    ],
)
def test_packaged_counts_and_test_outputs(name: str, split: str, count: int) -> None:
    tasks = load_dataset(name, split)
    assert len(tasks) == count
    assert ids(tasks) == sorted(ids(tasks))
    assert all(p.output is not None for t in tasks for p in t.test)


def test_unknown_dataset_and_split() -> None:
    with pytest.raises(UserError, match="unknown dataset"):
        load_dataset("arc-agi-3", "training")
    with pytest.raises(UserError, match="unknown split"):
        load_dataset("arc-agi-1", "train")


def test_check_value_shortest_training_10() -> None:
    tasks = resolve_subset("arc-agi-1", "shortest_training_10")
    assert ids(tasks)[:2] == ["6150a2bd", "d631b094"]
    assert len(tasks) == 10
    sizes = [t.size for t in tasks]
    assert sizes == sorted(sizes)


def test_task_size_counts_all_cells() -> None:
    task = find_task("arc-agi-1", "6150a2bd")
    # 2 train pairs + 1 test pair, every grid 3x3
    assert task.size == 3 * 2 * 9


def test_evaluation_split_and_clipping() -> None:
    assert len(resolve_subset("arc-agi-2", "shortest_evaluation_5")) == 5
    assert len(resolve_subset("arc-agi-2", "longest_evaluation_500")) == 120
    assert len(resolve_subset("arc-agi-2", "all_evaluation")) == 120
    with pytest.raises(UserError, match="positive"):
        resolve_subset("arc-agi-1", "shortest_training_0")


def test_random_split_is_seed_42_chunks() -> None:
    train_ids = sorted(ids(load_dataset("arc-agi-1", "training")))
    random.Random(42).shuffle(train_ids)
    chunks = [ids(resolve_subset("arc-agi-1", f"random_split_{k}_training")) for k in range(1, 9)]
    assert chunks[0] == train_ids[:50]
    assert chunks[7] == train_ids[350:]
    flat = [i for c in chunks for i in c]
    assert len(flat) == len(set(flat)) == 400
    with pytest.raises(UserError, match="1..8"):
        resolve_subset("arc-agi-1", "random_split_9_training")
    with pytest.raises(UserError, match="arc-agi-1 only"):
        resolve_subset("arc-agi-2", "random_split_1_training")


def test_subset_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.txt"
    f.write_text("# my picks\nd631b094\n\n6150a2bd  # inline comment\nzz999999\n")
    with pytest.raises(UserError, match="1 unknown task id.*zz999999"):
        resolve_subset("arc-agi-1", str(f))
    # ids from both splits (00576224 is an evaluation task), kept in file order
    f.write_text("d631b094\n00576224\n6150a2bd\n")
    assert ids(resolve_subset("arc-agi-1", str(f))) == ["d631b094", "00576224", "6150a2bd"]
    f.write_text("# nothing\n")
    with pytest.raises(UserError, match="no task ids"):
        resolve_subset("arc-agi-1", str(f))


def test_unknown_subset_and_missing_file() -> None:
    with pytest.raises(UserError, match="unknown subset 'tallest_10'"):
        resolve_subset("arc-agi-1", "tallest_10")
    with pytest.raises(UserError, match="not found"):
        resolve_subset("arc-agi-1", "no/such/file.txt")


def test_list_subsets() -> None:
    named = dict(list_subsets("arc-agi-1"))
    assert named["all_training"] == 400
    assert named["shortest_training_10"] == 10
    assert named["grid_size_distributed_30_evaluation"] == 30
    assert named["random_split_8_training"] == 50
    named2 = dict(list_subsets("arc-agi-2"))
    assert named2["all_evaluation"] == 120
    assert not any(n.startswith("random_split") for n in named2)


# --------------------------------------------------------------------------- validation


GOOD = {
    "train": [{"input": [[0, 1], [2, 3]], "output": [[3, 2], [1, 0]]}],
    "test": [{"input": [[4, 5]], "output": [[5, 4]]}],
}


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def test_load_task_dir(tmp_path: Path) -> None:
    write(tmp_path, "bbb", GOOD)
    no_test_output = {"train": GOOD["train"], "test": [{"input": [[1]]}]}
    write(tmp_path, "aaa", no_test_output)
    tasks = load_task_dir(tmp_path)
    assert ids(tasks) == ["aaa", "bbb"]
    assert tasks[0].test[0] == ArcPair(input=[[1]], output=None)
    assert tasks[1].train[0].output == [[3, 2], [1, 0]]
    # a flat data dir serves subsets and lookups
    assert ids(resolve_subset("arc-agi-1", "shortest_training_1", tmp_path)) == ["aaa"]
    assert find_task("arc-agi-1", "bbb", tmp_path).task_id == "bbb"


def test_load_task_dir_standard_layout(tmp_path: Path) -> None:
    (tmp_path / "training").mkdir()
    (tmp_path / "evaluation").mkdir()
    write(tmp_path / "training", "t1", GOOD)
    write(tmp_path / "evaluation", "e1", GOOD)
    assert ids(resolve_subset("arc-agi-1", "all_training", tmp_path)) == ["t1"]
    assert ids(resolve_subset("arc-agi-1", "all_evaluation", tmp_path)) == ["e1"]


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        ({"train": GOOD["train"]}, "missing key 'test'"),
        ({"test": GOOD["test"]}, "missing key 'train'"),
        ({"train": [{"input": [[1]]}], "test": GOOD["test"]}, r"train\[0\]: missing key 'output'"),
        ({"train": GOOD["train"], "test": [{"output": [[1]]}]}, "missing key 'input'"),
        (
            {"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": GOOD["test"]},
            r"train\[0\]\.input: non-rectangular",
        ),
        (
            {"train": [{"input": [[1, 10]], "output": [[1]]}], "test": GOOD["test"]},
            "outside 0..9",
        ),
        (
            {"train": [{"input": [[1, -1]], "output": [[1]]}], "test": GOOD["test"]},
            "outside 0..9",
        ),
        (
            {"train": [{"input": [[1, "2"]], "output": [[1]]}], "test": GOOD["test"]},
            "must be an int",
        ),
        (
            {"train": [{"input": [[1, True]], "output": [[1]]}], "test": GOOD["test"]},
            "must be an int",
        ),
        ({"train": [{"input": [], "output": [[1]]}], "test": GOOD["test"]}, "0 rows"),
        (
            {"train": [{"input": [[0] * 31], "output": [[1]]}], "test": GOOD["test"]},
            "31 cells; must be 1..30",
        ),
        (
            {"train": [{"input": [[0]] * 31, "output": [[1]]}], "test": GOOD["test"]},
            "31 rows",
        ),
        ({"train": [], "test": GOOD["test"]}, "non-empty"),
        ([1, 2], "JSON object"),
    ],
)
def test_validation_errors_name_file_and_fault(tmp_path: Path, data: object, fault: str) -> None:
    path = write(tmp_path, "bad", data)
    with pytest.raises(UserError, match=fault) as info:
        load_task_dir(tmp_path)
    assert str(path) in str(info.value)


def test_invalid_json_and_missing_dir(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(UserError, match="broken.json: not valid JSON"):
        load_task_file(tmp_path / "broken.json")
    with pytest.raises(UserError, match="not a directory"):
        load_task_dir(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no <task_id>.json"):
        load_task_dir(empty)


# --------------------------------------------------------------------------- prompt


def test_format_grid() -> None:
    assert format_grid([[0, 7, 7], [7, 7, 7], [0, 7, 7]]) == "[[0 7 7] [7 7 7] [0 7 7]]"


DEMO = ArcTask(
    "demo",
    train=[ArcPair([[1, 2, 3]], [[3], [2], [1]]), ArcPair([[4, 4]], [[4], [4]])],
    test=[ArcPair([[5, 6]], [[9], [9]]), ArcPair([[7]], [[8]])],
)
#: Each shipped version's own way of naming the entry point and the colours.
WORDING = {
    "soar": ("a function called 'transform' which takes a single argument, the input grid as "
             "'list[list[int]]'", ("0:Black", "1:Blue", "2:Red", "6:Pink", "8:Purple",
                                   "9:Brown")),
    "arc_v1": ("def transform(grid: list[list[int]]) -> list[list[int]]",
               ("0 black", "1 blue", "2 red", "6 pink", "8 purple", "9 brown")),
}  # fmt: skip


@pytest.mark.parametrize("version", sorted(WORDING))
def test_prompt_structure(version: str) -> None:
    system, user = build_messages(DEMO, version)
    assert system["role"] == "system" and "ARC-AGI" in system["content"]
    text = user["content"]
    assert user["role"] == "user"
    assert "## Input 1 (grid shape: 3 by 1):\n[[1 2 3]]" in text
    assert "## Output 1 (grid shape: 1 by 3):\n[[3] [2] [1]]" in text
    assert "## Input 2 (grid shape: 2 by 1):" in text
    assert "## Test Input 1 (grid shape: 2 by 1):\n[[5 6]]" in text
    assert "## Test Input 2 (grid shape: 1 by 1):\n[[7]]" in text
    entry, colours = WORDING[version]
    assert entry in text and "```python" in text
    for name in colours:
        assert name in text
    # test outputs never appear
    assert "[[9] [9]]" not in text and "[[8]]" not in text
    assert "Test Output" not in text


def test_the_default_is_the_seed_soar_prompt_laid_out_as_the_seed_lays_it_out() -> None:
    assert DEFAULT_VERSION == "soar" == ArcOptions().prompt_version
    system, user = build_messages(DEMO)
    assert system["content"] == ("You are an AI assistant specialized in solving Abstract "
                                 "Reasoning Corpus (ARC-AGI) tasks by reasoning and generating "
                                 "Python code.")  # fmt: skip
    task_part = ("## Input 1 (grid shape: 3 by 1):\n[[1 2 3]]\n"
                 "## Output 1 (grid shape: 1 by 3):\n[[3] [2] [1]]\n\n"
                 "## Input 2 (grid shape: 2 by 1):\n[[4 4]]\n"
                 "## Output 2 (grid shape: 1 by 2):\n[[4] [4]]\n\n"
                 "## Test Input 1 (grid shape: 2 by 1):\n[[5 6]]\n"
                 "## Test Input 2 (grid shape: 1 by 1):\n[[7]]\n")  # fmt: skip
    text = user["content"]
    assert text.startswith("You are an AI assistant specialized in solving Abstract Reasoning "
                           "Corpus (ARC-AGI) tasks by generating Python code.\nYour goal is")
    assert text.endswith("Now, solve the following ARC-AGI task:\n# Task to solve:\n" + task_part)
    # its feedback turns are ours (the seed's soar runner has none)
    outcome = [PairOutcome(0, [[1]], [[2]], "wrong")]
    assert feedback_message(outcome) == feedback_message(outcome, "arc_v1")


@pytest.mark.parametrize(("flags", "marker"), [([], "# Task to solve:"),
                                               (["--prompt-version", "arc_v1"],
                                                "# Training examples")])  # fmt: skip
def test_dry_run_shows_the_seed_prompt_by_default(flags: list[str], marker: str) -> None:
    from click.testing import CliRunner

    from harness.cli.main import main

    result = CliRunner().invoke(main, ["eval", "arc", "--model", "gpt-5", "--subset",
                                       "shortest_training_1", "--dry-run", *flags],
                                env={"OPENAI_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.split("\n", 1)[1])
    assert marker in body["input"][1]["content"] and "6150a2bd" in result.stdout


def test_real_prompts_never_contain_test_outputs() -> None:
    for task in resolve_subset("arc-agi-1", "shortest_training_30"):
        text = build_messages(task)[1]["content"]
        for pair in task.test:
            assert pair.output is not None
            out = format_grid(pair.output)
            if out not in {format_grid(p.output) for p in task.train if p.output}:
                assert out not in text


def test_prompt_versions(tmp_path: Path) -> None:
    assert {"arc_v1", "soar"} <= set(list_prompt_versions())
    assert "soar_feedback" not in list_prompt_versions()
    with pytest.raises(UserError, match="unknown prompt version 'v99'"):
        load_prompt_version("v99")
    (tmp_path / "mine.txt").write_text("Solve {{ task_id }}: {{ test|length }} test input(s)")
    (tmp_path / "mine_system.txt").write_text("sys")
    task = find_task("arc-agi-1", "6150a2bd")
    msgs = build_messages(task, "mine", tmp_path)
    assert msgs[1]["content"] == "Solve 6150a2bd: 1 test input(s)\n"
    with pytest.raises(UserError, match="no mine_feedback.txt"):
        feedback_message([], "mine", tmp_path)


def test_feedback_message_train_only() -> None:
    results = [
        PairOutcome(0, [[1, 2], [3, 4]], [[1, 2], [3, 4]], "correct"),
        PairOutcome(1, [[1, 2], [3, 4]], [[1, 2], [3, 5]], "wrong"),
        PairOutcome(2, [[1, 1]], [[1], [1]], "wrong"),
        PairOutcome(3, [[6]], None, "timeout", "exceeded 0.5 s"),
    ]
    text = feedback_message(results)
    assert "solved: 1/4" in text
    # pooled pixels: 4 + 3 + 0 + 0 of 4 + 4 + 2 + 1 = 7/11
    assert "63.6%" in text
    assert "## Training example 1: solved" in text
    assert "## Training example 2: wrong output (pixel accuracy 75.0%)" in text
    assert "[[1 2] [3 5]]" in text
    assert "grid shape 1 by 2 but the expected output is 2 by 1" in text
    assert "error (timeout)" in text and "exceeded 0.5 s" in text
    assert "test" not in text.lower()


def test_feedback_all_solved() -> None:
    text = feedback_message([PairOutcome(0, [[1]], [[1]], "correct")])
    assert "1/1" in text and "All training examples are solved." in text
