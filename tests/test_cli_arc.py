"""`harness arc` commands through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.cli.arc import ARC_COLOURS, arc, render_grid


def run(*args: str):
    return CliRunner().invoke(arc, list(args))


def test_subsets_lists_names_and_sizes() -> None:
    result = run("subsets")
    assert result.exit_code == 0, result.output
    assert "shortest_training_10" in result.output
    assert "random_split_1_training" in result.output
    assert "400" in result.output
    result2 = run("subsets", "--dataset", "arc-agi-2")
    assert result2.exit_code == 0
    assert "1000" in result2.output and "random_split" not in result2.output


def test_show_task() -> None:
    result = run("show", "6150a2bd")
    assert result.exit_code == 0, result.output
    assert "train 1" in result.output and "test 1" in result.output
    assert "3 3 8" in result.output


def test_show_from_data_dir(tmp_path: Path) -> None:
    task = {"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3, 4]]}]}
    (tmp_path / "mine.json").write_text(json.dumps(task))
    result = run("show", "mine", "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "not shipped" in result.output


def test_unknown_things_are_one_line_errors(tmp_path: Path) -> None:
    for args in (
        ("show", "deadbeef"),
        ("resolve", "tallest_10"),
        ("resolve", "missing/file.txt"),
        ("resolve", "random_split_1_training", "--dataset", "arc-agi-2"),
    ):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}')
    result = run("show", "bad", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "non-rectangular" in result.output


def test_bad_dataset_choice() -> None:
    result = run("subsets", "--dataset", "arc-agi-9")
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_resolve_prints_ids() -> None:
    result = run("resolve", "shortest_training_2")
    assert result.output.split() == ["6150a2bd", "d631b094"]


def test_render_grid_colours() -> None:
    text = render_grid([[0, 9], [2, 8]])
    assert text.plain == "0 9 \n2 8 "
    styles = {str(span.style) for span in text.spans}
    assert any(ARC_COLOURS[9][1].lower() in s.lower() for s in styles)
    assert [ARC_COLOURS[i][0] for i in range(10)] == [
        "black",
        "blue",
        "red",
        "green",
        "yellow",
        "grey",
        "pink",
        "orange",
        "purple",
        "brown",
    ]
