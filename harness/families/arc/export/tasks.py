"""A subset's tasks as rows of the competition format, with no program in them (the seed's
``create_simple_dataset.py``).

Such a dataset is a baseline for fine-tuning (the model learns from the tasks alone) and a
template with the right columns and types for testing a loading pipeline. Each row is one
task: its train and test pairs; ``reasoning``, ``code`` and ``model`` are empty strings and the
``predicted_*`` and ``correct_*`` lists are empty, as the seed leaves them. Nothing is run or
read from a run directory: the tasks come from the packaged data (or ``--data-dir``), so the
rows have the same columns and Parquet types as `harness.families.arc.export.records`' and one
loader reads both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.families.arc.data import ArcTask
from harness.families.arc.export.balance import assign_splits


def task_records(tasks: Sequence[ArcTask], dataset: str, subset: str, val_fraction: float = 0.0,
                 seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """One record per task (each with its ``split``: a seeded ``val_fraction`` of the tasks,
    whole tasks, in "validation")."""
    records = [{
        "task_id": task.task_id, "reasoning": "", "code": "",
        "train_input": [p.input for p in task.train],
        "train_output": [p.output for p in task.train],
        "predicted_train_output": [], "correct_train_input": [],
        "test_input": [p.input for p in task.test],
        "test_output": [p.output for p in task.test],  # None where the output is not shipped
        "predicted_test_output": [], "correct_test_input": [],
        "model": "", "generation": 0, "dataset": dataset, "subset": subset,
        "source_run": None, "source_attempt": None,
    } for task in tasks]  # fmt: skip
    assign_splits(records, val_fraction, seed)
    return records
