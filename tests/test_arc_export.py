"""Hindsight relabelling: filters, dedup, split, and the written JSONL/Parquet (no Docker)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from harness.errors import UserError
from harness.families.arc.export import export_records, normalise_code, strip_comments, write_export

TRAIN = [{"input": [[1, 2]], "output": [[2, 1]]}, {"input": [[3, 4]], "output": [[4, 3]]}]
TEST = [{"input": [[5, 6]], "output": [[6, 5]]}]
FLIP = "def transform(g):\n    # mirror\n    return [r[::-1] for r in g]\n"


def attempt(n, code, train_pred, verdicts=("correct", "correct"), test_correct=(True,),
            transductive=False):
    return {"attempt": n, "code": code, "train_verdicts": list(verdicts),
            "train_predictions": train_pred, "test_predictions": [[[6, 5]]],
            "test_correct": list(test_correct), "transductive": transductive,
            "reasoning_text": "think"}


def make_run(tmp_path, attempts, task_id="t1"):
    run = tmp_path / "run"
    (run / "tasks").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"task_family": "arc"}))
    (run / "tasks" / f"{task_id}.json").write_text(json.dumps(
        {"task_id": task_id, "run_id": "r", "train": TRAIN, "test": TEST, "attempts": attempts}))
    return run


def test_filters_and_dedup(tmp_path):
    good = [[[2, 1]], [[4, 3]]]
    other = [[[0, 0]], [[0, 0]]]
    run = make_run(tmp_path, [
        attempt(1, FLIP, good),
        attempt(2, FLIP.replace("# mirror", "# same program, other comment"), good),  # dup code
        attempt(3, "def transform(g):\n    return [[0, 0]]\n", other, ("wrong", "wrong"),
                (False,)),
        attempt(4, "def transform(g):\n    return [[0] * 2]\n", other, ("wrong", "wrong"),
                (False,)),  # same outputs as 3
        attempt(5, "def transform(g):\n    return g[9]\n", [None, None],
                ("exception", "exception"), (False,)),
        attempt(6, "def transform(g):\n    return [[2, 1]]\n", good, transductive=True),
        attempt(7, None, []),
    ])
    records, counts = export_records([run], val_fraction=0.0)
    assert counts.kept == 2
    assert counts.dropped == {"duplicate_code": 1, "duplicate_outputs": 1, "train_errors": 1,
                              "transductive": 1, "no_program": 1}
    relabelled = records[1]
    assert relabelled["train_outputs"] == other  # the program's outputs are the new targets
    assert "[[0 0]]" in relabelled["messages"][1]["content"]
    assert "[[6 5]]" not in json.dumps(relabelled["messages"])  # no test output in the prompt


def test_written_files_and_reasoning(tmp_path):
    run = make_run(tmp_path, [attempt(1, FLIP, [[[2, 1]], [[4, 3]]])])
    records, _ = export_records([run], reasoning=True, strip=True, val_fraction=1.0)
    assert records[0]["split"] == "validation"
    assert records[0]["completion"].startswith("think")
    assert "# mirror" not in records[0]["code"]
    write_export(records, tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / "validation.parquet")
    assert table.num_rows == 1 and table.column("test_correct").to_pylist() == [True]
    assert (tmp_path / "out" / "train.jsonl").read_text() == ""


def test_helpers():
    assert strip_comments("def f(:\n  pass") is None
    assert normalise_code('def f():\n    """doc"""\n    return 1  # c\n') == normalise_code(
        "def f():\n    return 1\n")


def test_not_a_run_directory(tmp_path):
    with pytest.raises(UserError):
        export_records([tmp_path])
